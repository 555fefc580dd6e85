// Hand-checkable values of the building blocks, loader error listing, registry dispatch.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/safetensors.h"
#include "test_paths.h"

namespace icsweep {
namespace {

TEST(RmsNorm, MatchesHandCalculation) {
  // mean(x^2) = (1 + 4 + 9 + 16) / 4 = 7.5; 1/sqrt(7.5) = 0.3651484
  auto x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f});
  auto w = torch::tensor({1.0f, 1.0f, 1.0f, 2.0f});
  auto y = rms_norm(x, w, 0.0);
  const float r = 0.36514837f;
  EXPECT_NEAR(y[0].item<float>(), 1 * r, 1e-6);
  EXPECT_NEAR(y[1].item<float>(), 2 * r, 1e-6);
  EXPECT_NEAR(y[3].item<float>(), 8 * r, 1e-6);
}

TEST(Rotary, RotatesFirstHalfIntoSecondHalf) {
  // dim 4, theta 10000: inv_freq = [1, 0.01]. At position 1, x = e0 becomes
  // x*cos + rotate_half(x)*sin = [cos 1, 0, sin 1, 0].
  RopeConfig rope;
  rope.dim = 4;
  auto inv = rope_inv_freq(rope, 2);
  EXPECT_NEAR(inv[0].item<float>(), 1.0f, 1e-7);
  EXPECT_NEAR(inv[1].item<float>(), 0.01f, 1e-7);
  auto [cos, sin] = rope_cos_sin(rope, 2, torch::kFloat32, torch::kCPU);  // (T, 4)
  auto x = torch::zeros({1, 1, 2, 4});
  x.index_put_({0, 0, 0, 0}, 1.0f);
  x.index_put_({0, 0, 1, 0}, 1.0f);
  auto y = apply_rotary(x, cos, sin);
  EXPECT_NEAR(y[0][0][1][0].item<float>(), std::cos(1.0), 1e-6);
  EXPECT_NEAR(y[0][0][1][1].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(y[0][0][1][2].item<float>(), std::sin(1.0), 1e-6);
  EXPECT_NEAR(y[0][0][0][0].item<float>(), 1.0, 1e-6) << "position 0 is not rotated";
}

TEST(Rotary, LinearScalingDividesFrequencies) {
  auto c = HfConfig::parse(R"({"rope_scaling": {"type": "linear", "factor": 4.0}})", "config.json");
  auto rope = RopeConfig::from_hf(c, 4);
  auto inv = rope_inv_freq(rope, 8);
  EXPECT_NEAR(inv[0].item<float>(), 0.25f, 1e-7);
  EXPECT_NEAR(inv[1].item<float>(), 0.0025f, 1e-8);
}

TEST(Rotary, UnsupportedRopeTypeNamesKeyAndChoices) {
  auto c = HfConfig::parse(R"({"rope_scaling": {"rope_type": "longrope", "factor": 4.0}})", "m/config.json");
  try {
    RopeConfig::from_hf(c, 4);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("m/config.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'longrope'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("llama3"), std::string::npos) << msg;
  }
}

TEST(Attention, SlidingWindowMask) {
  auto m = attention_mask(4, 2, torch::kCPU);  // (4, 4)
  ASSERT_TRUE(m.defined());
  EXPECT_FALSE(m[3][1].item<bool>());
  EXPECT_TRUE(m[3][2].item<bool>());
  EXPECT_TRUE(m[3][3].item<bool>());
  EXPECT_FALSE(m[1][2].item<bool>()) << "causal";
  EXPECT_FALSE(attention_mask(4, 4, torch::kCPU).defined()) << "window covers everything: plain causal";
}

TEST(Attention, CausalAttentionIgnoresTheFuture) {
  auto q = torch::randn({1, 2, 5, 8}), k = torch::randn({1, 2, 5, 8}), v = torch::randn({1, 2, 5, 8});
  auto full = causal_attention(q, k, v, {});
  auto k2 = k.clone(), v2 = v.clone();
  k2.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), 4}, 100.0f);
  v2.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), 4}, 100.0f);
  auto changed = causal_attention(q, k2, v2, {});
  EXPECT_TRUE(torch::allclose(full.narrow(2, 0, 4), changed.narrow(2, 0, 4), 1e-5, 1e-6));
  // First position attends only to itself: output = v[0].
  EXPECT_TRUE(torch::allclose(full.select(2, 0), v.select(2, 0), 1e-5, 1e-6));
}

