// libFuzzer target for the sweep YAML loader. Any input must either parse or raise a
// ConfigError with a positive line and column; yaml-cpp's own exceptions (or anything else) escaping
// is a bug, and so is a crash. Path checks are off so the fuzzer explores the schema, not the disk.
//
// Built by CMake with -DICSWEEP_FUZZ=ON and clang (fuzz/CMakeLists.txt), or by hand from the repository root:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     fuzz/fuzz_sweep_yaml.cpp core/config/sweep_config.cpp core/config/yaml_fields.cpp -lyaml-cpp \
//     -o /tmp/fuzz_sweep_yaml
//   mkdir -p /tmp/yaml-corpus && cp configs/*.yaml /tmp/yaml-corpus/
//   /tmp/fuzz_sweep_yaml /tmp/yaml-corpus -max_len=4096 -max_total_time=300
// (yaml-cpp itself is not instrumented; rebuild it with the same flags to fuzz into it.)
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace icsweep;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const SweepConfig config = parse_sweep_config(text, "fuzz.yaml", "/fuzz", /*check_paths=*/false);
    if (config.models.empty() || config.datasets.empty()) std::abort();
    if (config.settings.max_sample_length < 2) std::abort();
  } catch (const ConfigError& error) {
    if (error.line() < 1 || error.column() < 1) std::abort();
  }
  return 0;
}
