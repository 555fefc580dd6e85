#include "core/score/devices.h"

#include <ATen/Parallel.h>
#include <c10/core/Device.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <sstream>

#include "core/common/errors.h"
#include "core/score/cuda_info.h"

namespace icsweep {

int cuda_device_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

bool is_cuda_device(const std::string& device) { return device.rfind("cuda", 0) == 0; }

std::string choose_device(const std::string& preference, int local_worker_index) {
  return choose_device_among(preference, local_worker_index, preference == "cpu" ? 0 : cuda_device_count());
}

std::string choose_device_among(const std::string& preference, int local_worker_index, int gpus) {
  if (preference == "cpu") return "cpu";
  if (preference.rfind("cuda:", 0) == 0) {
    if (gpus == 0) throw UsageError("device '" + preference + "' asked for, but CUDA is not available on this host");
    char* end = nullptr;
    const long index = std::strtol(preference.c_str() + 5, &end, 10);
    if (*end != '\0' || end == preference.c_str() + 5 || index < 0 || index >= gpus)
      throw UsageError("device '" + preference + "': this host has " + std::to_string(gpus) +
                       " visible GPU(s) (cuda:0 to cuda:" + std::to_string(gpus - 1) + ")");
    return preference;
  }
  if (preference != "auto" && preference != "cuda")
    throw UsageError("unknown device '" + preference + "' (use auto, cpu, cuda or cuda:N)");
  if (gpus == 0) {
    if (preference == "cuda") throw UsageError("device 'cuda' asked for, but CUDA is not available on this host");
    return "cpu";
  }
  return "cuda:" + std::to_string(local_worker_index % gpus);
}

std::vector<std::string> owned_devices(const std::string& preference, int local_worker_index, int local_workers) {
  return owned_devices_among(preference, local_worker_index, local_workers,
                             preference == "cpu" ? 0 : cuda_device_count());
}

std::vector<std::string> owned_devices_among(const std::string& preference, int local_worker_index, int local_workers,
                                             int gpus) {
  if (local_workers < 1 || local_worker_index < 0 || local_worker_index >= local_workers)
    throw Error("worker " + std::to_string(local_worker_index) + " of " + std::to_string(local_workers) +
                " on this host: the transport's local worker index is out of range");
  const std::string first = choose_device_among(preference, local_worker_index, gpus);
  const bool shares_the_hosts_gpus = (preference == "auto" || preference == "cuda") && first != "cpu";
  if (!shares_the_hosts_gpus || gpus <= local_workers) return {first};
  std::vector<std::string> owned;  // starts with cuda:local_worker_index == first
  for (int g = local_worker_index; g < gpus; g += local_workers) owned.push_back("cuda:" + std::to_string(g));
  return owned;
}

std::string split_devices(const std::string& device, int gpus, int visible_gpus) {
  if (gpus <= 1) return device;
  std::string list;
  if (device.rfind("cuda", 0) != 0) {
    for (int j = 0; j < gpus; ++j) list += (j ? "," : "") + device;
    return list;
  }
  if (gpus > visible_gpus)
    throw UsageError("the model asks for gpus: " + std::to_string(gpus) + " but this host has " +
                     std::to_string(visible_gpus) + " visible GPU(s)");
  const int first = c10::Device(device).has_index() ? c10::Device(device).index() : 0;
  for (int j = 0; j < gpus; ++j) list += (j ? ",cuda:" : "cuda:") + std::to_string((first + j) % visible_gpus);
  return list;
}

std::string describe_device(const std::string& device) {
  if (device.rfind("cuda", 0) == 0) return device + " " + cuda_device_name(c10::Device(device).index());
  std::ostringstream out;
  out << "cpu (" << at::get_num_threads() << " threads)";
  return out.str();
}

int replica_count(int owned_devices, int gpus) {
  const int per_replica = std::max(1, gpus);
  return owned_devices >= per_replica ? owned_devices / per_replica : 1;
}

std::vector<std::string> replica_devices(const std::vector<std::string>& owned, int gpus, int visible_gpus) {
  if (owned.empty()) throw Error("replica_devices: the worker owns no device");
  const int per_replica = std::max(1, gpus);
  if (static_cast<int>(owned.size()) < per_replica) return {split_devices(owned.front(), per_replica, visible_gpus)};
  std::vector<std::string> lists(replica_count(static_cast<int>(owned.size()), per_replica));
  for (size_t r = 0; r < lists.size(); ++r)
    for (int j = 0; j < per_replica; ++j) lists[r] += (j ? "," : "") + owned[r * per_replica + j];
  return lists;
}

std::vector<std::string> replica_devices(const std::vector<std::string>& owned, int gpus) {
  const int visible_gpus = !owned.empty() && is_cuda_device(owned.front()) ? cuda_device_count() : 0;
  return replica_devices(owned, gpus, visible_gpus);
}

std::string gpu_count_problem(const std::string& device, int local_worker_index, const std::string& host, int rank,
                              int gpus) {
  if (device != "cuda") return "";
  if (gpus == 0 || local_worker_index < gpus) return "";
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return "rank " + std::to_string(rank) + " is worker " + std::to_string(local_worker_index + 1) + " on host " + host +
         ", which has only " + std::to_string(gpus) + " visible GPU(s) (CUDA_VISIBLE_DEVICES=" +
         (visible ? visible : "unset") + ") and the sweep asks for device: cuda; start at most " +
         std::to_string(gpus) + " worker(s) per node (plus the driver on the first node, e.g. "
         "--ntasks-per-node / mpirun --map-by ppr:N:node), or set device: auto to share GPUs";
}

std::string gpu_count_problem(const std::string& device, int local_worker_index, const std::string& host, int rank) {
  return gpu_count_problem(device, local_worker_index, host, rank, device == "cuda" ? cuda_device_count() : 0);
}

}  // namespace icsweep