TEST(Registry, UnknownArchitectureListsSupported) {
  const auto dir = std::filesystem::path(testing::scratch_dir("registry_unknown"));
  std::ofstream(dir / "config.json") << R"({"architectures": ["FooForCausalLM"], "model_type": "foo"})";
  try {
    load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("FooForCausalLM"), std::string::npos) << msg;
    EXPECT_NE(msg.find("LlamaForCausalLM"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Qwen2ForCausalLM"), std::string::npos) << msg;
    EXPECT_NE(msg.find("MistralForCausalLM"), std::string::npos) << msg;
    for (const char* arch : {"Qwen3ForCausalLM", "Olmo2ForCausalLM", "GPT2LMHeadModel", "GPTNeoXForCausalLM",
                             "Phi3ForCausalLM"})
      EXPECT_NE(msg.find(arch), std::string::npos) << msg;
  }
}

TEST(Rotary, PartialRotaryLeavesTheTailUntouched) {
  auto x = torch::randn({1, 2, 3, 8});
  auto cos = torch::rand({3, 4}), sin = torch::rand({3, 4});
  auto y = apply_partial_rotary(x, cos, sin);
  EXPECT_TRUE(torch::equal(y.narrow(-1, 4, 4), x.narrow(-1, 4, 4)));
  EXPECT_TRUE(torch::allclose(y.narrow(-1, 0, 4), apply_rotary(x.narrow(-1, 0, 4), cos, sin)));
}

TEST(Activation, GeluVariantsMatchTorch) {
  auto x = torch::linspace(-4, 4, 33);
  EXPECT_TRUE(torch::allclose(activation("gelu", x), torch::gelu(x)));
  EXPECT_TRUE(torch::allclose(activation("gelu_new", x), torch::gelu(x, "tanh"), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(activation("silu", x), torch::silu(x)));
  EXPECT_FALSE(activation_supported("quick_gelu"));
  EXPECT_THROW(activation("quick_gelu", x), ModelError);
}

TEST(LayerNorm, MatchesHandCalculation) {
  // mean 2.5, variance 1.25: (x - 2.5) / sqrt(1.25) * w + b
  auto x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f});
  auto y = layer_norm(x, torch::full({4}, 2.0f), torch::full({4}, 0.5f), 0.0);
  EXPECT_NEAR(y[0].item<float>(), -1.5f / std::sqrt(1.25f) * 2 + 0.5f, 1e-5);
  EXPECT_NEAR(y[3].item<float>(), 1.5f / std::sqrt(1.25f) * 2 + 0.5f, 1e-5);
}

TEST(Registry, LoaderListsEveryMissingUnexpectedAndMisshapedTensor) {
  const auto dir = std::filesystem::path(testing::scratch_dir("registry_mismatch"));
  std::ofstream(dir / "config.json") << R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
      "vocab_size": 16, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
      "num_attention_heads": 2, "num_key_value_heads": 1})";
  const std::string four_floats(16, '\0');
  write_safetensors((dir / "model.safetensors").string(),
                    {{"model.embed_tokens.weight", StDtype::kF32, {2, 2}, four_floats},
                     {"model.norm.weight", StDtype::kF32, {4}, four_floats},
                     {"model.extra.weight", StDtype::kF32, {4}, four_floats}});
  try {
    load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    for (const char* needle : {"missing tensors", "lm_head.weight [16, 8]", "model.layers.0.mlp.down_proj.weight",
                               "model.layers.0.self_attn.k_proj.weight [4, 8]", "wrong shapes",
                               "model.embed_tokens.weight: checkpoint has [2, 2], config.json implies [16, 8]",
                               "model.norm.weight", "unexpected tensors", "model.extra.weight"})
      EXPECT_NE(msg.find(needle), std::string::npos) << needle << " missing in:\n" << msg;
  }
}

