// Encoding goes through libsentencepiece itself (ids identical to SentencePieceProcessor.encode);
// special tokens and decoding follow transformers' LlamaTokenizer: BOS unless add_bos_token is
// false, EOS only with add_eos_token, and decode = pieces -> Replace("▁", " ") -> ByteFallback ->
// Fuse -> Strip one leading space (the clean-up only when forced, as for BPE in transformers 5).
#include "core/tokenizer/sentencepiece_tokenizer.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/sentencepiece_library.h"
#include "core/tokenizer/tokenizer_config.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::string& dir, std::string fingerprint)
      : source_(dir), fingerprint_(std::move(fingerprint)),
        model_((std::filesystem::path(dir) / "tokenizer.model").string()) {
    const std::string file = (std::filesystem::path(dir) / "tokenizer.model").string();
    const TokenizerConfig config = read_tokenizer_config(dir);
    add_bos_ = config.add_bos_token.value_or(true) && model_.bos_id() >= 0;
    add_eos_ = config.add_eos_token.value_or(false) && model_.eos_id() >= 0;
    // transformers 5 rebuilds such a tokenizer as BPE and then skips the clean-up unless forced.
    clean_up_spaces_ = config.clean_up_tokenization_spaces && config.force_clean_up_for_bpe;
    const bool add_prefix_space = config.add_prefix_space.value_or(true);
    const std::string kUnderline = "\xE2\x96\x81";
    nlohmann::json steps = nlohmann::json::array();
    steps.push_back({{"type", "Replace"}, {"pattern", {{"String", kUnderline}}}, {"content", " "}});
    steps.push_back({{"type", "ByteFallback"}});
    steps.push_back({{"type", "Fuse"}});
    if (add_prefix_space) steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    decoder_ = make_decoder({{"type", "Sequence"}, {"decoders", steps}}, file);
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    const size_t bad = unicode::find_invalid_utf8(text);
    if (bad != std::string_view::npos) {
      throw TokenizerError("invalid UTF-8 at byte " + std::to_string(bad) + " of the text to encode");
    }
    const std::vector<int32_t> pieces = model_.encode(text);
    std::vector<int32_t> ids;
    ids.reserve(pieces.size() + 2);
    if (add_special_tokens && add_bos_) ids.push_back(model_.bos_id());
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    if (add_special_tokens && add_eos_) ids.push_back(model_.eos_id());
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
      if (id >= 0 && id < size()) tokens.push_back(model_.pieces()[id]);
    }
    std::string text = run_decoder(decoder_.get(), std::move(tokens));
    return clean_up_spaces_ ? clean_up_tokenization(text) : text;
  }

  int64_t size() const override { return static_cast<int64_t>(model_.pieces().size()); }
  std::string fingerprint() const override { return fingerprint_; }
  const std::string& source() const override { return source_; }

 private:
  std::string source_;
  std::string fingerprint_;
  SentencePieceModel model_;
  std::unique_ptr<Decoder> decoder_;
  bool add_bos_ = true;
  bool add_eos_ = false;
  bool clean_up_spaces_ = false;
};

}  // namespace

std::shared_ptr<const Tokenizer> load_sentencepiece_tokenizer(const std::string& dir, const std::string& fingerprint) {
  return std::make_shared<SentencePieceTokenizer>(dir, fingerprint);
}

}  // namespace icsweep
