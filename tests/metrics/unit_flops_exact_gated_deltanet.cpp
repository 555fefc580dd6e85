// The `exact` FLOPs profile of the Gated DeltaNet hybrids (Qwen3.5, Qwen3-Next) on tiny configs, one
// linear layer and one attention layer, and the reference profile's note. Expected values are worked
// out by hand in the comments (what is counted: flops.h, flops_exact.cpp).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/metrics/flops.h"

namespace icsweep {
namespace {

using nlohmann::json;

// d 64, V 100; attention: 4 heads of 16, 2 kv heads; linear: Hk 2, Hv 4, Dk 16, Dv 8, 4 taps;
// layer 0 linear, layer 1 full attention.
json hybrid(const std::string& model_type) {
  return {{"model_type", model_type}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"head_dim", 16}, {"vocab_size", 100}, {"intermediate_size", 96},
          {"linear_num_key_heads", 2}, {"linear_num_value_heads", 4}, {"linear_key_head_dim", 16},
          {"linear_value_head_dim", 8}, {"linear_conv_kernel_dim", 4},
          {"layer_types", {"linear_attention", "full_attention"}}};
}

std::map<std::string, double> breakdown(const FlopsEstimate& e) {
  return {e.breakdown.begin(), e.breakdown.end()};
}

TEST(ExactFlopsGatedDeltaNet, OneLinearAndOneAttentionLayerByHand) {
  const FlopsEstimate e = exact_flops(HfConfig(hybrid("qwen3_5_text"), "config.json"), {70});
  // Linear layer, L 70: K = 2·16 = 32, V = 4·8 = 32, conv channels 2·32 + 32 = 96; projections in
  // 64·(96 + 32 + 4 + 4) = 8,704, out 32·64 = 2,048 -> 10,752 weights, 2·70·10,752 = 1,505,280.
  // Attention layer: q_proj with its gate 64·2·64 = 8,192, k and v 2·64·32 = 4,096, o 64·64 = 4,096
  // -> 16,384 weights, 2·70·16,384 = 2,293,760. Together 3,799,040.
  const auto parts = breakdown(e);
  EXPECT_EQ(parts.at("attention_projections"), 3799040.0);
  // Softmax attention on the attention layer only: 2·4·(16 + 16)·(70·71/2 = 2,485) = 636,160.
  EXPECT_EQ(parts.at("attention_core"), 636160.0);
  // Linear core: conv 2·70·96·4 = 53,760; 70 tokens -> 2 chunks of 64; per head and chunk
  //   k_β·kᵀ and q·kᵀ 2·64·64·16 = 131,072; solves 64·63/2·(8 + 16) = 48,384;
  //   intra·v_new 64·64·8 = 32,768; state read twice and update 3·64·16·8 = 24,576 -> 236,800
  // multiply-adds; 2·4 heads·2 chunks·236,800 = 3,788,800 -> 3,842,560.
  EXPECT_EQ(parts.at("gated_deltanet_core"), 3842560.0);
  // Dense SwiGLU on both layers 2·2·70·3·64·96 = 5,160,960; lm_head 2·70·64·100 = 896,000.
  EXPECT_EQ(parts.at("mlp"), 5160960.0);
  EXPECT_EQ(parts.at("lm_head"), 896000.0);
  EXPECT_EQ(e.total_flops, 3799040.0 + 636160.0 + 3842560.0 + 5160960.0 + 896000.0);  // 14,334,720
}

TEST(ExactFlopsGatedDeltaNet, ShortSequenceIsOneWholeChunk) {
  // L 2 is padded to one chunk of 64: the core is computed (and counted) over 64 positions:
  // conv 2·2·96·4 = 1,536 plus 2·4·1·236,800 = 1,894,400 -> 1,895,936.
  const FlopsEstimate e = exact_flops(HfConfig(hybrid("qwen3_5_text"), "config.json"), {2});
  EXPECT_EQ(breakdown(e).at("gated_deltanet_core"), 1895936.0);
}

TEST(ExactFlopsGatedDeltaNet, Qwen3NextMoeLayersAndMlpOnlyLayers) {
  json c = hybrid("qwen3_next");
  c.update({{"num_experts", 4}, {"num_experts_per_tok", 2}, {"moe_intermediate_size", 32},
            {"shared_expert_intermediate_size", 48}, {"mlp_only_layers", {1}}});
  // Layer 0 MoE: router 64·4 = 256, 2 experts 2·3·64·32 = 12,288, shared 3·64·48 = 9,216, its gate 64
  // -> 21,824; layer 1 (mlp_only_layers) dense 3·64·96 = 18,432. L 70: 2·70·40,256 = 5,635,840.
  const FlopsEstimate e = exact_flops(HfConfig(c, "config.json"), {70});
  EXPECT_EQ(breakdown(e).at("mlp"), 5635840.0);
  EXPECT_EQ(breakdown(e).at("gated_deltanet_core"), 3842560.0);
}

TEST(ExactFlopsGatedDeltaNet, DefaultLayerTypesEveryFourthFull) {
  json c = hybrid("qwen3_5_text");
  c.erase("layer_types");
  c["num_hidden_layers"] = 4;
  // Layers 0-2 linear, layer 3 full: three linear cores at L 70.
  EXPECT_EQ(breakdown(exact_flops(HfConfig(c, "config.json"), {70})).at("gated_deltanet_core"), 3 * 3842560.0);
}

TEST(ReferenceFlopsGatedDeltaNet, SaysItTreatsEveryLayerAsAttention) {
  const FlopsEstimate e = reference_flops(HfConfig(hybrid("qwen3_next"), "config.json"), "Qwen3-Next-tiny", 16);
  std::string notes;
  for (const auto& n : e.notes) notes += n + "\n";
  EXPECT_NE(notes.find("treats every layer as attention"), std::string::npos) << notes;
}

}  // namespace
}  // namespace icsweep
