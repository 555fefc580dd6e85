#include "core/score/cuda_info.h"

#include <cstdio>

#if defined(ICSWEEP_HAVE_CUDART)
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

namespace icsweep {

#if defined(ICSWEEP_HAVE_CUDART)
std::string cuda_device_name(int index) {
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, index) != cudaSuccess) return "unknown CUDA device";
  char uuid[64];
  const auto* u = reinterpret_cast<const unsigned char*>(props.uuid.bytes);
  std::snprintf(uuid, sizeof uuid, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  return std::string(props.name) + " " + uuid;
}

void cuda_empty_cache() { c10::cuda::CUDACachingAllocator::emptyCache(); }

int cuda_compute_capability(int index) {
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, index) != cudaSuccess) return 0;
  return props.major * 10 + props.minor;
}

int64_t cuda_free_bytes(int index) {
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess || cudaSetDevice(index) != cudaSuccess) return 0;
  size_t free = 0, total = 0;
  const bool ok = cudaMemGetInfo(&free, &total) == cudaSuccess;
  cudaSetDevice(previous);
  return ok ? static_cast<int64_t>(free) : 0;
}
#else
std::string cuda_device_name(int) { return "unknown CUDA device"; }
void cuda_empty_cache() {}
int cuda_compute_capability(int) { return 0; }
int64_t cuda_free_bytes(int) { return 0; }
#endif

}  // namespace icsweep
