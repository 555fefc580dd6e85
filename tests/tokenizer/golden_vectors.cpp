// Golden conformance: every line of the vendored vectors/NAME.jsonl (tests/data/README.md), field by field, against
// ids recorded from Hugging Face tokenizers 0.23.2 / transformers 5.17.0 (testdata README).
// `ids` / `ids_with_special` are tokenizers' Tokenizer.from_file(tokenizer.json).encode (they keep
// phi3's tokenizer.json Prepend normalizer), while the `ref_*` fields are the reference pipeline,
// transformers' AutoTokenizer (phi3: LlamaTokenizer's rebuilt Metaspace pipeline): so the first two
// are checked against TokenizerFlavor::kTokenizersLibrary and the rest against kTransformers.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/tokenizer/sentencepiece_library.h"
#include "core/tokenizer/tokenizer.h"
#include "tokenizer/json_lines.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::vector<nlohmann::json> read_vectors(const std::string& name) {
  const std::string path = testing::testdata_dir() + "/vectors/" + name;
  return testing::read_json_lines(path);
}

std::shared_ptr<const Tokenizer> load(const std::string& name,
                                      TokenizerFlavor flavor = TokenizerFlavor::kTransformers) {
  return load_tokenizer(testing::testdata_dir() + "/tokenizers/" + name, flavor);
}

std::string show(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 40; ++i) out += std::to_string(ids[i]) + " ";
  return out;
}

// Counts matches per field and reports the first mismatches in full.
void check_tokenizer_json_vectors(const std::string& name) {
  const auto library = load(name, TokenizerFlavor::kTokenizersLibrary);
  const auto tokenizer = load(name, TokenizerFlavor::kTransformers);
  const auto lines = read_vectors(name + ".jsonl");
  int ids_ok = 0, special_ok = 0, special_total = 0, ref_ok = 0, tail_tokens_ok = 0, tail_bytes_ok = 0, size_ok = 0,
      dataset_total = 0, reported = 0;
  for (size_t n = 0; n < lines.size(); ++n) {
    const auto& line = lines[n];
    const std::string text = line.at("text").get<std::string>();
    const auto ids = library->encode(text, false);
    const auto expected = line.at("ids").get<std::vector<int32_t>>();
    if (ids == expected) {
      ++ids_ok;
    } else if (reported++ < 5) {
      ADD_FAILURE() << name << " line " << n + 1 << " ids differ for text " << nlohmann::json(text.substr(0, 80)).dump()
                    << "\n  got      " << show(ids) << "\n  expected " << show(expected);
    }
    if (line.contains("ids_with_special")) {
      ++special_total;
      const auto with_special = library->encode(text, true);
      if (with_special == line.at("ids_with_special").get<std::vector<int32_t>>()) {
        ++special_ok;
      } else if (reported++ < 5) {
        ADD_FAILURE() << name << " line " << n + 1 << " ids_with_special differ: got " << show(with_special);
      }
    }
    if (line.contains("dataset")) {
      ++dataset_total;
      auto truncated = tokenizer->encode(text, true);
      if (truncated.size() > 1024) truncated.resize(1024);
      if (truncated == line.at("ref_ids_1024").get<std::vector<int32_t>>()) {
        ++ref_ok;
      } else if (reported++ < 5) {
        ADD_FAILURE() << name << " line " << n + 1 << " ref_ids_1024 differ: got " << show(truncated);
      }
      const int64_t tail_tokens = truncated.empty() ? 0 : static_cast<int64_t>(truncated.size()) - 1;
      if (tail_tokens == line.at("ref_tail_tokens").get<int64_t>()) ++tail_tokens_ok;
      const int64_t tail_bytes = tail_text_bytes(*tokenizer, truncated);
      if (tail_bytes == line.at("ref_tail_bytes").get<int64_t>()) {
        ++tail_bytes_ok;
      } else if (reported++ < 5) {
        ADD_FAILURE() << name << " line " << n + 1 << " tail bytes " << tail_bytes << " expected "
                      << line.at("ref_tail_bytes");
      }
      if (tokenizer->size() == line.at("ref_len_tokenizer").get<int64_t>()) {
        ++size_ok;
      } else if (reported++ < 5) {
        ADD_FAILURE() << name << " size() " << tokenizer->size() << " expected " << line.at("ref_len_tokenizer");
      }
    }
  }
  const int total = static_cast<int>(lines.size());
  std::printf("[vectors] %-8s ids %d/%d  ids_with_special %d/%d  ref_ids_1024 %d/%d  ref_tail_tokens %d/%d  "
              "ref_tail_bytes %d/%d  ref_len_tokenizer %d/%d\n",
              name.c_str(), ids_ok, total, special_ok, special_total, ref_ok, dataset_total, tail_tokens_ok,
              dataset_total, tail_bytes_ok, dataset_total, size_ok, dataset_total);
  EXPECT_EQ(ids_ok, total);
  EXPECT_EQ(special_ok, special_total);
  EXPECT_EQ(ref_ok, dataset_total);
  EXPECT_EQ(tail_tokens_ok, dataset_total);
  EXPECT_EQ(tail_bytes_ok, dataset_total);
  EXPECT_EQ(size_ok, dataset_total);
}

