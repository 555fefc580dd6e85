// `icsweep slurm SWEEP.yaml --nodes N --gpus-per-node G`: checks the sweep as `icsweep run` does before
// loading a model (driver/preflight.h), then prints a ready sbatch script (slurm/README.md,
// the text in driver/slurm_script.cpp). Layout: rank 0 drives (no GPU), G workers per node take one GPU
// each, so N*G+1 tasks, G+1 on the first node and G on the others (cyclic distribution). Slurm warns the
// batch shell a quarter of the time limit (at most 10 minutes) before it; the trap creates the stop
// file, the sweep exits 75 and the script requeues the job, which resumes from the journal.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "core/score/devices.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/preflight.h"
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


// The sweep files of the job: SWEEP, or with --array each task's (%a replaced by its id).
std::vector<std::string> sweep_files(const std::string& sweep_arg, const std::optional<std::string>& array) {
  if (!array || sweep_arg.find("%a") == std::string::npos) return {sweep_arg};
  std::vector<std::string> files;
  for (int id : slurm_array_indices(*array)) {
    std::string file = sweep_arg;
    for (size_t at; (at = file.find("%a")) != std::string::npos;) file.replace(at, 2, std::to_string(id));
    files.push_back(file);
  }
  return files;
}

// The sweep's device against the GPUs asked for: a contradiction is legal but probably a mistake.
void warn_about_devices(const SweepConfig& config, const SlurmJob& job) {
  const std::string& device = config.settings.device;
  if (job.gpus_per_node > 0 && device == "cpu")
    std::cerr << "icsweep slurm: warning: " << config.source_path << " has settings.device cpu but the job asks for "
              << job.gpus_per_node << " GPU(s) per node: they would idle (use --gpus-per-node 0, or device auto)\n";
  if (job.gpus_per_node == 0 && is_cuda_device(device))
    std::cerr << "icsweep slurm: warning: " << config.source_path << " has settings.device " << device
              << " but the job asks for no GPU (--gpus-per-node 0): its workers would find none\n";
  if (job.gpus_per_node > 1 && device.rfind("cuda:", 0) == 0)
    std::cerr << "icsweep slurm: warning: " << config.source_path << " has settings.device " << device
              << ": every worker of a node would share that one GPU of the " << job.gpus_per_node << " requested\n";
}

