// A llama-family model split across cuda:0 listed twice (and across cuda:0 and the CPU) gives the
// very same bf16 hidden states as the unsplit model on cuda:0 (issue 7; several GPUs: issue 9).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/model/causal_lm.h"
#include "test_paths.h"

namespace icsweep {
namespace {

TEST(GpuLayerSplit, CudaZeroTwiceEqualsUnsplit) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  const std::string dir = (std::filesystem::path(testing::source_dir()) / "tests/fixtures/llama_gqa").string();
  torch::InferenceMode guard;
  const torch::Device cuda("cuda:0");
  const auto ids = torch::randint(0, 100, {3, 17}, torch::TensorOptions().dtype(torch::kInt64)).to(cuda);
  auto whole = load_causal_lm(dir, torch::kBFloat16, cuda);
  const auto want = whole->forward_hidden(ids).cpu();
  auto twice = load_causal_lm(dir, torch::kBFloat16, std::vector<torch::Device>{cuda, cuda});
  EXPECT_TRUE(torch::equal(twice->forward_hidden(ids).cpu(), want));
  // Across two real devices the activations do move: CUDA first, the CPU second (fp32 on both, as the
  // CPU lacks some bf16 kernels): equal to the unsplit CPU model within fp32 rounding.
  auto cpu_whole = load_causal_lm(dir, torch::kFloat32, torch::Device("cpu"));
  auto mixed = load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>{cuda, torch::Device("cpu")});
  const auto hidden = mixed->forward_hidden(ids);
  EXPECT_TRUE(hidden.device().is_cpu());
  EXPECT_LE((hidden - cpu_whole->forward_hidden(ids.cpu())).abs().max().item<double>(), 1e-4);
}

}  // namespace
}  // namespace icsweep
