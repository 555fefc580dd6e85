// The shared decoder pieces (core/model/{attention,mlp,decoder}.h, families/family_config.h) against hand values and the plain
// computations they replace: head layout and sliding windows read from config.json, the fused q/k/v
// and gate/up projections, and the residual stream with the add fused into the next norm.
#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/model/decoder.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

TEST(HeadLayout, ReadsHeadsAndDefaultsTheHeadDim) {
  auto c = HfConfig::parse(R"({"num_attention_heads": 12, "num_key_value_heads": 4})", "m/config.json");
  const auto heads = HeadLayout::from_hf(c, 768);
  EXPECT_EQ(heads.num_heads, 12);
  EXPECT_EQ(heads.num_kv_heads, 4);
  EXPECT_EQ(heads.head_dim, 64);  // 768 / 12
  EXPECT_EQ(heads.q_dim(), 768);
  EXPECT_EQ(heads.kv_dim(), 256);
  EXPECT_EQ(HeadLayout::from_hf(c, 768, /*default_head_dim=*/128).head_dim, 128);
  auto explicit_dim = HfConfig::parse(R"({"num_attention_heads": 8, "head_dim": 80})", "m/config.json");
  const auto mha = HeadLayout::from_hf(explicit_dim, 512, 128);
  EXPECT_EQ(mha.num_kv_heads, 8);  // no num_key_value_heads: multi-head attention
  EXPECT_EQ(mha.head_dim, 80);
}

TEST(HeadLayout, KvHeadsMustDivideTheHeads) {
  auto c = HfConfig::parse(R"({"num_attention_heads": 12, "num_key_value_heads": 5})", "m/config.json");
  try {
    HeadLayout::from_hf(c, 768);
    ADD_FAILURE() << "12 heads over 5 kv heads accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("m/config.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("num_key_value_heads (5)"), std::string::npos) << e.what();
  }
}

TEST(QwenSlidingWindows, LayerTypesOrMaxWindowLayers) {
  auto by_types = HfConfig::parse(R"({"use_sliding_window": true, "sliding_window": 16,
      "layer_types": ["full_attention", "sliding_attention", "full_attention"]})", "m/config.json");
  EXPECT_EQ(qwen_sliding_windows(by_types, 3), (std::vector<int64_t>{0, 16, 0}));
  auto by_max = HfConfig::parse(R"({"use_sliding_window": true, "sliding_window": 16, "max_window_layers": 2})",
                                "m/config.json");
  EXPECT_EQ(qwen_sliding_windows(by_max, 4), (std::vector<int64_t>{0, 0, 16, 16}));
  auto off = HfConfig::parse(R"({"use_sliding_window": false, "sliding_window": 16})", "m/config.json");
  EXPECT_EQ(qwen_sliding_windows(off, 2), (std::vector<int64_t>{0, 0}));
}

