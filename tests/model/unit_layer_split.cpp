// Layers split across devices (`gpus: k`): placement by hand (also under a nested base name), and a model split across the
// same device listed several times gives the very same hidden states as the unsplit model (llama, and
// the families of model/split_fixtures.h; tests/model/gpu_layer_split.cpp
// repeats this with cuda:0 twice).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/layer_split.h"
#include "core/model/tiny_model.h"
#include "model/split_fixtures.h"
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

TEST(LayerSplit, NestedCheckpointNamesArePlacedByTheirBase) {
  // Llama4ForConditionalGeneration as published: language_model.model.* and language_model.lm_head.
  const std::string base = "language_model.model.", head = "language_model.lm_head.weight";
  torch::Tensor slot;
  std::vector<WeightSpec> specs;
  for (const std::string name : {base + "embed_tokens.weight", base + "layers.0.input_layernorm.weight",
                                 base + "layers.1.feed_forward.router.weight", base + "norm.weight", head,
                                 std::string("model.layers.1.input_layernorm.weight")})
    specs.push_back({name, {1}, &slot});
  const std::vector<torch::Device> two = {torch::Device("cpu"), torch::Device("cuda:1")};
  const auto layers = place_split_layers(specs, two, 2, base, head);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[1].str(), "cuda:1");
  std::vector<std::string> got;
  for (const auto& spec : specs) got.push_back(spec.device ? spec.device->str() : "default");
  // The embedding stays on the load's default device (the first); a name outside the base is not a layer.
  EXPECT_EQ(got, (std::vector<std::string>{"default", "cpu", "cuda:1", "cuda:1", "cuda:1", "default"}));
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

// The other families that split, on their parity fixtures (tied heads, sliding windows, dense and MoE
// layers): the same device listed twice gives the unsplit model's hidden states and logits bit for bit.
TEST(LayerSplit, OtherSplittableFamiliesSplitLikeTheWhole) {
  torch::InferenceMode guard;
  const torch::Device cpu("cpu");
  for (const std::string& name : testing::kSplitFamilyFixtures) {
    const std::string dir = (std::filesystem::path(testing::source_dir()) / "tests/fixtures" / name).string();
    auto whole = load_causal_lm(dir, torch::kFloat32, cpu);
    auto split = load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>(2, cpu));
    const auto ids = torch::randint(0, whole->info().vocab_size, {2, 11}, torch::TensorOptions().dtype(torch::kInt64));
    const auto want = whole->forward_hidden(ids), got = split->forward_hidden(ids);
    EXPECT_TRUE(torch::equal(got, want)) << name;
    EXPECT_TRUE(torch::equal(split->logits(got.reshape({-1, got.size(2)})), whole->logits(want.reshape({-1, want.size(2)}))))
        << name;
    EXPECT_EQ(split->info().num_parameters, whole->info().num_parameters) << name;
  }
}

TEST(LayerSplit, OtherFamiliesAreRefusedByName) {
  const std::string phi3 = (std::filesystem::path(testing::source_dir()) / "tests/fixtures/phi3_gqa").string();
  const std::vector<torch::Device> twice(2, torch::Device("cpu"));
  try {
    load_causal_lm(phi3, torch::kFloat32, twice);
    ADD_FAILURE() << "a phi3 model was split";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("llama"), std::string::npos) << what;
    EXPECT_NE(what.find("Phi3ForCausalLM"), std::string::npos) << what;
    EXPECT_NE(what.find("gpus: 1"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace icsweep
