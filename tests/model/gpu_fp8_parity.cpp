// FP8 checkpoints on the GPU in bf16 (tests/fixtures_fp8, gen_fp8_fixtures.py): each fixture loaded on
// cuda:0 in both modes must stay within 2e-2 bits per token, mean absolute difference, of its fp32
// reference (dequant: the dequantized model, nll_bits; w8a8: the same model with every FP8 linear's
// input quantized per token and 128-channel group, nll_bits_w8a8), the bound of the bf16 parity test
// (gpu_parity_bf16.cpp): bf16 rounding of weights and activations is the expected difference. Also
// printed: each mode against the other mode's reference, which shows how much w8a8 itself moves.
// Built only when torch has CUDA (label gpu).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/causal_lm.h"
#include "model/fp8_fixtures.h"
#include "model/nll_bits.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;
constexpr double kMeanToleranceBits = 2e-2;

class GpuFp8Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(GpuFp8Parity, BothModesOnCudaInBf16WithinTwoHundredthsOfABit) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  const fs::path dir = testing::fp8_fixture_dir(GetParam());
  std::ifstream in(dir / "logprobs.json");
  const auto ref = nlohmann::json::parse(in);
  const torch::Device cuda("cuda:0");
  for (const auto& [mode, key, other] : {std::tuple{Fp8Mode::kDequant, "nll_bits", "nll_bits_w8a8"},
                                         std::tuple{Fp8Mode::kW8a8, "nll_bits_w8a8", "nll_bits"}}) {
    auto model = load_causal_lm(dir.string(), torch::kBFloat16, cuda, mode);
    const double mean = testing::token_diffs(*model, ref, key, cuda).mean;
    const double against_other = testing::token_diffs(*model, ref, other, cuda).mean;
    std::printf("%-28s %-7s bf16 cuda: mean |diff| %.3e bits (against the %s reference: %.3e)\n",
                GetParam().c_str(), fp8_mode_name(mode), mean, other, against_other);
    EXPECT_LE(mean, kMeanToleranceBits) << GetParam() << " " << fp8_mode_name(mode);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixture, GpuFp8Parity, ::testing::ValuesIn(testing::kFp8Fixtures),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace icsweep
