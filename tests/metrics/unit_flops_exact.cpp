// The `exact` FLOPs profile: prefill FLOPs of scoring, counted as documented in flops.h.
// Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"

namespace icsweep {
namespace {

using nlohmann::json;

json tiny_llama() {
  // head_dim 32 on purpose (≠ d / h = 16): the exact profile uses the real head_dim.
  return {{"model_type", "llama"}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"head_dim", 32}, {"intermediate_size", 128}, {"vocab_size", 100}};
}

TEST(ExactFlops, CountsProjectionsMlpCausalAttentionAndLmHead) {
  // Per token and layer: projections 2·(64·4·32 [q] + 2·64·2·32 [k, v] + 4·32·64 [o]) = 2·24,576 = 49,152
  //                      MLP 2·3·64·128 = 49,152
  // Lengths 5 and 3: 8 tokens; attended keys 5·6/2 + 3·4/2 = 21.
  //   projections + MLP: 2 layers · 8 · 98,304 = 1,572,864
  //   attention 2 layers · 2·2·4·32 · 21 = 21,504
  //   lm_head 8 · 2·64·100 = 102,400
  //   total 1,696,768; per token 212,096
  const FlopsEstimate e = exact_flops(HfConfig(tiny_llama(), "config.json"), {5, 3});
  EXPECT_EQ(e.profile, "exact");
  EXPECT_EQ(e.total_flops, 1696768.0);
  EXPECT_EQ(e.tokens, 8);
  EXPECT_EQ(e.flops_per_token, 212096.0);
}

TEST(ExactFlops, HeadDimDefaultsToHiddenOverHeads) {
  json config = tiny_llama();
  config.erase("head_dim");
  // hd 16: projections 2·(64·4·16 + 2·64·2·16 + 4·16·64) = 2·12,288 = 24,576; MLP 49,152
  // One sequence of 4: 2 layers · 4 · 73,728 = 589,824; attention 2 · 2·2·4·16 · 10 = 5,120;
  // lm_head 4 · 12,800 = 51,200. Total 646,144.
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {4}).total_flops, 646144.0);
  EXPECT_EQ(flops_for_profile("exact", HfConfig(config, "config.json"), "any", 4).total_flops, 646144.0);
}

TEST(ExactFlops, MistralSlidingWindowCapsAttendedKeys) {
  json config = tiny_llama();
  config["model_type"] = "mistral";
  config["sliding_window"] = 4;
  // L 6 with W 4: keys 1+2+3+4+4+4 = 18 instead of 21; the difference is 2 layers · 512 · 3 = 3,072.
  json full = config;
  full["sliding_window"] = nullptr;
  EXPECT_EQ(exact_flops(HfConfig(full, "config.json"), {6}).total_flops - exact_flops(HfConfig(config, "config.json"), {6}).total_flops, 3072.0);
}

TEST(ExactFlops, RefusesConfigsItDoesNotUnderstand) {
  json unknown = tiny_llama();
  unknown["model_type"] = "mamba";
  EXPECT_THROW(exact_flops(HfConfig(unknown, "config.json"), {8}), ModelError);
  // An absent key takes the config class's default (LlamaConfig: intermediate_size 11008); a null
  // one is None, which transformers cannot build a model from either.
  json missing = tiny_llama();
  missing["intermediate_size"] = nullptr;
  EXPECT_THROW(exact_flops(HfConfig(missing, "config.json"), {8}), ModelError);
  missing.erase("intermediate_size");
  EXPECT_EQ(exact_flops(HfConfig(missing, "config.json"), {1}).breakdown[2].second, 2.0 * 2 * 3 * 64 * 11008);
  json moe_without_experts = tiny_llama();
  moe_without_experts["model_type"] = "mixtral";
  moe_without_experts["num_local_experts"] = nullptr;
  EXPECT_THROW(exact_flops(HfConfig(moe_without_experts, "config.json"), {8}), ModelError);
  EXPECT_THROW(exact_flops(HfConfig(tiny_llama(), "config.json"), {}), ModelError);
  EXPECT_THROW(exact_flops(HfConfig(tiny_llama(), "config.json"), {0}), ModelError);
  EXPECT_THROW(flops_for_profile("fast", HfConfig(tiny_llama(), "config.json"), "m", 8), ModelError);
}

TEST(ExactFlops, Qwen2WindowsOnlyOnTheLayersThatHaveThem) {
  json config = tiny_llama();
  config["model_type"] = "qwen2";
  config["use_sliding_window"] = true;
  config["sliding_window"] = 4;
  config["max_window_layers"] = 1;  // layer 1 slides, layer 0 does not
  // L 6: one layer loses 21 - 18 = 3 keys at 2·4·(32 + 32) = 512 FLOPs each.
  EXPECT_EQ(exact_flops(HfConfig(tiny_llama(), "config.json"), {6}).total_flops - exact_flops(HfConfig(config, "config.json"), {6}).total_flops, 1536.0);
  config["layer_types"] = {"sliding_attention", "sliding_attention"};  // layer_types win
  EXPECT_EQ(exact_flops(HfConfig(tiny_llama(), "config.json"), {6}).total_flops - exact_flops(HfConfig(config, "config.json"), {6}).total_flops, 3072.0);
}