TEST(Registry, ParseDtype) {
  EXPECT_EQ(parse_dtype("bf16"), torch::kBFloat16);
  EXPECT_EQ(parse_dtype("float16"), torch::kFloat16);
  EXPECT_EQ(parse_dtype("fp32"), torch::kFloat32);
  EXPECT_THROW(parse_dtype("int4"), ModelError);
}

TEST(Attention, ScaledAttentionAtTheDefaultScaleIsCausalAttention) {
  auto q = torch::randn({1, 2, 5, 8}), k = torch::randn({1, 2, 5, 8}), v = torch::randn({1, 2, 5, 8});
  const double scale = 1.0 / std::sqrt(8.0);
  EXPECT_TRUE(torch::allclose(scaled_attention(q, k, v, {}, scale, 0.0), causal_attention(q, k, v, {}), 1e-5, 1e-6));
  auto window = attention_mask(5, 2, torch::kCPU);
  EXPECT_TRUE(
      torch::allclose(scaled_attention(q, k, v, window, scale, 0.0), causal_attention(q, k, v, window), 1e-5, 1e-6));
}

TEST(Attention, SoftcapSquashesTheScoresWithTanh) {
  auto q = torch::randn({1, 1, 3, 4}) * 10, k = torch::randn({1, 1, 3, 4}) * 10, v = torch::randn({1, 1, 3, 4});
  auto scores = torch::tanh(torch::matmul(q, k.transpose(-2, -1)) * 0.5 / 2.0) * 2.0;  // (1, 1, 3, 3)
  scores = scores.masked_fill(torch::ones({3, 3}, torch::kBool).triu(1), -INFINITY);
  auto expected = torch::matmul(torch::softmax(scores, -1), v);
  EXPECT_TRUE(torch::allclose(scaled_attention(q, k, v, {}, 0.5, 2.0), expected, 1e-5, 1e-6));
}

TEST(Rotary, InterleavedRotaryRotatesAdjacentPairs) {
  // GLM pairs (x0, x1), (x2, x3) are rotate_half's pairs (x0, x2), (x1, x3) after de-interleaving.
  auto x = torch::randn({1, 2, 3, 6});
  auto freqs = torch::rand({3, 2});
  auto cos = torch::cat({freqs, freqs}, -1).cos(), sin = torch::cat({freqs, freqs}, -1).sin();  // (3, 4)
  auto order = torch::tensor({0, 2, 1, 3}, torch::kLong);
  auto expected = apply_rotary(x.narrow(-1, 0, 4).index_select(-1, order), cos, sin).index_select(-1, order);
  auto y = apply_interleaved_rotary(x, cos, sin);
  EXPECT_TRUE(torch::allclose(y.narrow(-1, 0, 4), expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(y.narrow(-1, 4, 2), x.narrow(-1, 4, 2)));
}

TEST(Registry, DenseZooArchitecturesAreListed) {
  const auto dir = std::filesystem::path(testing::scratch_dir("registry_zoo1"));
  std::ofstream(dir / "config.json") << R"({"architectures": ["FooForCausalLM"], "model_type": "foo"})";
  try {
    load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    for (const char* arch : {"Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", "Glm4ForCausalLM",
                             "HunYuanDenseV1ForCausalLM", "SeedOssForCausalLM", "InternLM2ForCausalLM"})
      EXPECT_NE(msg.find(arch), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace icsweep
