#include "driver/preflight.h"

#include <algorithm>
#include <set>

#include "core/common/errors.h"
#include "core/score/devices.h"

namespace icsweep {
namespace {

// `device` (settings.device) and each model's gpus against the GPUs this process sees.
void check_visible_devices(const SweepConfig& config, int visible, std::vector<std::string>* problems) {
  const std::string& device = config.settings.device;
  std::string first;
  try {
    first = choose_device_among(device, 0, visible);
  } catch (const std::exception& e) {
    problems->push_back("settings.device: " + std::string(e.what()));
    return;
  }
  for (const auto& m : config.models) {
    if (m.gpus <= 1 || !is_cuda_device(first)) continue;
    try {
      split_devices(first, m.gpus, visible);
    } catch (const std::exception& e) {
      problems->push_back("model " + m.name + " (gpus: " + std::to_string(m.gpus) + "): " + e.what());
    }
  }
}

}  // namespace

std::vector<ModelCheck> check_sweep_models(const SweepConfig& config) {
  std::vector<ModelCheck> checks;
  for (const auto& m : config.models)
    checks.push_back(check_model(m, config.settings.flops_profile, config.settings.max_sample_length));
  return checks;
}

std::vector<std::string> preflight_problems(const SweepConfig& config, const std::vector<ModelCheck>& checks,
                                            const SweepPlan& plan, const DeviceView& devices) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (seen.insert(p).second) problems.push_back(p);
  };
  for (const auto& c : checks)
    for (const auto& p : c.problems) add("model " + c.name + ": " + p);
  // A model's problem fails all of its cells with the same message: listed once, above.
  for (const auto& cell : plan.cells) {
    if (cell.failure.empty()) continue;
    const bool known = std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
      return p.find(cell.failure) != std::string::npos;
    });
    if (!known) add(cell.failure_kind == "dataset" ? "dataset " + cell.dataset.name + ": " + cell.failure
                                                   : "cell " + cell.key + " (" + cell.failure_kind + "): " + cell.failure);
  }
  for (const auto& m : config.models)
    if (devices.planned_gpus > 0 && m.gpus > devices.planned_gpus)
      add("model " + m.name + ": gpus: " + std::to_string(m.gpus) + " (its layers split across " +
          std::to_string(m.gpus) + " GPUs) but the plan has " + std::to_string(devices.planned_gpus) + " (--gpus)");
  if (devices.visible_gpus >= 0) {  // this process's workers: the check above says why they have no device
    check_visible_devices(config, devices.visible_gpus, &problems);
    return problems;
  }
  for (size_t w = 0; w < devices.worker_devices.size(); ++w)
    if (devices.worker_devices[w] == "none")
      add("worker " + std::to_string(w + 1) + " has no usable device: " +
          (w < devices.worker_errors.size() ? devices.worker_errors[w] : std::string("?")));
  return problems;
}

SweepPlan plan_and_check(const SweepConfig& config, bool cuda_workers, const DeviceView& devices, int threads,
                         std::vector<std::string>* problems) {
  const int64_t budget = config.settings.tokens_per_batch > 0 ? config.settings.tokens_per_batch
                                                              : default_token_budget(cuda_workers);
  SweepPlan plan = build_plan(config, budget, std::max(1, threads));
  for (auto& p : preflight_problems(config, check_sweep_models(config), plan, devices)) problems->push_back(std::move(p));
  return plan;
}

std::string preflight_message(const std::string& sweep_path, const std::vector<std::string>& problems) {
  std::string message = sweep_path + ": " + std::to_string(problems.size()) +
                        " problem(s) found before any model was loaded (nothing was scored):";
  for (const auto& p : problems) message += "\n  " + p;
  return message;
}

void throw_preflight_problems(const std::string& sweep_path, const std::vector<std::string>& problems) {
  if (!problems.empty()) throw ConfigError(preflight_message(sweep_path, problems));
}

}  // namespace icsweep
