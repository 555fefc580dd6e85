// The checks a sweep passes before any model loads (`icsweep run`, `run --dry-run`, `plan`, `slurm`):
// every model loads as far as can be known without its weights (driver/model_check.h: config.json, a
// registry family or TorchScript, safetensors headers, dtype, FLOPs profile, tokenizer), every cell
// of the plan was built (datasets read and tokenized, ids inside the embedding), and the devices the
// sweep asks for are there. Every problem is listed at once.
#pragma once

#include <string>
#include <vector>

#include "core/config/sweep_config.h"
#include "driver/model_check.h"
#include "driver/plan.h"

namespace icsweep {

// What the checks know of the devices. `visible_gpus` < 0: unknown here (the driver rank of an MPI
// job: its workers may be on other nodes); `worker_devices`: the device each worker reported ("none"
// with the reason in `worker_errors` when it found no usable device).
struct DeviceView {
  int visible_gpus = -1;
  int planned_gpus = -1;  // `icsweep plan --gpus G`: a model's gpus: k must not exceed it; < 0: no plan
  std::vector<std::string> worker_devices, worker_errors;
};

// One check per distinct model (by name), in sweep order.
std::vector<ModelCheck> check_sweep_models(const SweepConfig& config);

// Every problem of the sweep: the models' (`checks`), the plan's failed cells (each message once),
// the devices'. Empty when the sweep can start.
std::vector<std::string> preflight_problems(const SweepConfig& config, const std::vector<ModelCheck>& checks,
                                            const SweepPlan& plan, const DeviceView& devices);

// The plan `icsweep run` would make (workers on CUDA or not: the automatic token budget) and every
// problem preflight_problems finds in it; the problems are appended to `problems`.
SweepPlan plan_and_check(const SweepConfig& config, bool cuda_workers, const DeviceView& devices, int threads,
                         std::vector<std::string>* problems);

// "SWEEP: N problem(s) found before any model was loaded (nothing was scored):" and one line each.
std::string preflight_message(const std::string& sweep_path, const std::vector<std::string>& problems);
// Throws ConfigError(preflight_message(...)) when there are any.
void throw_preflight_problems(const std::string& sweep_path, const std::vector<std::string>& problems);

}  // namespace icsweep
