// The `exact` FLOPs profile of Gemma 4, one layer of each kind: sliding, global with a shared K=V
// projection, kv-shared (with the double-wide MLP), per-layer embeddings (PLE) and the MoE block.
// Expected values are worked out by hand in the comments. Every config: d 64, 4 heads, sliding
// layers 2 kv heads of 16, global layers head_dim 32, intermediate 128, V 100, sliding window 2;
// one sequence of L = 4 tokens: a sliding layer attends 1+2+2+2 = 7 keys, a global one 1+2+3+4 = 10.
//   FLOPs = 4 tokens · 2·Σ(attention + MLP weights) + Σ 2·H·(2·Dh)·keys + 4 · 2·64·100
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"
#include "core/model/families/gemma4.h"

namespace icsweep {
namespace {

using nlohmann::json;

json tiny_gemma4(const std::vector<std::string>& layer_types) {
  return {{"model_type", "gemma4_text"}, {"hidden_size", 64}, {"num_hidden_layers", layer_types.size()},
          {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"head_dim", 16}, {"global_head_dim", 32},
          {"intermediate_size", 128}, {"vocab_size", 100}, {"sliding_window", 2}, {"layer_types", layer_types},
          {"hidden_size_per_layer_input", 0}};  // Gemma4TextConfig's default is 256
}

ModelShape shape_of(const json& config) { return gemma4_shape(HfConfig(config, "config.json"), "gemma4_text"); }
double total4(const json& config) { return exact_flops(HfConfig(config, "config.json"), {4}).total_flops; }

// Dense MLP 3·64·128 = 24,576.
constexpr int64_t kMlp = 24576;

TEST(ExactFlopsGemma4, SlidingLayerAndGlobalLayerWithKeyEqualsValue) {
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config["attention_k_eq_v"] = true;
  config["num_global_key_value_heads"] = 1;
  const auto shape = shape_of(config);
  ASSERT_EQ(shape.layers.size(), 2u);
  // Sliding: q 64·64 = 4,096, k and v 64·32 = 2,048 each, o 4,096 -> 12,288; 4 heads of 16, window 2.
  EXPECT_EQ(shape.layers[0].attention_weights, 12288);
  EXPECT_EQ(shape.layers[0].qk_dim, 16);
  EXPECT_EQ(shape.layers[0].window, 2);
  EXPECT_EQ(shape.layers[0].mlp_weights, kMlp);
  // Global, k = v: q 64·(4·32) = 8,192, k 64·(1·32) = 2,048 (no v_proj), o 8,192 -> 18,432; heads of 32.
  EXPECT_EQ(shape.layers[1].attention_weights, 18432);
  EXPECT_EQ(shape.layers[1].heads, 4);
  EXPECT_EQ(shape.layers[1].qk_dim, 32);
  EXPECT_EQ(shape.layers[1].v_dim, 32);
  EXPECT_EQ(shape.layers[1].window, 0);
  // 2·4·(12,288 + 24,576) = 294,912 + 2·4·(18,432 + 24,576) = 344,064; attention 2·4·32·7 = 1,792 +
  // 2·4·64·10 = 5,120; lm_head 51,200 -> 697,088.
  EXPECT_EQ(total4(config), 697088.0);
}

TEST(ExactFlopsGemma4, GlobalKvHeadsApplyOnlyWithKeyEqualsValue) {
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config["num_global_key_value_heads"] = 1;  // Gemma4TextConfig ignores it without attention_k_eq_v
  // Global: q 8,192, k and v 64·(2·32) = 4,096 each, o 8,192 -> 24,576.
  EXPECT_EQ(shape_of(config).layers[1].attention_weights, 24576);
}

TEST(ExactFlopsGemma4, PerLayerConfigIsReadAsWritten) {
  // transformers >= 5.15 writes per_layer_config instead of global_head_dim; the flat key is then ignored.
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config["global_head_dim"] = 512;
  config["per_layer_config"] = {{"1", {{"head_dim", 32}, {"num_key_value_heads", 1}}}};
  const auto shape = shape_of(config);
  EXPECT_EQ(shape.layers[0].attention_weights, 12288);
  // q 64·(4·32) = 8,192, k and v 64·(1·32) = 2,048 each, o 8,192 -> 20,480.
  EXPECT_EQ(shape.layers[1].attention_weights, 20480);
  EXPECT_EQ(shape.layers[1].qk_dim, 32);
}

TEST(ExactFlopsGemma4, KvSharedLayersWithDoubleWideMlpAndPerLayerEmbeddings) {
  json config = tiny_gemma4({"sliding_attention", "full_attention", "sliding_attention", "full_attention"});
  config["num_kv_shared_layers"] = 2;
  config["use_double_wide_mlp"] = true;
  config["hidden_size_per_layer_input"] = 8;
  const auto shape = shape_of(config);
  ASSERT_EQ(shape.layers.size(), 4u);
  // PLE per layer: per_layer_input_gate 64·8 + per_layer_projection 8·64 + the layer's 8 columns of
  // per_layer_model_projection 64·8 = 1,536.
  EXPECT_EQ(shape.layers[0].attention_weights, 12288);
  EXPECT_EQ(shape.layers[0].mlp_weights, kMlp + 1536);
  EXPECT_EQ(shape.layers[1].attention_weights, 24576);  // q 8,192 + k, v 4,096 each + o 8,192
  // Layers 2 and 3 share the keys and values of layers 0 and 1: q and o alone, 2·4,096 and 2·8,192;
  // their MLP is double-wide, 3·64·256 = 49,152, + PLE 1,536 = 50,688. They still attend.
  EXPECT_EQ(shape.layers[2].attention_weights, 8192);
  EXPECT_EQ(shape.layers[3].attention_weights, 16384);
  EXPECT_EQ(shape.layers[2].mlp_weights, 50688);
  EXPECT_EQ(shape.layers[3].mlp_weights, 50688);
  EXPECT_EQ(shape.layers[3].qk_dim, 32);
  // Σ weights (12,288 + 26,112) + (24,576 + 26,112) + (8,192 + 50,688) + (16,384 + 50,688) = 215,040;
  // 2·4·215,040 = 1,720,320 + attention 2·1,792 + 2·5,120 = 13,824 + lm_head 51,200 -> 1,785,344.
  EXPECT_EQ(total4(config), 1785344.0);
}

TEST(ExactFlopsGemma4, MoeBlockBesideTheMlp) {
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config.update({{"enable_moe_block", true}, {"num_experts", 4}, {"top_k_experts", 2}, {"moe_intermediate_size", 32}});
  const auto shape = shape_of(config);
  // The dense MLP stays: 24,576 + router 64·4 = 256 + 2 experts · 3·64·32 = 12,288 -> 37,120.
  EXPECT_EQ(shape.layers[0].mlp_weights, 37120);
  EXPECT_EQ(shape.layers[1].mlp_weights, 37120);
  // 2·4·(12,288 + 37,120) = 395,264 + 2·4·(24,576 + 37,120) = 493,568; + 1,792 + 5,120 + 51,200 -> 946,944.
  EXPECT_EQ(total4(config), 946944.0);
}

TEST(ExactFlopsGemma4, TheLastLayerIsAlwaysGlobal) {
  // Gemma4TextConfig forces layer_types[-1] to full_attention.
  const auto shape = shape_of(tiny_gemma4({"sliding_attention", "sliding_attention"}));
  EXPECT_EQ(shape.layers[1].window, 0);
  EXPECT_EQ(shape.layers[1].qk_dim, 32);
}

TEST(ExactFlopsGemma4, RefusesSharingEveryLayer) {
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config["num_kv_shared_layers"] = 2;
  EXPECT_THROW(shape_of(config), ModelError);
}

TEST(ExactFlopsGemma4, BidirectionalOnlyForImagesIsStillCausalText) {
  json config = tiny_gemma4({"sliding_attention", "full_attention"});
  config["use_bidirectional_attention"] = "vision";  // the published 31B: image tokens only
  // 2·4·(12,288 + 24,576) = 294,912 + 2·4·(24,576 + 24,576) = 393,216 + 1,792 + 5,120 + 51,200 -> 746,240.
  EXPECT_EQ(total4(config), 746240.0);
  config["use_bidirectional_attention"] = "all";  // an encoder
  EXPECT_THROW(shape_of(config), ModelError);
}

}  // namespace
}  // namespace icsweep
