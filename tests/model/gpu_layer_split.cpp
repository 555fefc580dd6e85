// A llama-family model split across cuda:0 listed twice (and across cuda:0 and the CPU) gives the
// very same bf16 hidden states as the unsplit model on cuda:0; every fixture of a family that splits,
// split across cuda:0 and the CPU, matches its unsplit CPU model.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/config/hf_config.h"

#include <filesystem>

#include "core/model/causal_lm.h"
#include "model/fixture_index.h"
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

// Two real devices for every splitting family's fixtures: the rotary tables and window masks are made
// on each device, the MoE experts run beside their layer, the tied head is copied to the last device.
class GpuFixtureSplit : public ::testing::TestWithParam<testing::ModelFixture> {};

std::vector<testing::ModelFixture> splitting_fixtures() {
  std::vector<testing::ModelFixture> out;
  for (const auto& f : testing::model_fixtures("checkpoint"))
    if (architecture_splits_layers(f.architecture)) out.push_back(f);
  return out;
}

TEST_P(GpuFixtureSplit, AcrossCudaAndCpuMatchesTheCpuModel) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  const auto& fixture = GetParam();
  torch::InferenceMode guard;
  const torch::Device cuda("cuda:0"), cpu("cpu");
  const std::string dir = fixture.dir().string();
  auto cpu_whole = load_causal_lm(dir, torch::kFloat32, cpu);
  auto mixed = load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>{cuda, cpu});
  // Sparse attention (DeepSeek-V3.2, GLM-5) picks each query's index_topk best-scored keys: equal scores
  // (every indexer head's relu 0) break one way on CUDA and another on the CPU, in transformers too, so
  // the devices are compared where every causal key is picked (lengths up to index_topk); the CPU
  // parity test checks the choice itself against transformers.
  const int64_t length = std::min<int64_t>(13, HfConfig::load(dir).text().get_int("index_topk", 13));
  const auto ids =
      torch::randint(0, cpu_whole->info().vocab_size, {2, length}, torch::TensorOptions().dtype(torch::kInt64));
  const auto hidden = mixed->forward_hidden(ids.to(cuda));
  EXPECT_TRUE(hidden.device().is_cpu());
  const auto want = cpu_whole->forward_hidden(ids);
  EXPECT_LE((hidden - want).abs().max().item<double>(), 1e-4);
  const auto logits = mixed->logits(hidden.reshape({-1, hidden.size(2)}));
  EXPECT_LE((logits - cpu_whole->logits(want.reshape({-1, want.size(2)}))).abs().max().item<double>(), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Fixture, GpuFixtureSplit, ::testing::ValuesIn(splitting_fixtures()),
                         testing::FixtureName());

}  // namespace
}  // namespace icsweep
