// A tokenizer directory without tokenizer_config.json: AutoTokenizer takes the class config.json's
// model_type maps to. For llama / mistral that is LlamaTokenizer (BOS, a prefix ▁ on the first word),
// so a bare Llama-2 tokenizer.model in a model directory encodes like SentencePiece with its dummy
// prefix, plus BOS; without config.json it stays transformers' plain conversion (no BOS).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

fs::path llama2_dir(const std::string& name, const std::string& config_json) {
  const fs::path dir = testing::scratch_dir(name);
  fs::copy_file(fs::path(testing::testdata_dir()) / "tokenizers/llama2-spm/tokenizer.model", dir / "tokenizer.model");
  if (!config_json.empty()) std::ofstream(dir / "config.json") << config_json;
  return dir;
}

TEST(TokenizerClassFromModelConfig, LlamaModelTypeAddsBosAndThePrefixSpace) {
  const auto with_config = load_tokenizer(llama2_dir("class_from_config_llama", R"({"model_type": "llama"})").string());
  const auto bare = load_tokenizer(llama2_dir("class_from_config_bare", "").string());
  // SentencePiece's ids (libsentencepiece, vendored vectors) of texts whose words are separated by
  // single spaces: there the dummy prefix and Metaspace's "first" prepend split alike.
  const std::regex simple("[A-Za-z][A-Za-z,.]*( [A-Za-z,.]+)*");
  std::ifstream in(testing::testdata_dir() + "/vectors/llama2-spm.spm.jsonl");
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    const auto v = nlohmann::json::parse(line);
    const std::string text = v["text"];
    if (!std::regex_match(text, simple)) continue;
    std::vector<int32_t> expected{1};
    for (int id : v["ids"]) expected.push_back(id);
    EXPECT_EQ(with_config->encode(text, true), expected) << text;
    EXPECT_NE(bare->encode(text, true).front(), 1) << text << ": no config.json, no class: no BOS";
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace icsweep
