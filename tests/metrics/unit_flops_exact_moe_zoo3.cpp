// The `exact` FLOPs profile of the model zoo III MoE families (ERNIE 4.5 MoE, Hunyuan-A13B,
// MiniMax-M2, Mistral 4) on tiny configs. Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"
#include "core/model/families/minimax_m2.h"

namespace icsweep {
namespace {

using nlohmann::json;

double total(const json& config, int64_t length) { return exact_flops(HfConfig(config, "config.json"), {length}).total_flops; }

// Shared by the GQA families below: d 64, 4 heads of 16, 2 kv heads, V 256. Per layer and token the
// attention weights are q 64·64 + k 64·32 + v 64·32 + o 64·64 = 12,288; one sequence of L 4 attends
// 1+2+3+4 = 10 keys, 2·4·(16 + 16)·10 = 2,560 FLOPs per layer; lm_head 2·4·64·256 = 131,072.
json gqa(const std::string& model_type, int64_t layers) {
  return {{"model_type", model_type}, {"hidden_size", 64}, {"num_hidden_layers", layers}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"head_dim", 16}, {"vocab_size", 256}};
}

TEST(ExactFlopsMoeZoo3, Ernie45MoeLayerRangeAndSharedExperts) {
  json c = gqa("ernie4_5_moe", 3);
  c.update({{"intermediate_size", 96}, {"moe_num_experts", 4}, {"moe_k", 2}, {"moe_intermediate_size", 32},
            {"moe_num_shared_experts", 1}, {"moe_layer_start_index", 1}, {"moe_layer_end_index", -1},
            {"moe_layer_interval", 1}});
  // Layer 0 dense: 3·64·96 = 18,432. Layers 1 and 2 (end -1 = the last layer): router 64·4 = 256
  // + 2 experts · 3·64·32 = 12,288 + shared 3·64·32 = 6,144 -> 18,688.
  // L 4: projections 3·2·4·12,288 = 294,912; MLP 2·4·(18,432 + 2·18,688) = 446,464;
  // attention 3·2,560 = 7,680; lm_head 131,072 -> 880,128.
  EXPECT_EQ(total(c, 4), 880128.0);
  // 4 layers, interval 2 from 0 to 2: only layer 1 ((1 + 1) % 2 == 0 and 0 <= 1 <= 2) is MoE, layer 3
  // is past the end. MLP 2·4·(3·18,432 + 18,688) = 591,872; projections 4·98,304 = 393,216;
  // attention 10,240; lm_head 131,072 -> 1,126,400.
  c.update({{"num_hidden_layers", 4}, {"moe_layer_start_index", 0}, {"moe_layer_end_index", 2},
            {"moe_layer_interval", 2}});
  EXPECT_EQ(total(c, 4), 1126400.0);
}

TEST(ExactFlopsMoeZoo3, HunyuanMoeTopKPerLayerAndSharedMlp) {
  json c = gqa("hunyuan_v1_moe", 2);
  c.update({{"intermediate_size", 96}, {"num_experts", 4}, {"moe_topk", {2, 1}}});
  // Experts and shared MLP are intermediate_size wide: one is 3·64·96 = 18,432. Layer 0: router 256
  // + 2·18,432 + shared 18,432 = 55,552; layer 1: 256 + 18,432 + 18,432 = 37,120.
  // L 4: projections 2 layers · 2·4·12,288 = 196,608; MLP 2·4·92,672 = 741,376; attention 5,120;
  // lm_head 131,072 -> 1,074,176.
  EXPECT_EQ(total(c, 4), 1074176.0);
  c["moe_topk"] = 1;  // one value for every layer: layer 0 loses an expert, 2·4·18,432 = 147,456
  EXPECT_EQ(total(c, 4), 1074176.0 - 147456.0);
}

TEST(ExactFlopsMoeZoo3, MinimaxM2EveryLayerSparseWithoutSharedExpert) {
  json c = gqa("minimax_m2", 2);
  c.update({{"intermediate_size", 32}, {"num_local_experts", 4}, {"num_experts_per_tok", 2},
            {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", 5000000.0}, {"partial_rotary_factor", 0.5}}}});
  // MLP per layer: router 256 + 2·3·64·32 = 12,288 -> 12,544 (the q/k norms are not matmuls).
  // L 4: projections 2 layers · 2·4·12,288 = 196,608; MLP 2·4·2·12,544 = 200,704; attention 5,120;
  // lm_head 131,072 -> 533,504.
  EXPECT_EQ(total(c, 4), 533504.0);
}

// Published MiniMax-M2 configs write the remote code's rotary_dim (64 of head_dim 128) and no
// partial_rotary_factor; transformers 5 reads that as partial_rotary_factor 0.5.
TEST(ExactFlopsMoeZoo3, MinimaxM2RotaryDimOfRemoteCodeConfigs) {
  json c = gqa("minimax_m2", 2);
  c.update({{"intermediate_size", 32}, {"num_local_experts", 4}, {"num_experts_per_tok", 2}, {"rotary_dim", 8}});
  const HfConfig remote(c, "config.json");
  EXPECT_EQ(MinimaxM2Config::from_hf(remote).rotary_dim, 8);
  EXPECT_NO_THROW(MinimaxM2Config::from_hf(remote).check_loadable(remote));
  c["partial_rotary_factor"] = 1.0;  // 16 rotary dims against rotary_dim 8: which one is meant is unclear
  const HfConfig both(c, "config.json");
  EXPECT_EQ(MinimaxM2Config::from_hf(both).rotary_dim, 16);
  EXPECT_THROW(MinimaxM2Config::from_hf(both).check_loadable(both), ModelError);
  c.erase("rotary_dim");
  EXPECT_EQ(MinimaxM2Config::from_hf(HfConfig(c, "config.json")).rotary_dim, 16);
}

TEST(ExactFlopsMoeZoo3, Mistral4IsLatentAttentionWithDeepseekMoe) {
  const json c = {{"model_type", "mistral4"}, {"hidden_size", 64}, {"num_hidden_layers", 2},
                  {"num_attention_heads", 4}, {"num_key_value_heads", 4}, {"q_lora_rank", 24},
                  {"kv_lora_rank", 16}, {"qk_nope_head_dim", 16}, {"qk_rope_head_dim", 8}, {"v_head_dim", 16},
                  {"n_routed_experts", 4}, {"num_experts_per_tok", 2}, {"moe_intermediate_size", 32},
                  {"n_shared_experts", 1}, {"first_k_dense_replace", 1}, {"intermediate_size", 96},
                  {"vocab_size", 256}};
  // Attention weights: q 64·24 + 24·4·24 = 3,840; kv_a 64·(16 + 8) = 1,536; kv_b 16·4·(16 + 16) = 2,048;
  // o 4·16·64 = 4,096 -> 11,520. Layer 0 dense 3·64·96 = 18,432; layer 1 router 256 + 2·3·64·32 = 12,288
  // + shared 3·64·32 = 6,144 -> 18,688. L 4 (10 keys): projections 2·2·4·11,520 = 184,320;
  // MLP 2·4·37,120 = 296,960; attention 2·2·4·(24 + 16)·10 = 6,400; lm_head 131,072 -> 618,752.
  EXPECT_EQ(total(c, 4), 618752.0);
}

}  // namespace
}  // namespace icsweep