TEST(ExactFlops, MixtralCountsTheRouterAndTheActiveExpertsOnly) {
  json config = tiny_llama();
  config["model_type"] = "mixtral";
  config["num_local_experts"] = 4;
  config["num_experts_per_tok"] = 2;
  // MLP weights per token and layer: router 64·4 = 256 + 2 experts · 3·64·128 = 49,152 -> 49,408,
  // 24,832 more than the dense 24,576; L 5, 2 layers: 2·5·2·24,832 = 496,640 FLOPs more.
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {5}).total_flops - exact_flops(HfConfig(tiny_llama(), "config.json"), {5}).total_flops, 496640.0);
}

TEST(ExactFlops, DeepseekLatentAttentionAndSharedExperts) {
  const json config = {{"model_type", "deepseek_v3"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
                       {"num_attention_heads", 4}, {"q_lora_rank", 24}, {"kv_lora_rank", 16},
                       {"qk_nope_head_dim", 16}, {"qk_rope_head_dim", 8}, {"v_head_dim", 16},
                       {"n_routed_experts", 4}, {"num_experts_per_tok", 2}, {"moe_intermediate_size", 32},
                       {"n_shared_experts", 1}, {"first_k_dense_replace", 0}, {"intermediate_size", 128},
                       {"vocab_size", 100}};
  // Attention weights: q 64·24 + 24·4·24 = 3,840; kv_a 64·(16 + 8) = 1,536; kv_b 16·4·(16 + 16) = 2,048;
  // o 4·16·64 = 4,096 -> 11,520. MLP: router 256 + 2·3·64·32 = 12,288 + shared 3·64·32 = 6,144 -> 18,688.
  // L 3 (6 keys): 2·3·11,520 = 69,120 + 2·3·18,688 = 112,128 + attention 2·4·(24 + 16)·6 = 1,920
  // + lm_head 2·3·6,400 = 38,400 -> 221,568.
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {3}).total_flops, 221568.0);
  json dense_first = config;
  dense_first["first_k_dense_replace"] = 1;  // the only layer is a dense MLP 3·64·128 = 24,576
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {3}).total_flops - exact_flops(HfConfig(dense_first, "config.json"), {3}).total_flops,
            2.0 * 3 * (18688 - 24576));
}

TEST(ExactFlops, Llama4ChunkedAttentionAndNestedTextConfig) {
  json text = {{"model_type", "llama4_text"}, {"hidden_size", 64}, {"num_hidden_layers", 1},
               {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"head_dim", 32}, {"intermediate_size", 32},
               {"intermediate_size_mlp", 128}, {"num_local_experts", 4}, {"num_experts_per_tok", 1},
               {"interleave_moe_layer_step", 1}, {"attention_chunk_size", 4}, {"vocab_size", 100},
               {"layer_types", {"chunked_attention"}}};
  json full = text;
  full["layer_types"] = {"full_attention"};
  // L 10 in chunks of 4: keys 10 + 10 + 3 = 23 instead of 55; 32 fewer keys at 2·4·64 = 512 FLOPs.
  EXPECT_EQ(exact_flops(HfConfig(full, "config.json"), {10}).total_flops - exact_flops(HfConfig(text, "config.json"), {10}).total_flops, 16384.0);
  const json multimodal = {{"model_type", "llama4"}, {"text_config", text}};
  EXPECT_EQ(exact_flops(HfConfig(multimodal, "config.json"), {10}).total_flops, exact_flops(HfConfig(text, "config.json"), {10}).total_flops);
}

TEST(ExactFlops, Gpt2UsesItsOwnKeysAndAnUngatedMlp) {
  const json config = {{"model_type", "gpt2"}, {"n_embd", 8}, {"n_layer", 1}, {"n_head", 2}, {"vocab_size", 10}};
  // Attention 4·8·8 = 256 weights, MLP 2·8·32 = 512 (n_inner defaults to 4·8); L 2 (3 keys):
  // 2·2·256 = 1,024 + 2·2·512 = 2,048 + 2·2·(4 + 4)·3 = 96 + lm_head 2·2·80 = 320 -> 3,488.
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {2}).total_flops, 3488.0);
}

TEST(ExactFlops, Qwen2WithoutWindowsIsSupported) {
  json config = tiny_llama();
  config["model_type"] = "qwen2";
  config["use_sliding_window"] = false;
  config["sliding_window"] = 32768;
  EXPECT_EQ(exact_flops(HfConfig(config, "config.json"), {5, 3}).total_flops, 1696768.0);
}

}  // namespace
}  // namespace icsweep
