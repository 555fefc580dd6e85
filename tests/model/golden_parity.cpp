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
#include "model/nll_bits.h"
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

// Max |icsweep - transformers| over every scored token of the fixture (nll_bits.h).
double max_abs_diff(const fs::path& model_dir, const nlohmann::json& ref) {
  auto model = load_causal_lm(model_dir.string(), torch::kFloat32, torch::kCPU);
  return testing::max_abs_diff(*model, ref);
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
