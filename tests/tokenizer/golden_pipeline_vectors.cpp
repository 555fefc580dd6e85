// Golden conformance on the pipelines of real tokenizers (tests/data/tokenizers: Falcon, Gemma 3/4,
// Mistral v0.3, DeepSeek-V3, Qwen3.5, ... each with a small vocabulary trained by `tokenizers`),
// and on whitespace texts with the released Phi-3 and Llama-2 tokenizers. Every value was recorded
// from Hugging Face tokenizers/transformers by scripts/make-tokenizer-vectors.py (versions in
// tests/data/tokenizers/versions.json); every field of every line must be identical:
//   ids, ids_with_special      tokenizers' Tokenizer.from_file(tokenizer.json).encode  (kTokenizersLibrary)
//   tf_ids, tf_ids_with_special, tf_decoded, tf_decode_cuts, ref_*
//                              transformers' AutoTokenizer                              (kTransformers)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "tokenizer/json_lines.h"
#include "test_paths.h"

namespace icsweep {
namespace {

using Ids = std::vector<int32_t>;

std::string data_dir() { return testing::source_dir() + "/tests/data/tokenizers"; }


// JSON-quoted, invalid UTF-8 (a cut text, a decoded prefix) shown as U+FFFD.
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string show(const Ids& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 24; ++i) out += std::to_string(ids[i]) + " ";
  return ids.size() > 24 ? out + "... (" + std::to_string(ids.size()) + " ids)" : out;
}

// Per-field tallies; the first mismatches are reported in full.
class FieldCounter {
 public:
  explicit FieldCounter(std::string name) : name_(std::move(name)) {}
  void check(const std::string& field, size_t line, const std::string& text, bool ok, const std::string& got) {
    auto& [passed, total] = counts_[field];
    ++total;
    if (ok) {
      ++passed;
    } else if (reported_++ < 8) {
      ADD_FAILURE() << name_ << " line " << line << " field " << field << " differs for text "
                    << quoted(text.substr(0, 60)) << "\n  got " << got;
    }
  }
  void ids(const std::string& field, size_t line, const std::string& text, const Ids& got, const nlohmann::json& want) {
    check(field, line, text, got == want.get<Ids>(), show(got) + "\n  expected " + show(want.get<Ids>()));
  }
  void finish() const {
    std::string summary;
    for (const auto& [field, count] : counts_) {
      summary += " " + field + " " + std::to_string(count.first) + "/" + std::to_string(count.second);
      EXPECT_EQ(count.first, count.second) << name_ << " " << field;
    }
    std::printf("[vectors] %s:%s\n", name_.c_str(), summary.c_str());
  }

