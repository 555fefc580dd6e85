// The `reference` FLOPs profile against docs/design.md §1.4. Expected values are the design's check values
// or the formula written out by hand with the test's numbers:
//   total = n·[T·(4d² + 4·d·kv + mlp) + 2·h·d_k·T·(T−1)] + 2·T·d·V,  d_k = d // h,  kv = h_kv·d_k.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>

#include "core/common/errors.h"
#include "core/metrics/flops.h"

namespace icsweep {
namespace {

using nlohmann::json;

// The dense formula, written out independently of the code under test (fits int64 for these sizes).
int64_t dense_total(int64_t d, int64_t n, int64_t h, int64_t h_kv, int64_t mlp, int64_t V, int64_t T) {
  const int64_t d_k = d / h, kv = h_kv * d_k;
  return n * (T * (4 * d * d + 4 * d * kv + mlp) + 2 * h * d_k * T * (T - 1)) + 2 * T * d * V;
}

TEST(ReferenceFlops, HunyuanHalfBillionMatchesDesignCheckValue) {
  // By hand (d 1024, n 24, h 16, h_kv 8, f 3584, V 120818, T 1024): d_k = 64, kv = 512.
  //   projections 4·1024² + 4·1024·512 = 4,194,304 + 2,097,152 = 6,291,456
  //   mlp 6·1024·3584 = 22,020,096;  (6,291,456 + 22,020,096)·1024 = 28,991,029,248
  //   attention core 2·16·64·1024·1023 = 2,145,386,496
  //   per layer 31,136,415,744; × 24 layers = 747,273,977,856
  //   lm_head 2·1024·1024·120818 = 253,373,710,336
  //   total 1,000,647,688,192 FLOPs = 1.000647688192 TFLOPs (docs/design.md §1.4)
  const json config = {{"hidden_size", 1024}, {"num_hidden_layers", 24}, {"num_attention_heads", 16},
                       {"num_key_value_heads", 8}, {"intermediate_size", 3584}, {"vocab_size", 120818},
                       {"head_dim", 128}};  // head_dim is ignored by the reference
  const FlopsEstimate e = reference_flops(HfConfig(config, "config.json"), "/models/Hunyuan-0.5B-Instruct", 1024);
  EXPECT_EQ(e.profile, "reference");
  EXPECT_EQ(e.total_flops, 1000647688192.0);
  EXPECT_DOUBLE_EQ(e.total_flops / 1e12, 1.000647688192);
  EXPECT_EQ(e.tokens, 1024);
  EXPECT_DOUBLE_EQ(e.flops_per_token, 1000647688192.0 / 1024);
  double sum = 0;
  for (const auto& part : e.breakdown) sum += part.second;
  EXPECT_EQ(sum, e.total_flops);
}

TEST(ReferenceFlops, DeepSeekV2MatchesDesignCheckValue) {
  // By hand (MLA branch; d 5120, n 60, h 128, h_kv 128, f = moe 1536, shared 2, k 6, V 102400,
  // M = kv_lora_rank 512, T 1024): d_k = 40, kv = 5120.
  //   projections 4·5120² + 4·5120·5120 = 209,715,200
  //   mlp 6·5120·1536·(2 + 6) = 377,487,360;  (209,715,200 + 377,487,360)·1024 = 601,295,421,440
  //   attention core (model_type deepseek_v2) 4·128·40·1024·512 = 10,737,418,240
  //   per layer 612,032,839,680; × 60 = 36,721,970,380,800
  //   lm_head 2·1024·5120·102400 = 1,073,741,824,000
  //   total 37,795,712,204,800 FLOPs = 37.7957122048 TFLOPs (docs/design.md §1.4)
  const json config = {{"hidden_size", 5120}, {"num_hidden_layers", 60}, {"num_attention_heads", 128},
                       {"num_key_value_heads", 128}, {"moe_intermediate_size", 1536}, {"intermediate_size", 12288},
                       {"n_shared_experts", 2}, {"num_experts_per_tok", 6}, {"vocab_size", 102400},
                       {"kv_lora_rank", 512}, {"model_type", "deepseek_v2"}};
  const FlopsEstimate e = reference_flops(HfConfig(config, "config.json"), "deepseek-ai/DeepSeek-V2", 1024);
  EXPECT_EQ(e.total_flops, 37795712204800.0);
  EXPECT_DOUBLE_EQ(e.total_flops / 1e12, 37.7957122048);
}

TEST(ReferenceFlops, DeepSeekNameIsMatchedCaseInsensitively) {
  const json config = {{"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                       {"moe_intermediate_size", 32}, {"n_shared_experts", 1}, {"num_experts_per_tok", 2},
                       {"vocab_size", 100}, {"kv_lora_rank", 8}, {"model_type", "deepseek_v3"}};
  // MLA: d_k 16, kv 64; proj 4·64² + 4·64·64 = 32,768; mlp 6·64·32·3 = 36,864;
  // core 4·4·16·T·8 = 2048·T; lm 2·T·64·100.
  const int64_t T = 10;
  const int64_t expected = 2 * (T * (32768 + 36864) + 2048 * T) + 2 * T * 64 * 100;
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "/m/DeepSeek-V3", T).total_flops, expected);
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "/m/my-model", T, "mla").total_flops, expected);
}

