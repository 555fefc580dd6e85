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
      "Exit codes: 0 ok, 1 error, 2 bad config or usage, 4 some cells failed (see their errors),\n"
      "75 interrupted by SIGTERM/SIGUSR1/SIGINT (re-run to resume).\n\nOptions");
  visible.add_options()
      ("help,h", "show this help")
      ("output,o", po::value<std::string>(), "output directory (overrides settings.output_dir)")
      ("device", po::value<std::string>(), "auto | cpu | cuda | cuda:N (overrides settings.device)")
      ("force", po::bool_switch(), "recompute cells whose stored results are stale (inputs changed)")
      ("workers", po::value<int>()->default_value(1), "worker threads when run without mpirun")
      ("progress-interval", po::value<double>()->default_value(30.0), "seconds between progress lines");
  po::variables_map vm;
  if (!parse_command_line("run", args, visible, "sweep", &vm)) return kExitOk;
  if (!vm.count("sweep")) throw UsageError("run: missing SWEEP.yaml (see icsweep run --help)");

  RunRequest request;
  request.sweep_path = vm["sweep"].as<std::string>();
  if (vm.count("output")) request.output_override = vm["output"].as<std::string>();
  if (vm.count("device")) request.device_override = vm["device"].as<std::string>();
  request.in_process_workers = vm["workers"].as<int>();
  request.driver.force = vm["force"].as<bool>();
  request.driver.progress_interval_seconds = vm["progress-interval"].as<double>();
  return run_sweep_command(request, nullptr);
}

}  // namespace icsweep
