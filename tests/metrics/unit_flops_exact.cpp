// The `exact` FLOPs profile: prefill FLOPs of scoring, counted as documented in flops.h.
// Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

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
  const FlopsEstimate e = exact_flops(tiny_llama(), {5, 3});
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
  EXPECT_EQ(exact_flops(config, {4}).total_flops, 646144.0);
  EXPECT_EQ(flops_for_profile("exact", config, "any", 4).total_flops, 646144.0);
}

TEST(ExactFlops, MistralSlidingWindowCapsAttendedKeys) {
  json config = tiny_llama();
  config["model_type"] = "mistral";
  config["sliding_window"] = 4;
  // L 6 with W 4: keys 1+2+3+4+4+4 = 18 instead of 21; the difference is 2 layers · 512 · 3 = 3,072.
  json full = config;
  full["sliding_window"] = nullptr;
  EXPECT_EQ(exact_flops(full, {6}).total_flops - exact_flops(config, {6}).total_flops, 3072.0);
}

TEST(ExactFlops, RefusesConfigsItDoesNotUnderstand) {
  json moe = tiny_llama();
  moe["model_type"] = "qwen2";
  moe["num_experts"] = 64;
  EXPECT_THROW(exact_flops(moe, {8}), ModelError);
  json unknown = tiny_llama();
  unknown["model_type"] = "deepseek_v3";
  EXPECT_THROW(exact_flops(unknown, {8}), ModelError);
  json windows = tiny_llama();
  windows["model_type"] = "qwen2";
  windows["use_sliding_window"] = true;
  EXPECT_THROW(exact_flops(windows, {8}), ModelError);
  json missing = tiny_llama();
  missing.erase("intermediate_size");
  EXPECT_THROW(exact_flops(missing, {8}), ModelError);
  EXPECT_THROW(exact_flops(tiny_llama(), {}), ModelError);
  EXPECT_THROW(exact_flops(tiny_llama(), {0}), ModelError);
  EXPECT_THROW(flops_for_profile("fast", tiny_llama(), "m", 8), ModelError);
}

TEST(ExactFlops, Qwen2WithoutWindowsIsSupported) {
  json config = tiny_llama();
  config["model_type"] = "qwen2";
  config["use_sliding_window"] = false;
  config["sliding_window"] = 32768;
  EXPECT_EQ(exact_flops(config, {5, 3}).total_flops, 1696768.0);
}

}  // namespace
}  // namespace icsweep