TEST(AttentionProjections, FusedQkvGivesTheSeparateProjections) {
  torch::manual_seed(0);
  const HeadLayout heads{4, 2, 8};
  const int64_t d = 32;
  AttentionProjections w;
  w.q_proj = torch::randn({heads.q_dim(), d});
  w.k_proj = torch::randn({heads.kv_dim(), d});
  w.v_proj = torch::randn({heads.kv_dim(), d});
  w.q_bias = torch::randn({heads.q_dim()});
  w.k_bias = torch::randn({heads.kv_dim()});
  w.v_bias = torch::randn({heads.kv_dim()});
  const AttentionProjections separate = w;
  w.fuse_qkv();
  EXPECT_FALSE(w.q_proj.defined());
  ASSERT_EQ(w.qkv_proj.size(0), heads.q_dim() + 2 * heads.kv_dim());
  const auto x = torch::randn({2, 5, d});
  const auto qkv = project_qkv(w, heads, x);
  EXPECT_EQ(qkv.q.sizes().vec(), (std::vector<int64_t>{2, 5, 4, 8}));
  EXPECT_EQ(qkv.k.sizes().vec(), (std::vector<int64_t>{2, 5, 2, 8}));
  EXPECT_TRUE(torch::allclose(qkv.q.reshape({2, 5, -1}), linear(x, separate.q_proj, separate.q_bias), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(qkv.k.reshape({2, 5, -1}), linear(x, separate.k_proj, separate.k_bias), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(qkv.v.reshape({2, 5, -1}), linear(x, separate.v_proj, separate.v_bias), 1e-5, 1e-5));
}

TEST(Swiglu, FusedGateUpWithBiasesGivesThePlainMlp) {
  torch::manual_seed(1);
  const int64_t d = 16, f = 24;
  SwigluWeights w;
  w.gate = torch::randn({f, d}), w.up = torch::randn({f, d}), w.down = torch::randn({d, f});
  w.gate_bias = torch::randn({f}), w.up_bias = torch::randn({f}), w.down_bias = torch::randn({d});
  const auto x = torch::randn({3, d});
  const auto plain = torch::matmul(torch::silu(torch::matmul(x, w.gate.t()) + w.gate_bias) *
                                       (torch::matmul(x, w.up.t()) + w.up_bias),
                                   w.down.t()) +
                     w.down_bias;
  EXPECT_TRUE(torch::allclose(swiglu(x, w), plain, 1e-4, 1e-4));
  const auto gelu = torch::matmul(torch::gelu(torch::matmul(x, w.gate.t()) + w.gate_bias, "tanh") *
                                      (torch::matmul(x, w.up.t()) + w.up_bias),
                                  w.down.t()) +
                    w.down_bias;
  w.fuse_gate_up();
  EXPECT_FALSE(w.gate.defined());
  EXPECT_TRUE(torch::allclose(swiglu(x, w), plain, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(gated_mlp(x, w, "gelu_pytorch_tanh"), gelu, 1e-4, 1e-4));
}

TEST(ResidualStream, EqualsAddingEachBlockToTheStreamInTurn) {
  torch::manual_seed(2);
  const int64_t d = 8;
  const std::vector<torch::Tensor> norms = {torch::rand({d}) + 0.5, torch::rand({d}) + 0.5, torch::rand({d}) + 0.5};
  const auto final_norm = torch::rand({d}) + 0.5;
  const std::vector<torch::Tensor> mix = {torch::randn({d, d}), torch::randn({d, d}), torch::randn({d, d})};
  auto block = [&](size_t b, const torch::Tensor& h) { return torch::tanh(torch::matmul(h, mix[b])); };
  const auto x0 = torch::randn({2, 3, d});
  auto x = x0.clone();
  for (size_t b = 0; b < norms.size(); ++b) x = x + block(b, rms_norm(x, norms[b], 1e-6));
  const auto expected = rms_norm(x, final_norm, 1e-6);
  ResidualStream stream(x0, 1e-6);
  for (size_t b = 0; b < norms.size(); ++b) stream.add(block(b, stream.norm(norms[b])));
  EXPECT_TRUE(torch::equal(stream.norm(final_norm), expected));
  // No blocks: just the final norm.
  EXPECT_TRUE(torch::equal(ResidualStream(x0, 1e-6).norm(final_norm), rms_norm(x0, final_norm, 1e-6)));
}

TEST(DecoderEnds, SpecsAndTiedHeadCountedOnce) {
  DecoderEnds ends;
  auto &embed = ends.embed_tokens, &norm = ends.norm, &head = ends.lm_head;
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, EndNames{}, 10, 4, /*tied=*/true, ends);
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(specs[1].name, "model.norm.weight");
  EXPECT_EQ(specs[2].name, "lm_head.weight");
  EXPECT_TRUE(specs[2].optional);
  embed = torch::zeros({10, 4}), norm = torch::zeros({4}), head = embed;  // tied: the embedding itself
  ModelInfo info;
  describe_loaded_model(info, "llama", 10, 4, 2, specs, /*tied_head=*/"lm_head.weight");
  EXPECT_EQ(info.num_parameters, 44);  // 40 + 4, the head not again
  EXPECT_EQ(info.family, "llama");
  EXPECT_TRUE(is_saved_rotary_buffer("model.layers.0.self_attn.rotary_emb.inv_freq"));
  EXPECT_FALSE(is_saved_rotary_buffer("model.layers.0.self_attn.q_proj.weight"));
}

}  // namespace
}  // namespace icsweep
