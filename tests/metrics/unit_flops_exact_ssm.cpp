// The `exact` FLOPs profile on one layer of each state-space / short-convolution kind: a Mamba-2
// layer (Granite 4), a Falcon-H1 layer (Mamba-2 beside attention), an LFM2 short-convolution layer.
// Expected values are worked out by hand in the comments (core/metrics/flops.h lists what is
// counted; the SSD scan's terms are in flops_exact.cpp), each over a vocabulary of 100 and d 64.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"
#include "core/model/families/ssm_config.h"

namespace icsweep {
namespace {

using nlohmann::json;

double breakdown(const FlopsEstimate& e, const std::string& key) {
  for (const auto& [k, v] : e.breakdown)
    if (k == key) return v;
  return -1;
}

// One Mamba-2 layer, dense shared MLP 32 wide: I = 2·64 = 128 over 8 heads of P 16, G 2 groups of
// N 16, conv K 4, chunks of Q 4.
json granite4_mamba_layer() {
  return {{"model_type", "granitemoehybrid"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
          {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 128},
          {"vocab_size", 100}, {"layer_types", {"mamba"}}, {"num_local_experts", 0},
          {"shared_intermediate_size", 32}, {"mamba_n_heads", 8}, {"mamba_d_head", "auto"},
          {"mamba_n_groups", 2}, {"mamba_d_state", 16}, {"mamba_d_conv", 4}, {"mamba_expand", 2},
          {"mamba_chunk_size", 4}};
}

TEST(ExactFlopsSsm, Mamba2LayerOfGranite4) {
  // in_proj: z 128 + xBC (128 + 2·2·16 = 192) + dt 8 = 328 rows: 64·328 = 20,992; out_proj 128·64 = 8,192
  // -> 29,184 weights. L = 10: projections 2·10·29,184 = 583,680. Conv 192·4 = 768 per token: 7,680.
  // Scan, c = 3 chunks of 4: C·Bᵀ 2·3·16·16 = 1,536; diagonal 8·3·16·16 = 6,144; chunk states and
  // entering-state outputs 2·8·3·4·16·16 = 49,152; recurrence 8·(3+1)²·16·16 = 32,768 -> 89,600.
  // Core 2·(7,680 + 89,600) = 194,560. Shared MLP 3·64·32 = 6,144: 2·10·6,144 = 122,880. lm_head
  // 2·10·64·100 = 128,000. Total 1,029,120.
  const auto e = exact_flops(HfConfig(granite4_mamba_layer(), "config.json"), {10});
  EXPECT_EQ(e.total_flops, 1029120.0);
  EXPECT_EQ(breakdown(e, "conv_ssm_projections"), 583680.0);
  EXPECT_EQ(breakdown(e, "conv_ssm_core"), 194560.0);
  EXPECT_EQ(breakdown(e, "attention_projections"), 0.0);
  EXPECT_EQ(breakdown(e, "attention_core"), 0.0);
  EXPECT_EQ(breakdown(e, "mlp"), 122880.0);
}

TEST(ExactFlopsSsm, ShortSequenceScansOneChunkOfItsOwnLength) {
  // L = 2 < Q: one chunk of 2. Scan 2·1·4·16 = 128; 8·1·4·16 = 512; 2·8·1·2·16·16 = 8,192;
  // 8·(1+1)²·16·16 = 8,192 -> 17,024; conv 2·768 = 1,536: core 2·18,560 = 37,120. Projections
  // 2·2·29,184 = 116,736, MLP 2·2·6,144 = 24,576, lm_head 2·2·6,400 = 25,600. Total 204,032.
  EXPECT_EQ(exact_flops(HfConfig(granite4_mamba_layer(), "config.json"), {2}).total_flops, 204032.0);
}

TEST(ExactFlopsSsm, FalconH1LayerRunsMambaBesideAttention) {
  const json config = {{"model_type", "falcon_h1"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
                       {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 128},
                       {"vocab_size", 100}, {"mamba_d_ssm", 64}, {"mamba_n_heads", 4}, {"mamba_n_groups", 1},
                       {"mamba_d_state", 8}, {"mamba_d_conv", 4}, {"mamba_chunk_size", 8},
                       {"mlp_multipliers", {0.5, 2.0}}, {"ssm_multipliers", {1, 2, 3, 4, 5}}};
  // Attention (Dh 16): q 4,096 + k, v 4,096 + o 4,096 = 12,288; MLP 3·64·128 = 24,576; mixer in_proj
  // 64 + (64 + 16 = 80) + 4 = 148 rows: 9,472, out_proj 4,096 -> 13,568. L = 8: 2·8·(12,288 + 24,576)
  // = 589,824 and 2·8·13,568 = 217,088. Attention core 2·4·32·36 = 9,216. Conv 80·4·8 = 2,560; scan in
  // one chunk of 8: 1·1·64·8 = 512, 4·64·16 = 4,096, 2·4·8·16·8 = 8,192, 4·4·16·8 = 2,048 -> 14,848:
  // core 2·17,408 = 34,816. lm_head 2·8·6,400 = 102,400. Total 953,344. Multipliers cost nothing.
  const auto e = exact_flops(HfConfig(config, "config.json"), {8});
  EXPECT_EQ(e.total_flops, 953344.0);
  EXPECT_EQ(breakdown(e, "conv_ssm_projections"), 217088.0);
  EXPECT_EQ(breakdown(e, "conv_ssm_core"), 34816.0);
  EXPECT_EQ(breakdown(e, "attention_core"), 9216.0);
}

TEST(ExactFlopsSsm, Lfm2ShortConvolutionLayer) {
  const json config = {{"model_type", "lfm2"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
                       {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 100},
                       {"vocab_size", 100}, {"layer_types", {"conv"}}, {"conv_L_cache", 3},
                       {"block_multiple_of", 32}, {"block_ffn_dim_multiplier", 1.0},
                       {"block_auto_adjust_ff_dim", true}};
  // Feed-forward width: int(2·100/3) = 66, int(1.0·66) = 66, up to a multiple of 32: 96. MLP 3·64·96
  // = 18,432. in_proj 64·192 = 12,288 + out_proj 4,096 = 16,384. L = 5: 2·5·16,384 = 163,840;
  // MLP 2·5·18,432 = 184,320; conv 64·3 per token: 2·5·192 = 1,920; lm_head 2·5·6,400 = 64,000.
  // Total 414,080.
  const auto e = exact_flops(HfConfig(config, "config.json"), {5});
  EXPECT_EQ(e.total_flops, 414080.0);
  EXPECT_EQ(breakdown(e, "conv_ssm_core"), 1920.0);
}

TEST(ExactFlopsSsm, ReferenceProfileSaysItTreatsEveryLayerAsAttention) {
  const auto e = reference_flops(HfConfig(granite4_mamba_layer(), "config.json"), "granite-4.0-h-tiny", 4);
  bool said = false;
  for (const auto& n : e.notes) said = said || n.find("treats every layer as attention") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Mamba2Dims, TimeStepLimitInTransformers5sSpellingOfInfinity) {
  json config = granite4_mamba_layer();
  config["time_step_limit"] = {0.001, {{"__float__", "Infinity"}}};
  const auto d = Mamba2Dims::from_hf(HfConfig(config, "config.json"), 128);
  EXPECT_EQ(d.dt_min, 0.001);
  EXPECT_EQ(d.dt_max, std::numeric_limits<double>::infinity());
  EXPECT_EQ(d.head_dim, 16);  // "auto": 128 / 8
  config["time_step_limit"] = {0.0, "x"};
  EXPECT_THROW(Mamba2Dims::from_hf(HfConfig(config, "config.json"), 128), ModelError);
  config["time_step_limit"] = {0.0, 1.0};
  config["mamba_d_head"] = 32;  // 8 heads of 32 is not 128
  EXPECT_THROW(Mamba2Dims::from_hf(HfConfig(config, "config.json"), 128), ModelError);
}

}  // namespace
}  // namespace icsweep
