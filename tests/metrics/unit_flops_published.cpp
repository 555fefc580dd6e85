// Both FLOPs profiles on config.json files as published (tests/config/published/, sources in
// SOURCES.md there). Expected values are the formulas written out by hand with the numbers copied
// from each file, never computed by the code under test:
//   reference  total = n·[T·(4d² + 4·d·kv + mlp) + 2·h·d_k·T·(T−1)] + 2·T·d·V,  d_k = d // h, kv = h_kv·d_k
//   exact      per layer 2·L·(q,k,v,o weights + MLP weights) + 2·h·(2·head_dim)·Σ keys, + 2·L·d·V
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/config/hf_config.h"
#include "core/metrics/flops.h"
#include "test_paths.h"

namespace icsweep {
namespace {

HfConfig published(const std::string& file) {
  return HfConfig::load_file(testing::source_dir() + "/tests/config/published/" + file);
}

int64_t reference_dense(int64_t d, int64_t n, int64_t h, int64_t h_kv, int64_t mlp, int64_t V, int64_t T) {
  const int64_t d_k = d / h, kv = h_kv * d_k;
  return n * (T * (4 * d * d + 4 * d * kv + mlp) + 2 * h * d_k * T * (T - 1)) + 2 * T * d * V;
}

// One sequence of L tokens; `keys` = Σ over positions of the keys each attends to.
int64_t exact_dense(int64_t d, int64_t n, int64_t h, int64_t h_kv, int64_t hd, int64_t mlp_weights, int64_t V,
                    int64_t L, int64_t keys) {
  const int64_t projection_weights = d * h * hd + 2 * d * h_kv * hd + h * hd * d;
  return n * (2 * L * (projection_weights + mlp_weights) + 2 * h * 2 * hd * keys) + 2 * L * d * V;
}

int64_t causal_keys(int64_t L) { return L * (L + 1) / 2; }

// Both profiles at T = 1024 of a dense model whose layers are all causal at that length: the
// reference with the SwiGLU 6·d·f, the exact profile with the real head_dim and the gated MLP 3·d·f.
void expect_dense_swiglu(const std::string& file, const std::string& name, int64_t d, int64_t n, int64_t h,
                         int64_t h_kv, int64_t head_dim, int64_t f, int64_t V) {
  const HfConfig c = published(file);
  EXPECT_EQ(reference_flops(c, name, 1024).total_flops, reference_dense(d, n, h, h_kv, 6 * d * f, V, 1024)) << file;
  EXPECT_EQ(exact_flops(c, {1024}).total_flops,
            exact_dense(d, n, h, h_kv, head_dim, 3 * d * f, V, 1024, causal_keys(1024)))
      << file;
}

std::string notes(const FlopsEstimate& e) {
  std::string all;
  for (const auto& n : e.notes) all += n + "\n";
  return all;
}

// The reference reads cfg["hidden_size"] and stops on GPT-2's n_embd; GPT2Config maps it, and
// GPT2MLP is 4·n_embd wide when n_inner is absent.
TEST(PublishedConfigs, Gpt2LargeThroughGpt2ConfigAliases) {
  const HfConfig c = published("gpt2-large.json");
  const FlopsEstimate r = reference_flops(c, "openai-community/gpt2-large", 1024);
  EXPECT_EQ(r.total_flops, reference_dense(1280, 36, 20, 20, 6 * 1280 * 5120, 50257, 1024));
  EXPECT_NE(notes(r).find("hidden_size = 1280 from n_embd (GPT2Config attribute_map)"), std::string::npos) << notes(r);
  EXPECT_NE(notes(r).find("4·hidden_size"), std::string::npos) << notes(r);
  // GPT-2: q/k/v/o 4·d², MLP 2·d·4d, head_dim 64.
  EXPECT_EQ(exact_flops(c, {1024}).total_flops,
            exact_dense(1280, 36, 20, 20, 64, 2 * 1280 * 5120, 50257, 1024, causal_keys(1024)));
}

// gemma-3-4b-it publishes a text_config of six keys; Gemma3TextConfig gives the rest (8 heads, 4
// kv heads, head_dim 256, V 262208; every 6th layer full attention, the others a 1024 window).
TEST(PublishedConfigs, Gemma3FourBillionMinimalTextConfig) {
  const HfConfig c = published("gemma-3-4b-it.json");
  const FlopsEstimate r = reference_flops(c, "google/gemma-3-4b-it", 1024);
  EXPECT_EQ(r.total_flops, reference_dense(2560, 34, 8, 4, 6 * 2560 * 10240, 262208, 1024));
  EXPECT_EQ(exact_flops(c, {1024}).total_flops,
            exact_dense(2560, 34, 8, 4, 256, 3 * 2560 * 10240, 262208, 1024, causal_keys(1024)));
  // L = 2048: layers 5, 11, 17, 23, 29 full; 29 sliding layers see 1024·1025/2 + 1024·1024 keys.
  const int64_t L = 2048, full = 5, sliding = 29;
  const int64_t attention = 2 * 8 * 2 * 256 * (full * causal_keys(L) + sliding * (1024 * 1025 / 2 + 1024 * 1024));
  const int64_t rest = 34 * 2 * L * (2560 * 8 * 256 + 2 * 2560 * 4 * 256 + 8 * 256 * 2560 + 3 * 2560 * 10240) +
                       2 * L * 2560 * 262208;
  EXPECT_EQ(exact_flops(c, {L}).total_flops, attention + rest);
}

TEST(PublishedConfigs, Gemma3TwentySevenBillion) {
  expect_dense_swiglu("gemma-3-27b-it.json", "google/gemma-3-27b-it", 5376, 62, 32, 16, 128, 21504, 262208);
}

// Wrappers whose top level holds no hidden_size: the reference stops; the formula on text_config.
TEST(PublishedConfigs, WrappersUseTheTextModelWithANote) {
  const FlopsEstimate qwen = reference_flops(published("qwen3.5-9b.json"), "Qwen/Qwen3.5-9B", 1024);
  EXPECT_EQ(qwen.total_flops, reference_dense(4096, 32, 16, 4, 6 * 4096 * 12288, 248320, 1024));
  EXPECT_NE(notes(qwen).find("has no 'hidden_size'"), std::string::npos) << notes(qwen);
  EXPECT_NE(notes(qwen).find("text model"), std::string::npos) << notes(qwen);
  const FlopsEstimate mistral3 =
      reference_flops(published("devstral-small-2-24b-instruct.json"), "mistralai/Devstral-Small-2-24B-Instruct-2512", 1024);
  EXPECT_EQ(mistral3.total_flops, reference_dense(5120, 40, 32, 8, 6 * 5120 * 32768, 131072, 1024));
  const FlopsEstimate gemma4 = reference_flops(published("gemma-4-31b-it.json"), "google/gemma-4-31B-it", 1024);
  EXPECT_EQ(gemma4.total_flops, reference_dense(5376, 60, 32, 16, 6 * 5376 * 21504, 262144, 1024));
}

// Devstral Small 2 (mistral3 wrapper, ministral3 text model): the exact profile takes head_dim 128 as
// written (5120 / 32 = 160 would be the leaderboard's d_k); every layer full attention (sliding_window
// null); untied head.
TEST(PublishedConfigs, Ministral3WrapperExactUsesItsHeadDim) {
  const HfConfig c = published("devstral-small-2-24b-instruct.json");
  EXPECT_EQ(exact_flops(c, {1024}).total_flops,
            exact_dense(5120, 40, 32, 8, 128, 3 * 5120 * 32768, 131072, 1024, causal_keys(1024)));
  // By hand for one layer at L = 2: projections 2·2·(5120·4096 + 2·5120·1024 + 4096·5120), MLP
  // 2·2·3·5120·32768, attention 2·32·(2·128)·(1 + 2) keys; head 2·2·5120·131072.
  const int64_t layer = 2 * 2 * (5120LL * 4096 + 2 * 5120 * 1024 + 4096 * 5120) + 2 * 2 * 3 * 5120LL * 32768 +
                        2 * 32 * 256 * 3;
  EXPECT_EQ(exact_flops(c, {2}).total_flops, 40 * layer + 2 * 2 * 5120LL * 131072);
}

TEST(PublishedConfigs, ExactProfileNamesFamiliesItDoesNotKnowYet) {
  const HfConfig c(nlohmann::json{{"model_type", "rwkv"}, {"architectures", {"RwkvForCausalLM"}}}, "config.json");
  try {
    exact_flops(c, {1024});
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("rwkv"), std::string::npos) << e.what();
  }
}

// Qwen3.5-9B (qwen3_5 wrapper): 24 Gated DeltaNet layers (Hk 16, Hv 32, Dk = Dv = 128, 4 taps) and 8
// full-attention layers (16 heads, 4 kv heads, head_dim 256, q_proj with its output gate), SwiGLU
// 12288, V 248320, untied. The reference formula counts all 32 layers as attention (and says so).
TEST(PublishedConfigs, Qwen35NineBillionGatedDeltaNetBothProfiles) {
  const HfConfig c = published("qwen3.5-9b.json");
  const FlopsEstimate r = reference_flops(c, "Qwen/Qwen3.5-9B", 1024);
  EXPECT_EQ(r.total_flops, reference_dense(4096, 32, 16, 4, 6 * 4096 * 12288, 248320, 1024));
  EXPECT_NE(notes(r).find("treats every layer as attention"), std::string::npos) << notes(r);
  // Linear layer weights: in 4096·(2·2048 + 4096 + 4096 + 2·32) = 4096·12352, out 4096·4096.
  const int64_t linear_weights = 4096LL * 12352 + 4096LL * 4096;  // 67,371,008
  // Attention: q + gate 4096·2·4096, k and v 2·4096·1024, o 4096·4096.
  const int64_t attention_weights = 4096LL * 8192 + 2 * 4096LL * 1024 + 4096LL * 4096;  // 58,720,256
  const int64_t L = 1024, mlp = 3 * 4096LL * 12288;
  // Linear core: conv 2·L·8192·4; 16 chunks of 64, per head and chunk 2·64²·128 + 64·63/2·256 + 64²·128
  // + 3·64·128² multiply-adds, 32 heads.
  const int64_t per_chunk = 2 * 64 * 64 * 128 + 2016 * 256 + 64 * 64 * 128 + 3 * 64 * 128 * 128;  // 5,234,688
  const int64_t linear_core = 2 * L * 8192 * 4 + 2 * 32 * 16 * per_chunk;
  const int64_t attention_core = 2 * 16 * 512 * (L * (L + 1) / 2);
  const int64_t expected = 24 * (2 * L * (linear_weights + mlp) + linear_core) +
                           8 * (2 * L * (attention_weights + mlp) + attention_core) + 2 * L * 4096 * 248320;
  EXPECT_EQ(exact_flops(c, {L}).total_flops, static_cast<double>(expected));
}

TEST(PublishedConfigs, DenseAndMoeFamiliesAsWritten) {
  expect_dense_swiglu("llama-3.1-8b-instruct.json", "meta-llama/Llama-3.1-8B-Instruct", 4096, 32, 32, 8, 128, 14336, 128256);
  expect_dense_swiglu("qwen2.5-7b-instruct.json", "Qwen/Qwen2.5-7B-Instruct", 3584, 28, 28, 4, 128, 18944, 152064);
  // gpt-oss: mlp = 4·d·f·k; d_k = 2880 // 64 = 45.
  EXPECT_EQ(reference_flops(published("gpt-oss-120b.json"), "openai/gpt-oss-120b", 1024).total_flops,
            reference_dense(2880, 36, 64, 8, 4 * 2880 * 2880 * 4, 201088, 1024));
}

// gemma-4-31B-it (exact): 60 layers, every 6th full. Sliding layers: 32 heads of 256, 16 kv heads,
// window 1024 (>= T: plain causal). Full layers: heads of global_head_dim 512 and, with
// attention_k_eq_v, num_global_key_value_heads 4 and no v_proj. MLP 3·5376·21504; tied head V 262144.
TEST(PublishedConfigs, Gemma4ThirtyOneBillionGlobalLayersShareKeyAndValue) {
  const HfConfig c = published("gemma-4-31b-it.json");
  const int64_t d = 5376, T = 1024, mlp = 3 * d * 21504;
  const int64_t sliding = d * 32 * 256 + 2 * d * 16 * 256 + 32 * 256 * d + mlp;
  const int64_t full = d * 32 * 512 + d * 4 * 512 + 32 * 512 * d + mlp;
  const int64_t attention = 50 * 2 * 32 * (2 * 256) * causal_keys(T) + 10 * 2 * 32 * (2 * 512) * causal_keys(T);
  EXPECT_EQ(exact_flops(c, {T}).total_flops, 2 * T * (50 * sliding + 10 * full) + attention + 2 * T * d * 262144);
}

// gemma-4-E2B-it: 35 layers, full ones at 4, 9, ..., 34; the last 20 (15..34) share keys and values
// (4 full, 16 sliding) and have the double-wide MLP 3·1536·12288; per-layer embeddings P 256 add
// 3·1536·256 everywhere. 8 heads, 1 kv head (num_global_key_value_heads null): sliding heads of 256,
// full of 512; window 512. Reference: the leaderboard formula on the text config (d_k 1536 // 8 = 192).
TEST(PublishedConfigs, Gemma4E2bPerLayerEmbeddingsAndSharedKv) {
  const HfConfig c = published("gemma-4-e2b-it.json");
  const int64_t d = 1536, T = 1024, ple = 3 * d * 256, mlp = 3 * d * 6144, wide = 3 * d * 12288;
  const int64_t q_o_sliding = 2 * d * 8 * 256, q_o_full = 2 * d * 8 * 512;
  const int64_t weights = 12 * (q_o_sliding + 2 * d * 256 + mlp + ple) + 3 * (q_o_full + 2 * d * 512 + mlp + ple) +
                          16 * (q_o_sliding + wide + ple) + 4 * (q_o_full + wide + ple);
  const int64_t window_keys = 512 * 513 / 2 + (T - 512) * 512;
  const int64_t attention = 28 * 2 * 8 * (2 * 256) * window_keys + 7 * 2 * 8 * (2 * 512) * causal_keys(T);
  EXPECT_EQ(exact_flops(c, {T}).total_flops, 2 * T * weights + attention + 2 * T * d * 262144);
  EXPECT_EQ(reference_flops(c, "google/gemma-4-E2B-it", T).total_flops,
            reference_dense(d, 35, 8, 1, 6 * d * 6144, 262144, T));
}

// DeepSeek-V3, MLA branch: d_k = 7168 // 128 = 56, kv = 128·56 = 7168, mlp = 6·d·2048·(1 + 8),
// attention core 4·h·d_k·T·512 per layer.
TEST(PublishedConfigs, DeepSeekV3MlaBranch) {
  const int64_t d = 7168, n = 61, T = 1024, proj = 4 * d * d + 4 * d * 7168, mlp = 6 * d * 2048 * 9;
  const int64_t expected = n * (T * (proj + mlp) + 4 * 128 * 56 * T * 512) + 2 * T * d * 129280;
  EXPECT_EQ(reference_flops(published("deepseek-v3.json"), "deepseek-ai/DeepSeek-V3", T).total_flops, expected);
}

// SmolLM3-3B: Llama-shaped (16 heads of 128, 4 kv heads, SwiGLU 11008, V 128256). Every 4th layer
// skips RoPE, which costs no FLOPs; use_sliding_window false and sliding_window null: all causal.
TEST(PublishedConfigs, SmolLM3ThreeBillionNoRopeLayersCostTheSame) {
  expect_dense_swiglu("smollm3-3b.json", "HuggingFaceTB/SmolLM3-3B", 2048, 36, 16, 4, 128, 11008, 128256);
}

// Olmo-3.1-32B-Instruct (olmo3): 64 layers, 40 heads of 128, 8 kv heads, SwiGLU 27648, untied V
// 100278; layer_types: three sliding (window 4096), then one full, 16 times. T = 1024 < 4096: all causal.
TEST(PublishedConfigs, Olmo3ThirtyTwoBillionSlidingLayers) {
  expect_dense_swiglu("olmo-3.1-32b-instruct.json", "allenai/Olmo-3.1-32B-Instruct", 5120, 64, 40, 8, 128, 27648,
                      100278);
  // L = 8192: the 48 sliding layers see 4096·4097/2 + 4096·4096 keys, the 16 full ones 8192·8193/2.
  const int64_t L = 8192;
  const int64_t weights = 5120 * 40 * 128 + 2 * 5120 * 8 * 128 + 40 * 128 * 5120 + 3 * 5120 * 27648;
  const int64_t attention = 2 * 40 * 2 * 128 * (48 * (4096LL * 4097 / 2 + 4096LL * 4096) + 16 * causal_keys(L));
  EXPECT_EQ(exact_flops(published("olmo-3.1-32b-instruct.json"), {L}).total_flops,
            64 * 2 * L * weights + attention + 2 * L * 5120 * 100278);
}

// Qwen3-Next-80B-A3B-Thinking: 48 layers, no layer_types, full_attention_interval 4: 36 Gated
// DeltaNet layers (Hk 16, Hv 32, Dk = Dv = 128, 4 taps) and 12 full-attention layers (16 heads of
// 256, 2 kv heads, q_proj with its output gate). Every layer sparse (decoder_sparse_step 1,
// mlp_only_layers []): router 512, top 10 of 512-wide experts, a 512-wide shared expert and its gate.
// Untied head, V 151936. The reference formula counts all 48 layers as attention (and says so).
TEST(PublishedConfigs, Qwen3NextGatedDeltaNetAndExperts) {
  const HfConfig c = published("qwen3-next-80b-a3b-thinking.json");
  const FlopsEstimate r = reference_flops(c, "Qwen/Qwen3-Next-80B-A3B-Thinking", 1024);
  EXPECT_EQ(r.total_flops, reference_dense(2048, 48, 16, 2, 6 * 2048 * 5120, 151936, 1024));
  EXPECT_NE(notes(r).find("treats every layer as attention"), std::string::npos) << notes(r);
  // Linear layer: in 2048·(2·2048 + 4096 + 4096 + 2·32) = 2048·12352, out 4096·2048.
  const int64_t linear_weights = 2048LL * 12352 + 4096LL * 2048;
  // Attention: q + gate 2048·2·4096, k and v 2·2048·512, o 4096·2048.
  const int64_t attention_weights = 2048LL * 8192 + 2 * 2048LL * 512 + 4096LL * 2048;
  const int64_t moe = 2048LL * 512 + 10 * 3 * 2048LL * 512 + 3 * 2048LL * 512 + 2048;
  const int64_t L = 1024;
  // Linear core: conv 2·L·8192·4; 16 chunks of 64, per head and chunk 2·64²·128 + 64·63/2·256 + 64²·128
  // + 3·64·128² multiply-adds, 32 value heads.
  const int64_t per_chunk = 2 * 64 * 64 * 128 + 2016 * 256 + 64 * 64 * 128 + 3 * 64 * 128 * 128;
  const int64_t linear_core = 2 * L * 8192 * 4 + 2 * 32 * 16 * per_chunk;
  const int64_t attention_core = 2 * 16 * 512 * causal_keys(L);
  const int64_t expected = 36 * (2 * L * (linear_weights + moe) + linear_core) +
                           12 * (2 * L * (attention_weights + moe) + attention_core) + 2 * L * 2048 * 151936;
  EXPECT_EQ(exact_flops(c, {L}).total_flops, static_cast<double>(expected));
}

// Kimi-K2 (DeepseekV3ForCausalLM, model_type kimi_k2, FP8): the deepseek family's MLA and MoE. 61
// layers, d 7168, 64 heads; q_lora 1536, kv_lora 512, qk 128 + 64 rope, v 128; layer 0 dense (18432),
// then 384 experts of 2048, top 8, one shared. Untied head, V 163840.
TEST(PublishedConfigs, KimiK2MlaAndExperts) {
  const HfConfig c = published("kimi-k2.json");
  const int64_t d = 7168, T = 1024;
  // Reference: the name has no "deepseek", so the dense formula (its default for the name), f =
  // intermediate_size; with the "mla" override the MLA branch (n_group present: latent core, M 512).
  EXPECT_EQ(reference_flops(c, "moonshotai/Kimi-K2-Base", T).total_flops,
            reference_dense(d, 61, 64, 64, 6 * d * 18432, 163840, T));
  const int64_t proj = 4 * d * d + 4 * d * (64 * 112), mlp = 6 * d * 2048 * (1 + 8);
  const FlopsEstimate mla = reference_flops(c, "moonshotai/Kimi-K2-Base", T, "mla");
  EXPECT_EQ(mla.total_flops, 61 * (T * (proj + mlp) + 4 * 64 * 112 * T * 512) + 2 * T * d * 163840);
  EXPECT_NE(notes(mla).find("M = kv_lora_rank = 512"), std::string::npos) << notes(mla);
  // Exact: q_a 7168·1536, q_b 1536·64·192, kv_a 7168·(512 + 64), kv_b 512·64·(128 + 128), o 64·128·7168.
  const int64_t attention = d * 1536 + 1536 * 64 * 192 + d * 576 + 512 * 64 * 256 + 64 * 128 * d;
  const int64_t moe = d * 384 + 8 * 3 * d * 2048 + 3 * d * 2048;
  const int64_t core = 2 * 64 * (192 + 128) * causal_keys(T);
  EXPECT_EQ(exact_flops(c, {T}).total_flops,
            61 * (2 * T * attention + core) + 2 * T * (3 * d * 18432 + 60 * moe) + 2 * T * d * 163840);
}

// LFM2.5-VL-1.6B: an lfm2_vl wrapper whose text_config is LFM2-1.2B (16 layers: 10 short-conv, 6
// attention with 32 heads of 64 and 8 kv heads; V 65536). The reference stops at the wrapper and
// applies its formula to text_config (intermediate_size 12288 as written). The exact profile counts the
// text model the wrapper is scored on (Lfm2VlForConditionalGeneration's registry row), with
// block_auto_adjust_ff_dim's MLP width 2·12288/3 = 8192; an architecture it does not know is named.
TEST(PublishedConfigs, Lfm2VlWrapperReferenceAndExactOnTheTextModel) {
  const HfConfig c = published("lfm2.5-vl-1.6b.json");
  const FlopsEstimate r = reference_flops(c, "LiquidAI/LFM2.5-VL-1.6B", 1024);
  EXPECT_EQ(r.total_flops, reference_dense(2048, 16, 32, 8, 6 * 2048 * 12288, 65536, 1024));
  EXPECT_NE(notes(r).find("has no 'hidden_size'"), std::string::npos) << notes(r);
  EXPECT_NE(notes(r).find("treats every layer as attention"), std::string::npos) << notes(r);
  const int64_t d = 2048, L = 1024, mlp = 3 * d * 8192;
  const int64_t attention = 6 * (2 * L * (2 * d * 2048 + 2 * d * 512 + mlp) + 2 * 32 * 128 * causal_keys(L));
  const int64_t conv = 10 * (2 * L * (3 * d * d + d * d + mlp) + 2 * L * d * 3);  // in/out proj, conv taps 3
  EXPECT_EQ(exact_flops(c, {L}).total_flops, attention + conv + 2 * L * d * 65536);
  const HfConfig text(c.json().at("text_config"), "lfm2.5-vl-1.6b.json [text_config]");
  EXPECT_EQ(exact_flops(text, {L}).total_flops, attention + conv + 2 * L * d * 65536);
  auto renamed = c.json();
  renamed["architectures"] = {"Lfm2AudioForConditionalGeneration"};
  try {
    exact_flops(HfConfig(renamed, "renamed.json"), {1024});
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    // The wrapper is what the registry looks up (its text model_type, lfm2, is known).
    const std::string what = e.what();
    EXPECT_NE(what.find("architecture Lfm2AudioForConditionalGeneration (model_type 'lfm2_vl') is not known"),
              std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace icsweep