TEST(ReferenceFlops, MlaBranchUsesDenseCoreWithoutDeepseekTypeOrNGroup) {
  // Override "mla" on a model whose model_type is not deepseek and that has no n_group/moa:
  // MLP from the MLA rule, but the attention core is the dense 2·h·d_k·T·(T−1).
  json config = {{"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                 {"intermediate_size", 32}, {"num_experts_per_tok", 1}, {"vocab_size", 100},
                 {"model_type", "llama"}};
  const int64_t T = 10;
  const int64_t mlp = 6 * 64 * 32 * 1;
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "x", T, "mla").total_flops, dense_total(64, 2, 4, 4, mlp, 100, T));
  // n_group present switches to the latent core with M = 1 (no kv_lora_rank).
  config["n_group"] = 8;
  const int64_t expected = 2 * (T * (4 * 64 * 64 + 4 * 64 * 64 + mlp) + 4 * 4 * 16 * T * 1) + 2 * T * 64 * 100;
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "x", T, "mla").total_flops, expected);
}

TEST(ReferenceFlops, GqaOverrideKeepsDeepseekNameOnDenseBranch) {
  const json config = {{"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                       {"intermediate_size", 32}, {"vocab_size", 100}, {"model_type", "deepseek_v2"}};
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "deepseek-llm-7b", 8, "gqa").total_flops,
            dense_total(64, 2, 4, 4, 6 * 64 * 32, 100, 8));
}

TEST(ReferenceFlops, GptOssCountsFourDfPerActiveExpertAndIgnoresHeadDim) {
  // gpt-oss-20b shape: d 2880, h 64 (d_k = 2880 // 64 = 45, not head_dim 64), h_kv 8, f 2880, k 4.
  const json config = {{"hidden_size", 2880}, {"num_hidden_layers", 24}, {"num_attention_heads", 64},
                       {"num_key_value_heads", 8}, {"head_dim", 64}, {"intermediate_size", 2880},
                       {"num_experts_per_tok", 4}, {"vocab_size", 201088}};
  const FlopsEstimate e = reference_flops(HfConfig(config, "config.json"), "openai/gpt-oss-20b", 1024);
  EXPECT_EQ(e.total_flops, dense_total(2880, 24, 64, 8, 4 * 2880 * 2880 * 4, 201088, 1024));
}

