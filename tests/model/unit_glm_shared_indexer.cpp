// GLM-5's "shared" indexer layers (indexer_types), built from the glm_moe_dsa_indexer parity fixture
// (both its layers "full") by marking layer 1 "shared": it attends to layer 0's top-k keys. transformers
// builds no indexer there, so a checkpoint may hold layer 1's indexer tensors or not; both load alike.
// Queries with at most index_topk causal keys attend to all of them whichever layer chose, so their
// numbers stay transformers' (the fixture's); later ones change once layer 1 stops choosing its own.
// Also the per-layer schedule GlmMoeDsaConfig derives when config.json has no indexer_types.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/families/deepseek.h"
#include "core/model/safetensors.h"
#include "model/nll_bits.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

const fs::path kFixture = fs::path(testing::source_dir()) / "tests" / "fixtures" / "glm_moe_dsa_indexer";

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// The fixture with indexer_types [full, shared], in `name`; keep_shared_indexer: layer 1's indexer
// tensors stay in the checkpoint (unused).
std::string shared_layer_checkpoint(const std::string& name, bool keep_shared_indexer) {
  const std::string dir = testing::scratch_dir(name);
  auto config = read_json(kFixture / "config.json");
  config["indexer_types"] = {"full", "shared"};
  std::ofstream(fs::path(dir) / "config.json") << config.dump(1);
  const SafetensorsCheckpoint src(kFixture.string());
  std::vector<TensorData> tensors;
  for (const auto& [tensor, e] : src.tensors()) {
    if (!keep_shared_indexer && tensor.rfind("model.layers.1.self_attn.indexer.", 0) == 0) continue;
    tensors.push_back({tensor, e->dtype, e->shape, std::string(reinterpret_cast<const char*>(e->data), e->nbytes)});
  }
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors);
  return dir;
}

TEST(GlmSharedIndexer, SharedLayerReusesTheFirstLayersChoice) {
  auto with = load_causal_lm(shared_layer_checkpoint("glm_shared_with_indexer", true), torch::kFloat32, torch::kCPU);
  auto without = load_causal_lm(shared_layer_checkpoint("glm_shared_without_indexer", false), torch::kFloat32, torch::kCPU);
  const auto ref = read_json(kFixture / "logprobs.json");
  const int64_t top_k = read_json(kFixture / "config.json")["index_topk"].get<int64_t>();  // 6
  double changed = 0.0;  // largest |diff| past index_topk keys
  for (const auto& s : ref["sequences"]) {
    const auto ids = torch::tensor(s["ids"].get<std::vector<int64_t>>(), torch::kInt64).unsqueeze(0);  // (1, T)
    const auto expected = s["nll_bits"].get<std::vector<double>>();
    const auto got = testing::nll_bits(*with, ids)[0];                                                  // (T-1)
    EXPECT_TRUE(torch::equal(got, testing::nll_bits(*without, ids)[0]));
    for (size_t t = 0; t < expected.size(); ++t) {  // token t+1 from query t, which has t+1 causal keys
      const double diff = std::abs(got[t].item<double>() - expected[t]);
      if (static_cast<int64_t>(t) < top_k)
        EXPECT_LE(diff, 1e-4) << "query " << t << " attends to every causal key";
      else
        changed = std::max(changed, diff);
    }
  }
  EXPECT_GT(changed, 1e-3) << "layer 1 picked its own keys: the shared layer should reuse layer 0's";
}

// GlmMoeDsaConfig.__post_init__'s schedule without indexer_types: index_topk_pattern, else full where
// max(i - index_skip_topk_offset + 1, 0) % index_topk_freq == 0: freq 4, offset 2 over 8 layers gives
// i = 0..7 -> 0, 0, 1, 2, 3, 4, 5, 6 -> full, full, shared, shared, shared, full, shared, shared.
TEST(GlmSharedIndexer, ConfigSchedule) {
  auto config = read_json(kFixture / "config.json");
  config.erase("indexer_types");
  config["num_hidden_layers"] = 8;
  config["mlp_layer_types"] = std::vector<std::string>(8, "dense");
  const auto parse = [](const nlohmann::json& j) {
    return DeepseekConfig::from_hf(HfConfig::parse(j.dump(), "glm test config"), "glm_moe_dsa").indexer_shared;
  };
  EXPECT_EQ(parse(config), std::vector<bool>(8, false));  // freq 1: every layer full
  config["index_topk_freq"] = 4;
  EXPECT_EQ(parse(config), (std::vector<bool>{false, false, true, true, true, false, true, true}));
  config["index_topk_pattern"] = "FSFFSSSF";
  EXPECT_EQ(parse(config), (std::vector<bool>{false, true, false, false, true, true, true, false}));
  config["index_topk_pattern"] = "FSX";
  EXPECT_THROW(parse(config), ModelError);
  config.erase("index_topk_pattern");
  config["indexer_types"] = std::vector<std::string>(8, "shared");
  EXPECT_THROW(parse(config), ModelError);  // the first layer has nothing to share
}

}  // namespace
}  // namespace icsweep
