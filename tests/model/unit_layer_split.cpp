// Layers split across devices (issue 7, `gpus: k`): placement by hand, and a model split across the
// same device listed several times gives the very same hidden states as the unsplit model (the
// multi-GPU run is issue 9; tests/model/gpu_layer_split.cpp repeats this with cuda:0 twice).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/llama.h"
#include "core/model/tiny_model.h"
#include "test_paths.h"

namespace icsweep {
namespace {

TEST(LayerSplit, ContiguousBalancedBlocksByHand) {
  const std::vector<torch::Device> two = {torch::Device("cpu"), torch::Device("cuda:1")};
  // 5 layers on 2 devices: layer i on devices[i * 2 / 5] -> 0, 0, 0, 1, 1.
  std::vector<std::string> got;
  for (int64_t i = 0; i < 5; ++i) got.push_back(layer_device(two, i, 5).str());
  EXPECT_EQ(got, (std::vector<std::string>{"cpu", "cpu", "cpu", "cuda:1", "cuda:1"}));
  EXPECT_EQ(layer_device({torch::Device("cpu")}, 3, 5).str(), "cpu");
}

TEST(LayerSplit, SameDeviceListedTwiceOrThriceGivesIdenticalHiddenStates) {
  TinyModelOptions tiny;
  tiny.out_dir = testing::scratch_dir("layer_split_model");
  tiny.layers = 3;
  tiny.seed = 9;
  tiny.tie_embeddings = true;  // the split keeps its own copy of the tied head beside the last layers
  make_tiny_model(tiny);
  torch::InferenceMode guard;
  const auto ids = torch::randint(0, 200, {2, 13}, torch::TensorOptions().dtype(torch::kInt64));
  const torch::Device cpu("cpu");
  auto whole = load_causal_lm(tiny.out_dir, torch::kFloat32, cpu);
  const auto want = whole->forward_hidden(ids);
  for (size_t k : {2, 3}) {
    auto split = load_causal_lm(tiny.out_dir, torch::kFloat32, std::vector<torch::Device>(k, cpu));
    const auto got = split->forward_hidden(ids);
    EXPECT_TRUE(torch::equal(got, want)) << k << " devices";
    EXPECT_TRUE(torch::equal(split->logits(got.reshape({-1, got.size(2)})), whole->logits(want.reshape({-1, want.size(2)}))));
    EXPECT_EQ(split->info().num_parameters, whole->info().num_parameters);
  }
}

TEST(LayerSplit, OtherFamiliesAreRefusedByName) {
  const std::string qwen3 = (std::filesystem::path(testing::source_dir()) / "tests/fixtures/qwen3_gqa_head_dim").string();
  const std::vector<torch::Device> twice(2, torch::Device("cpu"));
  try {
    load_causal_lm(qwen3, torch::kFloat32, twice);
    ADD_FAILURE() << "a qwen3 model was split";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("llama family"), std::string::npos) << what;
    EXPECT_NE(what.find("Qwen3ForCausalLM"), std::string::npos) << what;
    EXPECT_NE(what.find("gpus: 1"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace icsweep
