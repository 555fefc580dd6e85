// The FP8 fixtures tests/model/gen_fp8_fixtures.py writes under tests/fixtures_fp8/ (one format each):
// shared by the CPU parity test (golden_fp8.cpp) and the CUDA one (gpu_fp8_parity.cpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "test_paths.h"

namespace icsweep::testing {

// Listed, not globbed: a missing folder fails instead of shrinking the list.
inline const std::vector<std::string> kFp8Fixtures = {
    "fp8_deepseek_v3_block_f32", "fp8_deepseek_v3_ue8m0", "fp8_llama_block_bf16_scales", "fp8_qwen3_tensor_static",
    "ct_llama_channel",          "ct_llama_tensor",       "ct_qwen3_block_padded"};

inline std::filesystem::path fp8_fixture_dir(const std::string& name) {
  return std::filesystem::path(source_dir()) / "tests" / "fixtures_fp8" / name;
}

}  // namespace icsweep::testing