TEST(ReferenceFlops, Llama4ReadsTextConfigAndAddsUngatedMlp) {
  const json config = {{"text_config", {{"hidden_size", 5120}, {"num_hidden_layers", 48},
                                        {"num_attention_heads", 40}, {"num_key_value_heads", 8},
                                        {"intermediate_size", 8192}, {"intermediate_size_mlp", 16384},
                                        {"vocab_size", 202048}}}};
  const FlopsEstimate e = reference_flops(HfConfig(config, "config.json"), "meta-llama/Llama-4-Scout-17B-16E", 1024);
  EXPECT_EQ(e.total_flops, dense_total(5120, 48, 40, 8, 5120 * (6 * 16384 + 4 * 8192), 202048, 1024));
}

TEST(ReferenceFlops, QwenMoeWithBDashAAddsSharedExpertWidth) {
  const json config = {{"hidden_size", 3584}, {"num_hidden_layers", 28}, {"num_attention_heads", 28},
                       {"num_key_value_heads", 4}, {"intermediate_size", 18944},
                       {"shared_expert_intermediate_size", 20480}, {"vocab_size", 151936}};
  const int64_t expected = dense_total(3584, 28, 28, 4, 6 * 3584 * (18944 + 20480), 151936, 1024);
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "Qwen/Qwen2-57B-A14B", 1024).total_flops, expected);
  // Case-insensitive matching (documented in flops.h): a lower-case local directory gets the same value.
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "/models/qwen2-57b-a14b-instruct", 1024).total_flops, expected);
}

TEST(ReferenceFlops, Qwen15MoeNameWithoutBDashAGetsNoQuirk) {
  // "Qwen1.5-MoE-A2.7B" contains no "B-A", so the reference uses intermediate_size alone.
  const json config = {{"hidden_size", 2048}, {"num_hidden_layers", 24}, {"num_attention_heads", 16},
                       {"intermediate_size", 5632}, {"shared_expert_intermediate_size", 5632},
                       {"vocab_size", 151936}};
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "Qwen/Qwen1.5-MoE-A2.7B", 1024).total_flops,
            dense_total(2048, 24, 16, 16, 6 * 2048 * 5632, 151936, 1024));
}

TEST(ReferenceFlops, QwenMoeQuirkNeedsSharedExpertKey) {
  const json config = {{"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                       {"intermediate_size", 32}, {"vocab_size", 100}};
  try {
    reference_flops(HfConfig(config, "config.json"), "Qwen2-7B-AWQ", 8);  // "B-A" matches: same failure as the reference
    FAIL() << "expected ModelError";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("shared_expert_intermediate_size"), std::string::npos);
  }
}

TEST(ReferenceFlops, Gemma3TwelveBillionUsesTextConfigVocabAndHeads) {
  // text_config heads are replaced by 16/8 and V by 262208; d_k = 3840 // 16 = 240.
  const json config = {{"vocab_size", 1}, {"text_config", {{"hidden_size", 3840}, {"num_hidden_layers", 48},
                                                           {"num_attention_heads", 99}, {"head_dim", 256},
                                                           {"intermediate_size", 15360}, {"vocab_size", 262144}}}};
  const FlopsEstimate e = reference_flops(HfConfig(config, "config.json"), "google/gemma-3-12b-it", 1024);
  EXPECT_EQ(e.total_flops, dense_total(3840, 48, 16, 8, 6 * 3840 * 15360, 262208, 1024));
}

TEST(ReferenceFlops, Gemma3FourAndTwentySevenBillionHeads) {
  const json four = {{"text_config", {{"hidden_size", 2560}, {"num_hidden_layers", 34},
                                      {"intermediate_size", 10240}, {"vocab_size", 262144}}}};
  EXPECT_EQ(reference_flops(HfConfig(four, "config.json"), "gemma-3-4b-pt", 16).total_flops,
            dense_total(2560, 34, 8, 4, 6 * 2560 * 10240, 262208, 16));
  const json big = {{"text_config", {{"hidden_size", 5376}, {"num_hidden_layers", 62},
                                     {"intermediate_size", 21504}, {"vocab_size", 262144}}}};
  EXPECT_EQ(reference_flops(HfConfig(big, "config.json"), "/models/google/gemma-3-27b-it", 16).total_flops,
            dense_total(5376, 62, 32, 16, 6 * 5376 * 21504, 262208, 16));
}

TEST(ReferenceFlops, Gemma3OneBillionUsesConfigAsIs) {
  const json config = {{"hidden_size", 1152}, {"num_hidden_layers", 26}, {"num_attention_heads", 4},
                       {"num_key_value_heads", 1}, {"intermediate_size", 6912}, {"vocab_size", 262144}};
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "gemma-3-1b-it", 16).total_flops,
            dense_total(1152, 26, 4, 1, 6 * 1152 * 6912, 262144, 16));
}

