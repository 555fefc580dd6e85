// Layers split across devices (`gpus: k`): placement by hand (also under a nested base name), and a model split across the
// same device listed several times gives the very same hidden states as the unsplit model (a tiny
// llama, and every fixture of tests/fixtures/index.json whose family splits; tests/model/gpu_layer_split.cpp
// repeats this across cuda:0 and the CPU).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/layer_split.h"
#include "demo_tools/tiny_model.h"
#include "model/fixture_index.h"
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

TEST(LayerSplit, AFamilysOwnFinalNormNameGoesWithTheLastLayers) {
  // Falcon-H1 names its final norm model.final_layernorm, LFM2 model.embedding_norm: either must sit
  // beside the last layer, or a split forward mixes devices (seen on an H100 before this was passed).
  torch::Tensor slot;
  std::vector<WeightSpec> specs;
  for (const std::string name : {"model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
                                 "model.final_layernorm.weight", "model.final_layernorm.bias", "model.norm.weight"})
    specs.push_back({name, {1}, &slot});
  const std::vector<torch::Device> two = {torch::Device("cpu"), torch::Device("cuda:1")};
  place_split_layers(specs, two, 2, "model.", "lm_head.weight", "final_layernorm.weight");
  std::vector<std::string> got;
  for (const auto& spec : specs) got.push_back(spec.device ? spec.device->str() : "default");
  EXPECT_EQ(got, (std::vector<std::string>{"default", "cpu", "cuda:1", "cuda:1", "default"}));
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

// Every checkpoint fixture of the index: a family that says it splits (architecture_splits_layers)
// gives, with the same device listed twice, the unsplit model's hidden states and logits bit for bit
// (tied heads, sliding windows, dense and MoE layers, MLA, router biases, MXFP4 experts, nested
// checkpoint names); any other family is refused by name, pointing to `gpus: 1`.
class FixtureSplit : public ::testing::TestWithParam<testing::ModelFixture> {};

TEST_P(FixtureSplit, SplitsLikeTheWholeOrIsRefusedByName) {
  const auto& fixture = GetParam();
  const std::string dir = fixture.dir().string();
  const torch::Device cpu("cpu");
  if (!architecture_splits_layers(fixture.architecture)) {
    try {
      load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>(2, cpu));
      ADD_FAILURE() << fixture.architecture << " does not say it splits, yet it was split";
    } catch (const ModelError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("llama"), std::string::npos) << what;
      EXPECT_NE(what.find(fixture.architecture), std::string::npos) << what;
      EXPECT_NE(what.find("gpus: 1"), std::string::npos) << what;
    }
    return;
  }
  torch::InferenceMode guard;
  auto whole = load_causal_lm(dir, torch::kFloat32, cpu);
  auto split = load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>(2, cpu));
  const auto ids = torch::randint(0, whole->info().vocab_size, {2, 11}, torch::TensorOptions().dtype(torch::kInt64));
  const auto want = whole->forward_hidden(ids), got = split->forward_hidden(ids);
  EXPECT_TRUE(torch::equal(got, want));
  EXPECT_TRUE(torch::equal(split->logits(got.reshape({-1, got.size(2)})), whole->logits(want.reshape({-1, want.size(2)}))));
  EXPECT_EQ(split->info().num_parameters, whole->info().num_parameters);
}

INSTANTIATE_TEST_SUITE_P(Fixture, FixtureSplit, ::testing::ValuesIn(testing::model_fixtures("checkpoint")),
                         testing::FixtureName());

// The declaration is not vacuous: most families split, and some do not.
TEST(LayerSplit, BothSplittingAndNonSplittingFamiliesAreExercised) {
  int splitting = 0, refused = 0;
  for (const auto& f : testing::model_fixtures("checkpoint")) (architecture_splits_layers(f.architecture) ? splitting : refused)++;
  EXPECT_GE(splitting, 20);
  EXPECT_GE(refused, 5);
}

}  // namespace
}  // namespace icsweep
