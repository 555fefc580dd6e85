// CUDA runtime queries that libtorch's C++ API lacks (device name and UUID, cache release).
// Compiled against the CUDA runtime when the build has it (ICSWEEP_HAVE_CUDART), else stubs.
#pragma once

#include <cstdint>
#include <string>

namespace icsweep {

// "NVIDIA H200 GPU-1234abcd-..." for device `index`; "unknown CUDA device" without the runtime.
std::string cuda_device_name(int index);

// Bytes free on device `index` (cudaMemGetInfo; memory torch's allocator caches counts as used);
// 0 without the runtime.
int64_t cuda_free_bytes(int index);

// Compute capability of device `index` as major * 10 + minor (89 for sm_89); 0 without the runtime.
int cuda_compute_capability(int index);

// Returns cached, unused CUDA memory to the driver after an out-of-memory error.
void cuda_empty_cache();

}  // namespace icsweep
