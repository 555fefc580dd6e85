// The hand-written split matchers must return exactly Oniguruma's matches: compared on every
// dataset and vector text and on random strings over an alphabet of the classes' edge cases.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/tokenizer/known_patterns.h"
#include "core/tokenizer/onig_regex.h"
#include "test_paths.h"

namespace icsweep {
namespace {

using Matches = std::vector<std::pair<size_t, size_t>>;

std::string split_regex_of(const std::string& tokenizer) {
  std::ifstream in(testing::testdata_dir() + "/tokenizers/" + tokenizer + "/tokenizer.json");
  const auto json = nlohmann::json::parse(in);
  return json.at("pre_tokenizer").at("pretokenizers").at(0).at("pattern").at("Regex").get<std::string>();
}

std::vector<std::string> corpus() {
  std::vector<std::string> texts;
  const std::string root = testing::testdata_dir();
  for (const std::string dir : {"/datasets", "/vectors"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root + dir)) {
      if (entry.path().extension() != ".jsonl") continue;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) texts.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
    }
  }
  return texts;
}

std::vector<std::string> random_strings() {
  const std::vector<std::string> alphabet = {
      " ", "\n", "\r", "\t", "\v", "\f", "\xC2\xA0", "\xE3\x80\x80", "\xC2\x85", "\xE2\x80\xA8", "a", "Z", "\xC3\xA9",
      "\xE4\xB8\xAD", "1", "\xD9\xA3", "\xC2\xBD", "'", "s", "S", "\xC5\xBF", "l", "L", "e", "E", "r", "v", "d", "D",
      "m", "t", "T", "!", ".", "\xCC\x81", "\xF0\x9F\x98\x80", "_", "\xE1\x85\xA0", "\xE2\x85\xA0"};
  std::mt19937 rng(12345);
  std::vector<std::string> out;
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    const int length = static_cast<int>(rng() % 24);
    for (int k = 0; k < length; ++k) s += alphabet[rng() % alphabet.size()];
    out.push_back(s);
  }
  return out;
}

TEST(KnownPatterns, RecognisesTheTokenizersSplitRegexes) {
  EXPECT_EQ(identify_known_pattern(split_regex_of("llama3")), KnownPattern::kLlama3);
  EXPECT_EQ(identify_known_pattern(split_regex_of("qwen2.5")), KnownPattern::kQwen2);
  EXPECT_EQ(identify_known_pattern(kGpt2SplitPattern), KnownPattern::kGpt2);
  EXPECT_EQ(identify_known_pattern("\\s+"), KnownPattern::kNone);
}

TEST(KnownPatterns, MatchOnigurumaExactly) {
  const std::vector<std::pair<KnownPattern, std::string>> patterns = {
      {KnownPattern::kGpt2, kGpt2SplitPattern},
      {KnownPattern::kLlama3, split_regex_of("llama3")},
      {KnownPattern::kQwen2, split_regex_of("qwen2.5")}};
  std::vector<std::string> texts = corpus();
  const auto random = random_strings();
  texts.insert(texts.end(), random.begin(), random.end());
  for (const auto& [known, regex] : patterns) {
    const OnigRegex onig(regex, "test");
    int mismatches = 0;
    Matches expected, got;
    for (const std::string& text : texts) {
      onig.find_all(text, &expected);
      find_known_pattern_matches(known, text, &got);
      if (got != expected && mismatches++ < 3) {
        ADD_FAILURE() << "pattern " << static_cast<int>(known) << " differs on " << nlohmann::json(text).dump();
      }
    }
    EXPECT_EQ(mismatches, 0) << "pattern " << static_cast<int>(known) << " over " << texts.size() << " texts";
  }
}

}  // namespace
}  // namespace icsweep
