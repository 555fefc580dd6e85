// `icsweep slurm SWEEP.yaml --nodes N --gpus-per-node G`: prints a ready sbatch script (slurm/README.md,
// the text in driver/slurm_script.cpp). Layout: rank 0 drives (no GPU), G workers per node take one GPU
// each, so N*G+1 tasks, G+1 on the first node and G on the others (cyclic distribution). Slurm warns the
// batch shell a quarter of the time limit (at most 10 minutes) before it; the trap creates the stop
// file, the sweep exits 75 and the script requeues the job, which resumes from the journal.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"
#include "driver/slurm_script.h"

namespace icsweep {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string self_path() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("icsweep") : p.string();
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

// The job name: icsweep-<sweep file name>, without an array's %a (Slurm does not expand it in names).
std::string default_job_name(const std::string& sweep_arg) {
  std::string stem = fs::path(sweep_arg).stem().string();
  for (size_t at; (at = stem.find("%a")) != std::string::npos;) stem.erase(at, 2);
  while (!stem.empty() && (stem.back() == '-' || stem.back() == '_' || stem.back() == '.')) stem.pop_back();
  return stem.empty() ? "icsweep" : "icsweep-" + stem;
}

}  // namespace

int cmd_slurm(const std::vector<std::string>& args) {
  po::options_description visible(
      "Usage: icsweep slurm SWEEP.yaml --nodes N --gpus-per-node G [options] > job.sbatch\n\n"
      "Prints an sbatch script for the sweep: rank 0 drives, G workers per node use one GPU each\n"
      "(N*G+1 tasks), logs in LOGS/%x-%j.out (the folder is created now). Slurm signals the batch shell\n"
      "a quarter of --time (at most 10 minutes) before the limit; the script then stops the sweep (exit 75)\n"
      "and requeues the job, which resumes. A plain scancel stops it too, without requeueing.\n"
      "With --array, SWEEP may contain %a (replaced by the array task id): one sweep per model group,\n"
      "each writing OUTPUT/group-<id> (OUTPUT: --output, else the sweep's settings.output_dir);\n"
      "join them with icsweep merge.\n\nOptions");
  visible.add_options()
      ("help,h", "show this help")
      ("nodes", po::value<int>()->default_value(1), "nodes")
      ("gpus-per-node", po::value<int>()->default_value(1), "GPUs (= workers) per node; 0 = CPU workers")
      ("workers-per-node", po::value<int>(), "CPU workers per node when --gpus-per-node 0 (default 1)")
      ("cpus-per-task", po::value<int>()->default_value(4), "CPU cores per rank")
      ("time", po::value<std::string>()->default_value("24:00:00"),
       "time limit per job start, 2 minutes or more (a requeued job gets it again)")
      ("partition", po::value<std::string>(), "partition")
      ("account", po::value<std::string>(), "account")
      ("launcher", po::value<std::string>()->default_value("srun"), "srun (srun --mpi=pmix) | mpirun")
      ("array", po::value<std::string>(), "job array indices, e.g. 0-3 (SWEEP may contain %a)")
      ("output,o", po::value<std::string>(), "output directory (default: the sweep's settings.output_dir)")
      ("logs", po::value<std::string>()->default_value("logs"), "folder of the job logs (created now)")
      ("job-name", po::value<std::string>(), "job name (default icsweep-<sweep file name without %a>)")
      ("icsweep", po::value<std::string>(), "path of the icsweep binary on the nodes (default: this one)")
      ("print-output-dir", po::bool_switch(),
       "print the sweep's settings.output_dir as icsweep run resolves it and exit (the script uses it)");
  po::variables_map vm;
  if (!parse_command_line("slurm", args, visible, "sweep", &vm)) return kExitOk;
  if (!vm.count("sweep")) throw UsageError("slurm: missing SWEEP.yaml (see icsweep slurm --help)");
  const std::string sweep_arg = vm["sweep"].as<std::string>();
  if (vm["print-output-dir"].as<bool>()) {
    std::cout << absolute(load_sweep_config(sweep_arg).settings.output_dir) << "\n";
    return kExitOk;
  }

  SlurmJob job;
  job.command_words = args;
  job.nodes = vm["nodes"].as<int>();
  job.gpus_per_node = vm["gpus-per-node"].as<int>();
  job.cpus_per_task = vm["cpus-per-task"].as<int>();
  job.launcher = vm["launcher"].as<std::string>();
  if (job.nodes < 1) throw UsageError("slurm: --nodes must be at least 1");
  if (job.gpus_per_node < 0) throw UsageError("slurm: --gpus-per-node must be 0 or more");
  if (job.cpus_per_task < 1) throw UsageError("slurm: --cpus-per-task must be at least 1");
  if (job.launcher != "srun" && job.launcher != "mpirun") throw UsageError("slurm: --launcher must be srun or mpirun");
  job.workers_per_node = job.gpus_per_node > 0 ? job.gpus_per_node
                                               : (vm.count("workers-per-node") ? vm["workers-per-node"].as<int>() : 1);
  if (job.workers_per_node < 1) throw UsageError("slurm: --workers-per-node must be at least 1");
  job.time = vm["time"].as<std::string>();
  if (vm.count("partition")) job.partition = vm["partition"].as<std::string>();
  if (vm.count("account")) job.account = vm["account"].as<std::string>();
  if (vm.count("array")) job.array = vm["array"].as<std::string>();
  if (!job.array && !fs::exists(sweep_arg)) throw UsageError("slurm: sweep file " + sweep_arg + " not found");
  job.sweep = absolute(sweep_arg);
  if (vm.count("output")) job.output = absolute(vm["output"].as<std::string>());
  job.name = vm.count("job-name") ? vm["job-name"].as<std::string>() : default_job_name(sweep_arg);
  job.icsweep = vm.count("icsweep") ? vm["icsweep"].as<std::string>() : self_path();
  job.logs = absolute(vm["logs"].as<std::string>());
  const std::string script = slurm_script(job);  // checks --time before the folder is made

  std::error_code ec;
  fs::create_directories(job.logs, ec);
  if (ec)
    throw UsageError("slurm: cannot create the log folder " + job.logs + " (" + ec.message() +
                     "): Slurm fails a job whose log folder is missing; choose another with --logs");
  std::cout << script;
  return kExitOk;
}

}  // namespace icsweep