 private:
  std::string name_;
  std::map<std::string, std::pair<int, int>> counts_;
  int reported_ = 0;
};

void check_vectors(const std::string& name, const std::string& tokenizer_dir, const std::string& vectors) {
  std::shared_ptr<const Tokenizer> library;
  if (std::filesystem::exists(tokenizer_dir + "/tokenizer.json")) {
    library = load_tokenizer(tokenizer_dir, TokenizerFlavor::kTokenizersLibrary);
  }
  const auto transformers = load_tokenizer(tokenizer_dir, TokenizerFlavor::kTransformers);
  FieldCounter counter(name);
  const auto lines = testing::read_json_lines(vectors);
  for (size_t n = 0; n < lines.size(); ++n) {
    const auto& line = lines[n];
    if (line.contains("meta")) continue;
    const std::string text = line.at("text").get<std::string>();
    if (line.contains("ids")) {
      ASSERT_TRUE(library) << name << ": vectors have library ids but " << tokenizer_dir << " has no tokenizer.json";
      counter.ids("ids", n + 1, text, library->encode(text, false), line.at("ids"));
      counter.ids("ids_with_special", n + 1, text, library->encode(text, true), line.at("ids_with_special"));
    }
    counter.ids("tf_ids", n + 1, text, transformers->encode(text, false), line.at("tf_ids"));
    const Ids with_special = transformers->encode(text, true);
    counter.ids("tf_ids_with_special", n + 1, text, with_special, line.at("tf_ids_with_special"));
    if (line.contains("tf_decoded")) {
      const std::string want = line.at("tf_decoded").get<std::string>();
      const std::string got = transformers->decode(line.at("tf_ids_with_special").get<Ids>());
      counter.check("tf_decoded", n + 1, text, got == want, quoted(got) + " expected " +
                                                                  quoted(want));
    }
    if (line.contains("tf_decode_cuts")) {
      const Ids ids = line.at("tf_ids").get<Ids>();
      for (const auto& cut : line.at("tf_decode_cuts")) {
        const size_t k = cut.at(0).get<size_t>();
        const std::string want = cut.at(1).get<std::string>();
        const std::string got = transformers->decode(Ids(ids.begin(), ids.begin() + k));
        counter.check("tf_decode_cuts", n + 1, text, got == want,
                      "prefix " + std::to_string(k) + ": " + quoted(got) + " expected " +
                          quoted(want));
      }
    }
    if (line.contains("dataset")) {
      Ids truncated = with_special;
      if (truncated.size() > 1024) truncated.resize(1024);
      counter.ids("ref_ids_1024", n + 1, text, truncated, line.at("ref_ids_1024"));
      const int64_t tail_tokens = truncated.empty() ? 0 : static_cast<int64_t>(truncated.size()) - 1;
      counter.check("ref_tail_tokens", n + 1, text, tail_tokens == line.at("ref_tail_tokens").get<int64_t>(),
                    std::to_string(tail_tokens));
      const int64_t tail_bytes = tail_text_bytes(*transformers, truncated);
      counter.check("ref_tail_bytes", n + 1, text, tail_bytes == line.at("ref_tail_bytes").get<int64_t>(),
                    std::to_string(tail_bytes));
      counter.check("ref_len_tokenizer", n + 1, text,
                    transformers->size() == line.at("ref_len_tokenizer").get<int64_t>(),
                    std::to_string(transformers->size()));
    }
  }
  counter.finish();
}

void check_pipeline(const std::string& name) {
  check_vectors(name, data_dir() + "/pipelines/" + name, data_dir() + "/vectors/" + name + ".jsonl");
}

TEST(PipelineVectors, Falcon) { check_pipeline("falcon"); }
TEST(PipelineVectors, Gemma3) { check_pipeline("gemma3"); }
TEST(PipelineVectors, Gemma4) { check_pipeline("gemma4"); }
TEST(PipelineVectors, MistralV03) { check_pipeline("mistral-v03"); }
TEST(PipelineVectors, Llama2Converted) { check_pipeline("llama2-converted"); }
TEST(PipelineVectors, Glm4) { check_pipeline("glm4"); }
TEST(PipelineVectors, DeepSeekV3) { check_pipeline("deepseek-v3"); }
TEST(PipelineVectors, DeepSeekCoderV2) { check_pipeline("deepseek-coder-v2"); }
TEST(PipelineVectors, Qwen35) { check_pipeline("qwen3.5"); }
TEST(PipelineVectors, Olmo2) { check_pipeline("olmo2"); }
TEST(PipelineVectors, GptOss) { check_pipeline("gpt-oss"); }
TEST(PipelineVectors, SmolLm2) { check_pipeline("smollm2"); }
TEST(PipelineVectors, HunyuanLike) { check_pipeline("hunyuan-like"); }

// Whitespace-only texts and runs of spaces/newlines on the released Metaspace-style tokenizers.
TEST(WhitespaceVectors, Phi3) {
  check_vectors("phi3", testing::testdata_dir() + "/tokenizers/phi3",
                data_dir() + "/vectors/phi3.whitespace.jsonl");
}
// A bare tokenizer.model: transformers 5 converts it into a tokenizers BPE (no BOS, no dummy prefix).
TEST(WhitespaceVectors, Llama2BareSentencePieceModel) {
  check_vectors("llama2-spm", testing::testdata_dir() + "/tokenizers/llama2-spm",
                data_dir() + "/vectors/llama2-spm.whitespace.jsonl");
}

}  // namespace
}  // namespace icsweep
