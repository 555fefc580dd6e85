// Device policy, all of it: which device(s) a worker takes, how a model that asks for several GPUs
// gets them, how many copies of a model a worker runs, and the launch check that every worker of
// `device: cuda` has a GPU of its own. The *_among forms take the visible GPU count as an argument,
// so the rules are testable without GPUs (tests/score/unit_device_choice.cpp).
//
//   preference (settings.device: auto | cpu | cuda | cuda:N)
//     -> owned_devices: the device(s) a worker owns, from its index among the workers of its host
//     -> replica_devices: per copy of the model, the device list its layers are split across
//        (ScorerOptions::device); replica_count: how many copies that makes
// No torch in this header.
#pragma once

#include <string>
#include <vector>

namespace icsweep {

// Number of visible CUDA devices (0 without CUDA).
int cuda_device_count();

// "cuda" or "cuda:N" (as opposed to "cpu", or "none" for a worker without a usable device).
bool is_cuda_device(const std::string& device);

// Device for a worker: `preference` auto | cpu | cuda | cuda:N. auto/cuda pick
// cuda:(local_worker_index mod visible GPUs) when CUDA is available; auto falls back to cpu.
std::string choose_device(const std::string& preference, int local_worker_index);
// The same rule for a given number of visible GPUs (testable without GPUs). UsageError for cuda
// without GPUs, cuda:N beyond the visible ones, or an unknown preference.
std::string choose_device_among(const std::string& preference, int local_worker_index, int visible_gpus);

// The devices a worker owns: with preference auto/cuda on a host with more visible GPUs than
// workers (`local_workers`, this worker's index among them `local_worker_index`), every GPU g with
// g mod local_workers == local_worker_index (2 workers, 8 GPUs: worker 1 owns cuda:1,3,5,7); otherwise
// the one device choose_device gives ("cpu" once on a CPU worker). The first is always choose_device's.
std::vector<std::string> owned_devices(const std::string& preference, int local_worker_index, int local_workers);
// The same rule for a given number of visible GPUs (testable without GPUs); errors as choose_device_among.
std::vector<std::string> owned_devices_among(const std::string& preference, int local_worker_index, int local_workers,
                                             int visible_gpus);

// The device list for a model split across `gpus` devices by a worker bound to `device`: that device
// and the next gpus - 1 GPUs (wrapping around), or the CPU `gpus` times. UsageError when the host has
// fewer than `gpus` visible GPUs. gpus 1: `device` itself.
std::string split_devices(const std::string& device, int gpus, int visible_gpus);

// Copies of a model split across `gpus` devices that a worker owning `owned_devices` devices runs:
// owned_devices / gpus when it owns at least `gpus`, else 1 (that copy borrows GPUs, see replica_devices).
int replica_count(int owned_devices, int gpus);

// ScorerOptions::device of each replica: consecutive groups of `gpus` owned devices (owned cuda:1,3,5,7
// and gpus 2: "cuda:1,cuda:3" and "cuda:5,cuda:7"; leftover devices idle). A worker owning fewer than
// `gpus` devices runs one copy on split_devices(owned[0], gpus, visible_gpus): its GPU and the next
// gpus - 1, wrapping (the CPU repeated on a CPU worker). UsageError as split_devices.
std::vector<std::string> replica_devices(const std::vector<std::string>& owned, int gpus, int visible_gpus);
// The same for this host: the visible GPUs counted when the worker owns GPUs.
std::vector<std::string> replica_devices(const std::vector<std::string>& owned, int gpus);

// With device "cuda" every worker needs its own GPU: the message for worker `local_worker_index`
// (0-based among the workers of its node) when the node shows only `gpus` GPUs; "" when fine.
std::string gpu_count_problem(const std::string& device, int local_worker_index, const std::string& host, int rank,
                              int gpus);
// The same for this host: the visible GPUs counted when the sweep asks for device "cuda".
std::string gpu_count_problem(const std::string& device, int local_worker_index, const std::string& host, int rank);

// Human-readable device description ("cpu (16 threads)", "cuda:0 NVIDIA H200 GPU-uuid").
std::string describe_device(const std::string& device);

}  // namespace icsweep
