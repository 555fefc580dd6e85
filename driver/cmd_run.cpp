// `icsweep run SWEEP.yaml`: the sweep, under mpirun/srun (rank 0 drives, the others score) or as one
// process (the driver on the main thread, workers on threads: the same code path).
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <thread>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/plan_options.h"
#include "driver/run_sweep.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;

int cmd_run(const std::vector<std::string>& args) {
  po::options_description visible(
      "Usage: icsweep run SWEEP.yaml [options]\n"
      "       mpirun -np N icsweep run SWEEP.yaml [options]\n\n"
      "Scores every model x dataset cell of the sweep and writes one HDF5 file per finished cell\n"
      "under OUTPUT/cells/ plus the index OUTPUT/results.h5 (see README: \"Sweep file\").\n"
      "Re-running the same command resumes: finished cells and journaled batches are kept.\n"
      "To stop a running sweep cleanly: SIGTERM/SIGUSR1 to any rank, or create the file OUTPUT/STOP\n"
      "(works whatever the launcher forwards): no new batches, in-flight ones finish, exit 75.\n"
      "Exit codes: 0 ok, 1 error, 2 bad config or usage, 3 job aborted (a rank failed or a batch hung;\n"
      "finished batches are kept), 4 some cells failed (see their errors), 75 interrupted by a signal or\n"
      "the stop file (re-run to resume).\n\nOptions");
  visible.add_options()
      ("help,h", "show this help")
      ("output,o", po::value<std::string>(), "output directory (overrides settings.output_dir)")
      ("device", po::value<std::string>(), "auto | cpu | cuda | cuda:N (overrides settings.device)")
      ("force", po::bool_switch(), "recompute cells whose stored results are stale (inputs changed)")
      ("restart-cell", po::value<std::vector<std::string>>()->composing(),
       "MODEL/DATASET: recompute this cell from scratch, dropping its file and journaled batches "
       "(repeatable; give it once: a resumed run continues the restart)")
      ("batch-timeout", po::value<double>()->default_value(3600),
       "seconds a worker may hold batches without answering (model load included) before the job "
       "ends with exit 3 naming rank, host and batch; 0 waits forever")
      ("workers", po::value<int>()->default_value(1), "worker threads when run without mpirun")
      ("progress-interval", po::value<double>()->default_value(30.0), "seconds between progress lines")
      ("limit", po::value<int64_t>(),
       "a trial: only the first N records of each dataset. Its cells are marked partial (attributes "
       "partial, sample_limit; the journal's identity) and a later run without --limit scores them in full")
      ("dry-run", po::bool_switch(),
       "check everything as the run would before loading a model, print the plan (cells, samples, tokens, "
       "TFLOPs, estimated time: see icsweep plan --help) and exit without loading any weights")
      ("format,f", po::value<std::string>()->default_value("table"),
       "table | csv | json | markdown: the summary of the cells after the run (not table: stdout holds that alone, "
       "progress and notes go to stderr), or --dry-run's plan");
  add_estimate_options(&visible);
  po::variables_map vm;
  if (!parse_command_line("run", args, visible, "sweep", &vm)) return kExitOk;
  if (!vm.count("sweep")) throw UsageError("run: missing SWEEP.yaml (see icsweep run --help)");
  int64_t limit = 0;
  if (vm.count("limit") && (limit = vm["limit"].as<int64_t>()) < 1) throw UsageError("run: --limit must be at least 1");
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());
  if (vm["dry-run"].as<bool>()) {
    PlanRequest plan;
    plan.config = load_sweep_config(vm["sweep"].as<std::string>());
    if (vm.count("output")) plan.config.settings.output_dir = std::filesystem::absolute(vm["output"].as<std::string>()).string();
    if (vm.count("device")) {
      if (!valid_device(vm["device"].as<std::string>()))
        throw UsageError("--device " + vm["device"].as<std::string>() + ": not a device; expected auto, cpu, cuda or cuda:N");
      plan.config.settings.device = vm["device"].as<std::string>();
    }
    plan.config.settings.sample_limit = limit;
    plan.check_visible_devices = true;
    plan.format = format;
    read_estimate_options(vm, &plan);
    return print_sweep_plan(plan, std::cout, std::cerr);
  }

  RunRequest request;
  request.sweep_path = vm["sweep"].as<std::string>();
  if (vm.count("output")) request.output_override = vm["output"].as<std::string>();
  if (vm.count("device")) request.device_override = vm["device"].as<std::string>();
  request.in_process_workers = vm["workers"].as<int>();
  request.sample_limit = limit;
  request.summary_format = format;
  request.driver.force = vm["force"].as<bool>();
  if (vm.count("restart-cell")) request.driver.restart_cells = vm["restart-cell"].as<std::vector<std::string>>();
  request.driver.batch_timeout_seconds = vm["batch-timeout"].as<double>();
  request.driver.progress_interval_seconds = vm["progress-interval"].as<double>();
  return run_sweep_command(request, nullptr);
}

}  // namespace icsweep
