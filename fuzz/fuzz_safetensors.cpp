// libFuzzer target for the safetensors header parser: any bytes as a whole .safetensors
// file. The only exception allowed out is ModelError; every entry it accepts must lie inside the
// data region, match numel * dtype size, and not overlap another entry.
//
// Built by CMake with -DICSWEEP_FUZZ=ON and clang (fuzz/CMakeLists.txt), or by hand from the repository root:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     fuzz/fuzz_safetensors.cpp core/model/safetensors.cpp -o /tmp/fuzz_safetensors
//   mkdir -p /tmp/st-corpus && cp tests/fixtures/llama_gqa/model.safetensors /tmp/st-corpus/
//   /tmp/fuzz_safetensors /tmp/st-corpus -max_len=65536 -max_total_time=300
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "core/common/errors.h"
#include "core/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace icsweep;
  std::vector<TensorEntry> entries;
  try {
    entries = parse_safetensors(data, size, "fuzz.safetensors");
  } catch (const ModelError&) {
    return 0;
  }
  std::vector<std::pair<const uint8_t*, const uint8_t*>> spans;
  for (const auto& e : entries) {
    if (e.data < data || e.data + e.nbytes > data + size) std::abort();
    if (static_cast<size_t>(e.numel()) * st_dtype_size(e.dtype) != e.nbytes) std::abort();
    if (e.nbytes > 0) spans.emplace_back(e.data, e.data + e.nbytes);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second) std::abort();
  return 0;
}