TEST(ReferenceFlops, RuyiUsesGivenConfigWithFourLayersPerBillion) {
  // Ruyi-Mini-7B: n = 4 × 7 = 28 whatever num_hidden_layers says.
  const json config = {{"hidden_size", 3584}, {"num_hidden_layers", 99}, {"num_attention_heads", 28},
                       {"num_key_value_heads", 4}, {"intermediate_size", 18944}, {"vocab_size", 152064}};
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "/models/Ruyi-Mini-7B", 1024).total_flops,
            dense_total(3584, 28, 28, 4, 6 * 3584 * 18944, 152064, 1024));
  EXPECT_THROW(reference_flops(HfConfig(config, "config.json"), "/models/Ruyi-Mini-1.5B", 1024), ModelError);
  EXPECT_THROW(reference_flops(HfConfig(config, "config.json"), "/models/Ruyi-Mini", 1024), ModelError);
}

TEST(ReferenceFlops, FallbackKeysNLayerNHeadFfnHiddenSize) {
  const json config = {{"hidden_size", 64}, {"n_layer", 3}, {"n_head", 8}, {"ffn_hidden_size", 128},
                       {"vocab_size", 50}, {"num_key_value_heads", nullptr}};
  EXPECT_EQ(reference_flops(HfConfig(config, "config.json"), "gpt", 4).total_flops, dense_total(64, 3, 8, 8, 6 * 64 * 128, 50, 4));
}

TEST(ReferenceFlops, MissingKeyIsModelErrorNamingIt) {
  const json config = {{"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"intermediate_size", 8},
                       {"vocab_size", 10}};
  try {
    reference_flops(HfConfig(config, "config.json"), "m", 8);
    FAIL() << "expected ModelError";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("hidden_size"), std::string::npos);
  }
  EXPECT_THROW(reference_flops(HfConfig(json::array(), "config.json"), "m", 8), ModelError);
  EXPECT_THROW(reference_flops(HfConfig(config, "config.json"), "m", 8, "flash"), ModelError);
}

TEST(ModelSizeFromName, FollowsPythonRegexLeftmostMatch) {
  // Expected values: Python re.search(r'(\d+(?:\.\d+)?)\s*(?:B|billion)', s, re.IGNORECASE).group(1)
  double b = 0;
  ASSERT_TRUE(parse_size_billions("gemma-3-12b-it", &b));
  EXPECT_EQ(b, 12);
  ASSERT_TRUE(parse_size_billions("Ruyi-Mini-7B", &b));
  EXPECT_EQ(b, 7);
  ASSERT_TRUE(parse_size_billions("Qwen1.5-MoE-A2.7B", &b));
  EXPECT_EQ(b, 2.7);
  ASSERT_TRUE(parse_size_billions("model 7 billion", &b));
  EXPECT_EQ(b, 7);
  ASSERT_TRUE(parse_size_billions("1.5.3b", &b));
  EXPECT_EQ(b, 5.3);
  ASSERT_TRUE(parse_size_billions("Llama-4-Scout-17B-16E", &b));
  EXPECT_EQ(b, 17);
  EXPECT_FALSE(parse_size_billions("gemma-3-270m", &b));
  EXPECT_FALSE(parse_size_billions("x12.b", &b));
}

}  // namespace
}  // namespace icsweep
