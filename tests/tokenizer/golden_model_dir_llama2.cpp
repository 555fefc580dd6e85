// A model directory (config.json with model_type llama) whose only tokenizer file is Llama-2's
// tokenizer.model: transformers 5.17's AutoTokenizer loads it as its plain conversion
// (TokenizersBackend: no BOS, no prefix space), not as LlamaTokenizer, config.json
// notwithstanding. Golden ids: tests/data/tokenizers/vectors/llama2-spm.model-dir.jsonl, written by
// scripts/make-llama2-model-dir-vectors.py with transformers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

TEST(GoldenModelDirectory, BareLlama2TokenizerModelBesideAConfigJson) {
  const fs::path dir = testing::scratch_dir("model_dir_llama2");
  fs::copy_file(fs::path(testing::testdata_dir()) / "tokenizers/llama2-spm/tokenizer.model", dir / "tokenizer.model");
  std::ofstream(dir / "config.json") << R"({"model_type": "llama", "architectures": ["LlamaForCausalLM"]})";
  const auto tokenizer = load_tokenizer(dir.string());
  std::ifstream in(testing::source_dir() + "/tests/data/tokenizers/vectors/llama2-spm.model-dir.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["class"], "TokenizersBackend");
  int checked = 0;
  while (std::getline(in, line)) {
    const auto v = nlohmann::json::parse(line);
    EXPECT_EQ(tokenizer->encode(v["text"].get<std::string>(), true), v["ids"].get<std::vector<int32_t>>()) << v["text"];
    ++checked;
  }
  EXPECT_EQ(checked, 152);
}

}  // namespace
}  // namespace icsweep
