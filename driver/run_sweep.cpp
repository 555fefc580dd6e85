#include "driver/run_sweep.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "core/common/errors.h"
#include "core/score/devices.h"
#include "core/store/text_table.h"
#include "driver/run_summary.h"
#include "driver/signals.h"
#include "protocol/in_process_transport.h"
#include "protocol/messages.h"
#include "protocol/mpi_transport.h"
#include "worker/worker.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

WorkerOptions worker_options(const SweepConfig& config) {
  WorkerOptions w;
  w.device = config.settings.device;
  w.threads = config.settings.threads;
  return w;
}

void check_output_writable(const std::string& dir) {
  const std::string problem = output_dir_problem(dir);
  if (!problem.empty())
    throw ConfigError(problem + "; choose another with --output or settings.output_dir");
}

// Progress on stdout beside a readable summary; on stderr when stdout carries csv, json or markdown.
std::ostream& progress_stream(const RunRequest& request) {
  return request.summary_format == TableFormat::kTable ? std::cout : std::cerr;
}

int run_in_process(const SweepConfig& config, const RunRequest& request, SweepOutcome* outcome) {
  const int workers = std::max(1, request.in_process_workers);
  InProcessHub hub(workers + 1);
  std::vector<std::thread> threads;
  std::vector<std::string> worker_errors(workers);
  for (int w = 1; w <= workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto transport = hub.connect(w);
        run_worker(*transport, worker_options(config));
      } catch (const std::exception& e) {
        worker_errors[w - 1] = e.what();
      }
    });
  }
  auto transport = hub.connect(0);
  try {
    *outcome = run_driver(config, *transport, request.driver, progress_stream(request));
  } catch (const HungBatchError& e) {
    // A hung worker thread cannot be joined or cancelled: end the process (the journal is durable).
    std::cerr << "icsweep: " << e.what() << std::endl;
    std::_Exit(kExitAborted);
  } catch (...) {
    // Release the worker threads before propagating the error.
    for (int w = 1; w <= workers; ++w) transport->send(w, MessageTag::kStop, encode(StopMessage{0}));
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
  for (const auto& e : worker_errors)
    if (!e.empty()) throw Error("worker thread failed: " + e);
  return outcome->exit_code;
}

// Under Slurm the world must be the allocation's tasks: a mismatch means a wrong -np or a launcher
// that did not wire the ranks together (e.g. srun without --mpi=pmix starts N 1-rank worlds).
std::string slurm_task_count_problem(int world_size) {
  const char* ntasks = std::getenv("SLURM_NTASKS");
  if (!ntasks || !*ntasks) return "";
  char* end = nullptr;
  const long n = std::strtol(ntasks, &end, 10);
  if (*end != '\0' || n == world_size) return "";
  return "SLURM_NTASKS=" + std::string(ntasks) + " but the MPI world has " + std::to_string(world_size) +
         " rank(s): start one rank per Slurm task (srun --mpi=pmix icsweep run ..., or mpirun without -np "
         "inside the allocation), or unset SLURM_NTASKS when running outside Slurm";
}

// srun without a working --mpi plugin starts SLURM_STEP_NUM_TASKS processes that are each alone in an
// MPI world of 1: each would run the whole sweep on its own. Only the step's first task speaks.
std::string slurm_step_problem(int world_size, bool* speak) {
  const char* step_tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  const char* procid = std::getenv("SLURM_PROCID");
  *speak = !procid || std::string(procid) == "0";
  if (world_size != 1 || !step_tasks) return "";
  const long n = std::strtol(step_tasks, nullptr, 10);
  if (n <= 1) return "";
  return "this is one of the " + std::to_string(n) + " tasks of a Slurm step (SLURM_STEP_NUM_TASKS=" +
         step_tasks + "), but the MPI world has 1 rank: the launcher did not join the tasks into one "
         "world. Start the ranks with srun --mpi=pmix (srun --mpi=list shows the plugins) or with mpirun "
         "inside the allocation";
}

}  // namespace

