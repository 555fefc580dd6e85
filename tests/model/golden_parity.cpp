// Parity with Hugging Face transformers: every tests/fixtures/<name>/logprobs.json (written by
// tests/model/gen_parity_fixtures.py on the GPU machine) holds per-token NLL bits computed by
// transformers in fp32; icsweep's forward must match within 1e-4 bits, one sequence at a time and
// as one right-padded batch.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/model/causal_lm.h"
#include "demo_tools/tiny_model.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;
constexpr double kToleranceBits = 1e-4;

fs::path fixtures_dir() { return fs::path(testing::source_dir()) / "tests" / "fixtures"; }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// NLL bits of ids[t+1] under logits row t, log_softmax in fp32 over the full vocabulary.
// ids: (B, T); returns (B, T-1) float64.
torch::Tensor nll_bits(CausalLM& model, const torch::Tensor& ids) {
  torch::InferenceMode guard;
  auto hidden = model.forward_hidden(ids);                           // (B, T, D)
  const auto b = hidden.size(0), t = hidden.size(1), d = hidden.size(2);
  auto logits = model.logits(hidden.reshape({b * t, d})).view({b, t, -1}).to(torch::kFloat32);  // (B, T, V)
  auto logp = torch::log_softmax(logits, -1).narrow(1, 0, t - 1);   // (B, T-1, V)
  auto next = ids.narrow(1, 1, t - 1).unsqueeze(-1);                // (B, T-1, 1)
  return (-logp.gather(-1, next).squeeze(-1) / std::log(2.0)).to(torch::kFloat64);
}

// Max |icsweep - transformers| over every scored token of the fixture.
double max_abs_diff(const fs::path& model_dir, const nlohmann::json& ref) {
  auto model = load_causal_lm(model_dir.string(), torch::kFloat32, torch::kCPU);
  double worst = 0;
  const auto& seqs = ref["sequences"];
  int64_t longest = 0;
  for (const auto& s : seqs) longest = std::max<int64_t>(longest, s["ids"].size());
  const bool batch = ref.value("batch_invariant", true);
  auto padded = torch::zeros({static_cast<int64_t>(seqs.size()), longest}, torch::kInt64);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto ids_vec = seqs[i]["ids"].get<std::vector<int64_t>>();
    const auto expected = seqs[i]["nll_bits"].get<std::vector<double>>();
    const int64_t n = ids_vec.size();
    auto ids = torch::tensor(ids_vec, torch::kInt64).unsqueeze(0);  // (1, T)
    padded[i].narrow(0, 0, n).copy_(ids[0]);
    if (n < 2) continue;
    auto got = nll_bits(*model, ids)[0];
    EXPECT_EQ(got.size(0), static_cast<int64_t>(expected.size()));
    for (int64_t t = 0; t + 1 < n; ++t) worst = std::max(worst, std::abs(got[t].item<double>() - expected[t]));
  }
  if (batch) {
    // Right padding (id 0) must not change the real tokens' values.
    auto got = nll_bits(*model, padded);
    for (size_t i = 0; i < seqs.size(); ++i) {
      const auto expected = seqs[i]["nll_bits"].get<std::vector<double>>();
      for (size_t t = 0; t < expected.size(); ++t)
        worst = std::max(worst, std::abs(got[i][t].item<double>() - expected[t]));
    }
  }
  return worst;
}