TEST(GoldenVectors, Gpt2MatchesHuggingFace) { check_tokenizer_json_vectors("gpt2"); }
TEST(GoldenVectors, Qwen25MatchesHuggingFace) { check_tokenizer_json_vectors("qwen2.5"); }
TEST(GoldenVectors, Llama3MatchesHuggingFace) { check_tokenizer_json_vectors("llama3"); }
TEST(GoldenVectors, NeoxMatchesHuggingFace) { check_tokenizer_json_vectors("neox"); }
TEST(GoldenVectors, Phi3MatchesHuggingFace) { check_tokenizer_json_vectors("phi3"); }

// libsentencepiece through the plugin (the path of non-BPE tokenizer.model files) reproduces
// SentencePieceProcessor.encode. load_tokenizer does not use it for these two BPE models:
// transformers 5 converts them (tests/data/tokenizers/vectors/llama2-spm.whitespace.jsonl).
void check_sentencepiece_vectors(const std::string& name) {
  const SentencePieceModel model(testing::testdata_dir() + "/tokenizers/" + name + "/tokenizer.model");
  const auto lines = read_vectors(name + ".spm.jsonl");
  int ok = 0;
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string text = lines[n].at("text").get<std::string>();
    const auto ids = model.encode(text);
    if (ids == lines[n].at("ids").get<std::vector<int32_t>>()) {
      ++ok;
    } else {
      ADD_FAILURE() << name << " line " << n + 1 << " ids differ: got " << show(ids);
    }
  }
  std::printf("[vectors] %-10s spm ids %d/%zu\n", name.c_str(), ok, lines.size());
}

TEST(GoldenVectors, Llama2SentencePieceMatchesLibrary) { check_sentencepiece_vectors("llama2-spm"); }
TEST(GoldenVectors, MistralSentencePieceMatchesLibrary) { check_sentencepiece_vectors("mistral-v1"); }

// Every line of every vector file encoded from 8 threads at once gives the recorded ids: `ids` with
// the tokenizers-library flavor, and `ref_ids_1024` (dataset lines) with the transformers flavor
// that the sweep uses.
TEST(GoldenVectors, EightThreadsEncodeIdentically) {
  for (const std::string name : {"gpt2", "qwen2.5", "llama3", "neox", "phi3"}) {
    const auto library = load(name, TokenizerFlavor::kTokenizersLibrary);
    const auto transformers = load(name, TokenizerFlavor::kTransformers);
    const auto lines = read_vectors(name + ".jsonl");
    std::vector<int> mismatches(8, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        // Each thread walks the lines from a different start so that caches are hit concurrently.
        for (size_t k = 0; k < lines.size(); ++k) {
          const auto& line = lines[(k + t * 19) % lines.size()];
          const std::string text = line.at("text").get<std::string>();
          if (library->encode(text, false) != line.at("ids").get<std::vector<int32_t>>()) ++mismatches[t];
          if (line.contains("ref_ids_1024")) {
            auto ids = transformers->encode(text, true);
            if (ids.size() > 1024) ids.resize(1024);
            if (ids != line.at("ref_ids_1024").get<std::vector<int32_t>>()) ++mismatches[t];
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << name << " thread " << t;
  }
}

}  // namespace
}  // namespace icsweep