constexpr int kMaxInProcessWorkers = 256;

int run_sweep_command(const RunRequest& request, SweepOutcome* outcome_out, const SweepConfig* given) {
  install_stop_signal_handlers();
  std::unique_ptr<MpiSession> mpi;
  if (launched_by_mpi_launcher()) mpi = std::make_unique<MpiSession>(nullptr, nullptr);
  const bool driver_rank = !mpi || mpi->rank() == 0;

  SweepConfig config;
  try {
    config = given ? *given : load_sweep_config(request.sweep_path);
    if (request.sample_limit > 0) config.settings.sample_limit = request.sample_limit;
    if (!request.output_override.empty()) config.settings.output_dir = fs::absolute(request.output_override).string();
    if (!request.device_override.empty()) {
      if (!valid_device(request.device_override))
        throw UsageError("--device " + request.device_override + ": not a device; expected auto, cpu, cuda or cuda:N");
      config.settings.device = request.device_override;
    }
    if (request.in_process_workers < 1 || request.in_process_workers > kMaxInProcessWorkers)
      throw UsageError("--workers " + std::to_string(request.in_process_workers) + ": must be between 1 and " +
                       std::to_string(kMaxInProcessWorkers) + " (worker threads of a run without mpirun)");
    if (driver_rank) check_output_writable(config.settings.output_dir);
  } catch (const std::exception& e) {
    // Every rank reads the same file and fails the same way; only rank 0 speaks.
    if (driver_rank) std::cerr << "icsweep: " << e.what() << std::endl;
    return kExitUsage;
  }

  bool speak = true;
  if (const std::string problem = slurm_step_problem(mpi ? mpi->size() : 1, &speak); !problem.empty()) {
    if (speak) std::cerr << "icsweep: " << problem << std::endl;
    return kExitUsage;
  }
  if (mpi) {
    // Every rank sees the same environment, so every rank takes the same branch.
    const std::string problem = slurm_task_count_problem(mpi->size());
    if (!problem.empty()) {
      if (driver_rank) std::cerr << "icsweep: " << problem << std::endl;
      return kExitUsage;
    }
  }

  SweepOutcome outcome;
  int code = kExitOk;
  if (!mpi || mpi->size() == 1) {
    code = run_in_process(config, request, &outcome);
  } else if (driver_rank) {
    auto transport = mpi->transport();
    try {
      outcome = run_driver(config, *transport, request.driver, progress_stream(request));
    } catch (const HungBatchError& e) {
      abort_job(e.what(), kExitAborted);
    } catch (const ConfigError& e) {
      // Found before any model loaded (driver/preflight.h); the workers were released and have ended.
      std::cerr << "icsweep: " << e.what() << std::endl;
      return kExitUsage;
    } catch (const UsageError& e) {
      abort_job(e.what(), kExitUsage);
    } catch (const std::exception& e) {
      // The same error exits 1 as it does without mpirun (3 is for a failed rank or a hung batch).
      abort_job(std::string("driver failed: ") + e.what(), kExitFailure);
    }
    code = outcome.exit_code;
  } else {
    auto transport = mpi->transport();
    // Only this rank sees its GPUs: the extra workers end the job (exit 2) with the reason.
    const std::string gpu_problem = gpu_count_problem(config.settings.device, transport->local_worker_index(),
                                                      transport->host(), mpi->rank());
    if (!gpu_problem.empty()) abort_job(gpu_problem, kExitUsage);
    WorkerOptions options = worker_options(config);
    options.stop_signal = stop_signal;  // a signal on this rank alone still stops the sweep
    try {
      run_worker(*transport, options);
    } catch (const std::exception& e) {
      abort_job("worker rank " + std::to_string(mpi->rank()) + " failed: " + e.what());
    }
    return kExitOk;
  }
  if (request.print_summary) print_run_summary(outcome, config, request.summary_format, stdout, stderr);
  if (outcome_out) *outcome_out = outcome;
  return code;
}

}  // namespace icsweep