// Every family's fixtures, so that a lost directory fails instead of silently shrinking the test.
constexpr const char* kExpectedFixtures[] = {
    "llama_gqa", "llama_mha_tied_bias", "qwen2_bias", "qwen2_window_tied", "mistral_window_head_dim",
    "llama3_rope", "llama_linear_rope", "llama_yarn_rope", "llama_dynamic_rope",
    "qwen3_gqa_head_dim", "qwen3_mha_tied_bias_window", "olmo2_gqa", "olmo2_mha_tied_bias", "gpt2_tied",
    "gpt2_untied_layer_scale", "gpt_neox_parallel", "gpt_neox_sequential_tied", "phi3_gqa",
    "phi3_mha_tied_partial", "phi3_longrope",
    "gemma3_text_gqa_tied", "gemma3_text_mha_softcap", "gemma3_multimodal_text", "glm4_gqa_bias",
    "glm4_mha_tied_quarter", "hunyuan_dense_gqa", "hunyuan_dense_alpha_tied", "seed_oss_gqa_bias",
    "seed_oss_mha_tied", "internlm2_gqa", "internlm2_mha_bias_dynamic",
    "mixtral_top2", "mixtral_top1_window", "qwen2_moe_top2", "qwen2_moe_top1_sparse_step", "qwen3_moe_top2",
    "qwen3_moe_top1_dense_layer", "deepseek_v2_qlora_greedy", "deepseek_v2_lite_yarn_group", "deepseek_v3_group_bias",
    "deepseek_v3_nolora_yarn", "glm4_moe_shared", "glm4_moe_qk_norm_top1",
    "gpt_oss_top2", "gpt_oss_mxfp4", "llama4_text_chunked_nope",
};

TEST(Parity, EveryFixtureMatchesTransformersInFp32) {
  for (const char* name : kExpectedFixtures)
    EXPECT_TRUE(fs::exists(fixtures_dir() / name / "model.safetensors")) << "parity fixture missing: " << name;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fixtures_dir())) {
    const fs::path dir = entry.path();
    if (!fs::exists(dir / "logprobs.json") || !fs::exists(dir / "model.safetensors")) continue;
    const double diff = max_abs_diff(dir, read_json(dir / "logprobs.json"));
    std::printf("%-28s max |diff| = %.3e bits\n", dir.filename().c_str(), diff);
    EXPECT_LE(diff, kToleranceBits) << dir.filename();
    ++checked;
  }
  EXPECT_GE(checked, static_cast<int>(std::size(kExpectedFixtures))) << "parity fixtures missing from " << fixtures_dir();
}

// make-tiny-model output, loaded and scored by transformers (AutoModelForCausalLM +
// AutoTokenizer): regenerate it with the same options and check the config and the forward.
struct CliFixture {
  const char* name;
  TinyModelOptions options;
};

TEST(Parity, MakeTinyModelCheckpointsMatchTransformers) {
  TinyModelOptions llama;
  llama.family = "llama";
  llama.seed = 7;
  TinyModelOptions qwen2;
  qwen2.family = "qwen2";
  qwen2.seed = 3;
  qwen2.tie_embeddings = true;
  qwen2.hidden = 48;
  qwen2.heads = 4;
  qwen2.kv_heads = 1;
  for (auto [name, options] : {CliFixture{"tiny_cli_tiny_llama", llama}, CliFixture{"tiny_cli_tiny_qwen2", qwen2}}) {
    const auto ref = read_json(fixtures_dir() / name / "logprobs.json");
    options.out_dir = testing::scratch_dir(name);
    make_tiny_model(options);
    EXPECT_EQ(read_json(fs::path(options.out_dir) / "config.json"), ref["config"])
        << name << ": make-tiny-model no longer writes the checkpoint transformers was checked against";
    const double diff = max_abs_diff(options.out_dir, ref);
    std::printf("%-28s max |diff| = %.3e bits\n", name, diff);
    EXPECT_LE(diff, kToleranceBits) << name;
  }
}

// The TorchScript escape hatch: llama_gqa traced by scripts/export_torchscript.py (on the GPU
// machine's torch) scores like the native family and like transformers.
TEST(Parity, TorchScriptExportMatchesTransformers) {
  const fs::path dir = fixtures_dir() / "torchscript_llama_gqa";
  ASSERT_TRUE(fs::exists(dir / "model.torchscript.pt")) << "fixture missing: " << dir;
  const double diff = max_abs_diff(dir, read_json(dir / "logprobs.json"));
  std::printf("%-28s max |diff| = %.3e bits\n", "torchscript_llama_gqa", diff);
  EXPECT_LE(diff, kToleranceBits);
  EXPECT_EQ(load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU)->info().family, "torchscript");
}

}  // namespace
}  // namespace icsweep