// Every sweep of the job checked as `icsweep run` checks it before loading a model: all problems.
std::vector<std::string> check_sweeps(const std::string& sweep_arg, const SlurmJob& job) {
  std::vector<std::string> problems;
  for (const std::string& file : sweep_files(sweep_arg, job.array)) {
    try {
      SweepConfig config = load_sweep_config(file);
      if (job.output) config.settings.output_dir = *job.output;
      warn_about_devices(config, job);
      if (const std::string p = output_dir_problem(config.settings.output_dir); !p.empty()) problems.push_back(file + ": " + p);
      DeviceView devices;
      devices.planned_gpus = job.gpus_per_node > 0 ? job.gpus_per_node : -1;
      std::vector<std::string> found;
      const bool cuda = job.gpus_per_node > 0 && config.settings.device != "cpu";
      plan_and_check(config, cuda, devices, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), &found);
      if (!found.empty()) problems.push_back(preflight_message(file, found));
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

po::options_description slurm_options() {
  po::options_description visible(
      "Usage: icsweep slurm SWEEP.yaml --nodes N --gpus-per-node G [options] > job.sbatch\n\n"
      "Checks the sweep as `icsweep run` does before loading a model (exit 2 with every problem, no\n"
      "script), then prints an sbatch script for it: rank 0 drives, G workers per node use one GPU each\n"
      "(N*G+1 tasks). Logs go to LOGS/%x-%j.out (arrays: LOGS/%x-%A_%a.out); the folder is created now.\n"
      "Slurm signals the batch shell a quarter of --time (at most 10 minutes) before the limit; the script\n"
      "then stops the sweep (exit 75) and requeues the job, which resumes. A plain scancel stops it too,\n"
      "without requeueing.\n"
      "With --array, SWEEP may contain %a (replaced by the array task id): one sweep per model group;\n"
      "task I writes OUTPUT/group-I, where OUTPUT is --output, else that task's sweep's\n"
      "settings.output_dir. Join them with icsweep merge OUTPUT/group-*/results.h5 -o all.h5.\n\nOptions");
  visible.add_options()
      ("help,h", "show this help")
      ("nodes", po::value<int>()->default_value(1), "nodes")
      ("gpus-per-node", po::value<int>()->default_value(1), "GPUs (= workers) per node; 0 = CPU workers")
      ("workers-per-node", po::value<int>(), "CPU workers per node when --gpus-per-node 0 (default 1)")
      ("cpus-per-task", po::value<int>()->default_value(4), "CPU cores per rank")
      ("mem", po::value<std::string>(), "memory per node (#SBATCH --mem, e.g. 200G)")
      ("time", po::value<std::string>()->default_value("24:00:00"),
       "time limit per job start, 2 minutes or more (a requeued job gets it again)")
      ("partition", po::value<std::string>(), "partition")
      ("account", po::value<std::string>(), "account")
      ("qos", po::value<std::string>(), "quality of service")
      ("constraint", po::value<std::string>(), "node features, e.g. h100 (#SBATCH --constraint)")
      ("sbatch-line", po::value<std::vector<std::string>>()->composing(),
       "any other sbatch option, written as '#SBATCH LINE' (repeatable), e.g. --sbatch-line=--exclusive")
      ("setup", po::value<std::vector<std::string>>()->composing(),
       "a shell line run before icsweep on the first node (repeatable), e.g. 'module load openmpi' or "
       "'source venv/bin/activate'")
      ("launcher", po::value<std::string>()->default_value("srun"), "srun | mpirun")
      ("mpi", po::value<std::string>()->default_value("pmix"), "the MPI plugin of srun (srun --mpi=list shows them)")
      ("array", po::value<std::string>(), "job array indices, e.g. 0-3 (SWEEP may contain %a)")
      ("output,o", po::value<std::string>(), "output directory (default: the sweep's settings.output_dir)")
      ("logs", po::value<std::string>()->default_value("logs"), "folder of the job logs (created now)")
      ("job-name", po::value<std::string>(), "job name (default icsweep-<sweep file name without %a>)")
      ("icsweep", po::value<std::string>(), "path of the icsweep binary on the nodes (default: this one)")
      ("print-output-dir", po::bool_switch(),
       "print the sweep's settings.output_dir as icsweep run resolves it and exit (the script uses it)");
  return visible;
}

std::optional<std::string> optional_string(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? std::optional<std::string>(vm[key].as<std::string>()) : std::nullopt;
}

SlurmJob read_job(const po::variables_map& vm, const std::vector<std::string>& args, const std::string& sweep_arg) {
  SlurmJob job;
  job.command_words = args;
  job.nodes = vm["nodes"].as<int>();
  job.gpus_per_node = vm["gpus-per-node"].as<int>();
  job.cpus_per_task = vm["cpus-per-task"].as<int>();
  job.launcher = vm["launcher"].as<std::string>();
  job.mpi = vm["mpi"].as<std::string>();
  if (job.nodes < 1) throw UsageError("slurm: --nodes must be at least 1");
  if (job.gpus_per_node < 0) throw UsageError("slurm: --gpus-per-node must be 0 or more");
  if (job.cpus_per_task < 1) throw UsageError("slurm: --cpus-per-task must be at least 1");
  if (job.launcher != "srun" && job.launcher != "mpirun") throw UsageError("slurm: --launcher must be srun or mpirun");
  if (job.mpi.empty() || job.mpi.find_first_of(" '\"\\;$`") != std::string::npos)
    throw UsageError("slurm: --mpi " + job.mpi + ": give a plugin name such as pmix, pmix_v4 or pmi2");
  job.workers_per_node = job.gpus_per_node > 0 ? job.gpus_per_node
                                               : (vm.count("workers-per-node") ? vm["workers-per-node"].as<int>() : 1);
  if (job.workers_per_node < 1) throw UsageError("slurm: --workers-per-node must be at least 1");
  job.time = vm["time"].as<std::string>();
  job.partition = optional_string(vm, "partition");
  job.account = optional_string(vm, "account");
  job.array = optional_string(vm, "array");
  job.mem = optional_string(vm, "mem");
  job.constraint = optional_string(vm, "constraint");
  job.qos = optional_string(vm, "qos");
  if (vm.count("sbatch-line")) job.sbatch_lines = vm["sbatch-line"].as<std::vector<std::string>>();
  if (vm.count("setup")) job.setup_lines = vm["setup"].as<std::vector<std::string>>();
  job.sweep = absolute(sweep_arg);
  if (vm.count("output")) job.output = absolute(vm["output"].as<std::string>());
  job.name = vm.count("job-name") ? vm["job-name"].as<std::string>() : default_job_name(sweep_arg);
  job.icsweep = vm.count("icsweep") ? vm["icsweep"].as<std::string>() : self_path();
  job.logs = absolute(vm["logs"].as<std::string>());
  return job;
}

}  // namespace

int cmd_slurm(const std::vector<std::string>& args) {
  const po::options_description visible = slurm_options();
  po::variables_map vm;
  if (!parse_command_line("slurm", args, visible, "sweep", &vm)) return kExitOk;
  if (!vm.count("sweep")) throw UsageError("slurm: missing SWEEP.yaml (see icsweep slurm --help)");
  const std::string sweep_arg = vm["sweep"].as<std::string>();
  if (vm["print-output-dir"].as<bool>()) {
    std::cout << absolute(load_sweep_config(sweep_arg).settings.output_dir) << "\n";
    return kExitOk;
  }
  const SlurmJob job = read_job(vm, args, sweep_arg);
  const std::string script = slurm_script(job);  // checks --time before the folder is made
  if (const auto problems = check_sweeps(sweep_arg, job); !problems.empty()) {
    for (const auto& p : problems) std::cerr << "icsweep slurm: " << p << "\n";
    std::cerr << "icsweep slurm: no script written: fix the sweep first (icsweep plan SWEEP shows the same checks)\n";
    return kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(job.logs, ec);
  if (ec)
    throw UsageError("slurm: cannot create the log folder " + job.logs + " (" + ec.message() +
                     "): Slurm fails a job whose log folder is missing; choose another with --logs");
  std::cout << script;
  return kExitOk;
}

}  // namespace icsweep
