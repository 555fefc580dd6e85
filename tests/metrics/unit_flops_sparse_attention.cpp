// The exact FLOPs profile of DeepSeek sparse attention (deepseek_v32, glm_moe_dsa) on the parity
// fixtures' config, written out by hand: d 64, 2 layers (the first dense), 4 heads, q LoRA 24, kv
// LoRA 16, nope 16 + rope 8 = qk 24, v 16, 4 experts of 32 (top 2) + 1 shared, dense MLP 96,
// vocabulary 256; indexer: top 6 keys, 2 heads of 16.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config/hf_config.h"
#include "core/metrics/flops.h"
#include "test_paths.h"

namespace icsweep {
namespace {

HfConfig fixture_config(const std::string& name) {
  return HfConfig::load(testing::source_dir() + "/tests/fixtures/" + name);
}

// One sequence of L = 8.
//   MLA projections per token: q_a 64·24 + q_b 24·4·24 + kv_a 64·(16+8) + kv_b 16·4·(16+16) + o 4·16·64
//     = 1536 + 2304 + 1536 + 2048 + 4096 = 11520; the indexer: wq_b 24·2·16 + wk 64·16 + weights_proj
//     64·2 = 768 + 1024 + 128 = 1920.
//   Attention core: 2·4·(24+16) = 320 per attended key, Σ min(i+1, 6) over i < 8 = 33 keys;
//     the indexer scores every causal key (Σ i+1 = 36) at 2·2·16 + 2·2 = 68.
//   MLP per token: dense 3·64·96 = 18432; MoE router 64·4 + 2·3·64·32 + 3·64·32 = 18688.
//   Head: 2·8·64·256 = 262144.
TEST(SparseAttentionFlops, DeepseekV32ByHand) {
  const int64_t L = 8, proj = 11520 + 1920, core = 320 * 33 + 68 * 36;
  const int64_t expected = 2 * (2 * L * proj + core) + 2 * L * 18432 + 2 * L * 18688 + 2 * L * 64 * 256;
  EXPECT_EQ(expected, 1312160);
  const FlopsEstimate e = exact_flops(fixture_config("deepseek_v32_indexer"), {L});
  EXPECT_EQ(e.total_flops, expected);
  bool noted = false;
  for (const auto& n : e.notes) noted = noted || n.find("index_topk = 6") != std::string::npos;
  EXPECT_TRUE(noted);
  // Below index_topk the attention is dense: L = 4 attends Σ i+1 = 10 keys, as MLA without an indexer.
  const int64_t short_expected = 2 * (2 * 4 * proj + 320 * 10 + 68 * 10) + 2 * 4 * (18432 + 18688) + 2 * 4 * 64 * 256;
  EXPECT_EQ(exact_flops(fixture_config("deepseek_v32_indexer"), {4}).total_flops, short_expected);
}

// GLM-5 counts the same on the same shape (its indexer rotates adjacent pairs: no FLOPs difference).
TEST(SparseAttentionFlops, GlmMoeDsaSameShape) {
  EXPECT_EQ(exact_flops(fixture_config("glm_moe_dsa_indexer"), {8}).total_flops, 1312160);
}

// A "shared" layer 1 (indexer_types) runs no indexer: no wq_b/wk/weights_proj (1920 per token) and no
// scores (68 per causal key, 36 keys), but attends the same 33 keys:
//   1312160 - (2·8·1920 + 68·36) = 1312160 - 33168 = 1278992.
TEST(SparseAttentionFlops, GlmMoeDsaSharedLayerRunsNoIndexer) {
  std::ifstream in(testing::source_dir() + "/tests/fixtures/glm_moe_dsa_indexer/config.json");
  auto json = nlohmann::json::parse(in);
  json["indexer_types"] = {"full", "shared"};
  const FlopsEstimate e = exact_flops(HfConfig::parse(json.dump(), "glm_moe_dsa_indexer (shared layer 1)"), {8});
  EXPECT_EQ(e.total_flops, 1312160 - (2 * 8 * 1920 + 68 * 36));
  EXPECT_EQ(e.total_flops, 1278992);
  bool noted = false;
  for (const auto& n : e.notes) noted = noted || n.find("shared layers reuse the previous choice") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace icsweep
