#include "core/tokenizer/normalizers.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/onig_regex.h"
#include "core/tokenizer/tokenizer_json_util.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalizationForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::NormalizationForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = unicode::to_lowercase(text); }
};

// Prepend: adds `prefix` in front of any non-empty text.
class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

// Replace: every non-overlapping match of a literal or regex pattern becomes `content`.
class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = replace_all(pattern_, text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

// Strip: removes Unicode whitespace on the left and/or right.
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        size_t len = 0;
        const int32_t cp = unicode::decode_code_point(text, begin, &len);
        if (!unicode::is_whitespace(cp)) break;
        begin += len;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        size_t len = 0;
        const int32_t cp = unicode::decode_code_point(text, start, &len);
        if (!unicode::is_whitespace(cp)) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const std::string& file) {
  if (spec.is_null()) return nullptr;
  const std::string type = json_string(spec, "type", file, "normalizer");
  const std::string where = "normalizer " + type;
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(unicode::NormalizationForm::kNfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(unicode::NormalizationForm::kNfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(unicode::NormalizationForm::kNfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(unicode::NormalizationForm::kNfkd);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(json_string(spec, "prepend", file, where));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(parse_pattern(spec.at("pattern"), file, where),
                                               json_string(spec, "content", file, where));
  }
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(spec.value("strip_left", true), spec.value("strip_right", true));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const auto& step : spec.at("normalizers")) {
      if (auto n = make_normalizer(step, file)) steps.push_back(std::move(n));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  throw TokenizerError(file + ": normalizer '" + type +
                       "' is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, "
                       "Strip, Sequence)");
}

}  // namespace icsweep
