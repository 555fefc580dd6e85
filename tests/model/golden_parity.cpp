// Parity with Hugging Face transformers: every fixture of tests/fixtures/index.json is its own test
// case. Its logprobs.json (written by tests/model/gen_parity_fixtures.py on the GPU machine) holds
// per-token NLL bits computed by transformers in fp32; icsweep's forward must match within 1e-4 bits, one sequence at a time and
// as one right-padded batch.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <nlohmann/json.hpp>

#include "core/model/causal_lm.h"
#include "demo_tools/tiny_model.h"
#include "model/fixture_index.h"
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

// The index (tests/fixtures/index.json) is the list: a fixture folder missing from it, or an entry
// whose folder is gone, fails here instead of silently shrinking the parameterised tests below.
TEST(Parity, IndexListsEveryFixtureFolder) {
  std::set<std::string> indexed, folders;
  for (const char* kind : {"checkpoint", "torchscript", "make_tiny_model"})
    for (const auto& f : testing::model_fixtures(kind)) indexed.insert(f.name);
  for (const auto& entry : fs::directory_iterator(fixtures_dir()))
    if (fs::exists(entry.path() / "logprobs.json")) folders.insert(entry.path().filename().string());
  EXPECT_EQ(indexed, folders) << "run tests/model/fixture_index.py after adding or removing a fixture";
  EXPECT_GE(testing::model_fixtures("checkpoint").size(), 46u) << testing::fixture_index_path();
}

class CheckpointParity : public ::testing::TestWithParam<testing::ModelFixture> {};

TEST_P(CheckpointParity, MatchesTransformersInFp32) {
  const auto& fixture = GetParam();
  ASSERT_TRUE(fs::exists(fixture.dir() / "model.safetensors")) << "parity fixture missing: " << fixture.dir();
  const double diff = max_abs_diff(fixture.dir(), read_json(fixture.dir() / "logprobs.json"));
  std::printf("%-28s max |diff| = %.3e bits\n", fixture.name.c_str(), diff);
  EXPECT_LE(diff, kToleranceBits);
}

INSTANTIATE_TEST_SUITE_P(Fixture, CheckpointParity, ::testing::ValuesIn(testing::model_fixtures("checkpoint")),
                         testing::FixtureName());

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
  const std::vector<CliFixture> cli = {{"tiny_cli_tiny_llama", llama}, {"tiny_cli_tiny_qwen2", qwen2}};
  std::set<std::string> indexed, here;
  for (const auto& f : testing::model_fixtures("make_tiny_model")) indexed.insert(f.name);
  for (const auto& c : cli) here.insert(c.name);
  EXPECT_EQ(indexed, here) << "each make_tiny_model fixture of the index needs its options here";
  for (auto [name, options] : cli) {
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
class TorchScriptParity : public ::testing::TestWithParam<testing::ModelFixture> {};

TEST_P(TorchScriptParity, ExportMatchesTransformers) {
  const fs::path dir = GetParam().dir();
  ASSERT_TRUE(fs::exists(dir / "model.torchscript.pt")) << "fixture missing: " << dir;
  const double diff = max_abs_diff(dir, read_json(dir / "logprobs.json"));
  std::printf("%-28s max |diff| = %.3e bits\n", GetParam().name.c_str(), diff);
  EXPECT_LE(diff, kToleranceBits);
  EXPECT_EQ(load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU)->info().family, "torchscript");
}

INSTANTIATE_TEST_SUITE_P(Fixture, TorchScriptParity, ::testing::ValuesIn(testing::model_fixtures("torchscript")),
                         testing::FixtureName());

}  // namespace
}  // namespace icsweep
