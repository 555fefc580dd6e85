#include "core/tokenizer/pre_tokenizers.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/tokenizer_json_util.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

struct Span {
  size_t begin, end;
  bool is_match;
};

// Finds the delimiter matches of one piece, with the gaps between them, covering the whole text.
using SpanFinder = std::function<void(std::string_view, std::vector<Span>*)>;

// tokenizers' NormalizedString::split: apply `behavior` to the spans, drop removed and empty ones.
void split_pieces(std::vector<PreToken>& pieces, const SpanFinder& finder, SplitBehavior behavior) {
  std::vector<PreToken> out;
  out.reserve(pieces.size() * 2);
  std::vector<Span> spans;
  std::vector<Span> kept;
  for (const PreToken& piece : pieces) {
    finder(piece.text, &spans);
    kept.clear();
    bool previous_match = false;
    switch (behavior) {
      case SplitBehavior::kRemoved:
        for (const Span& s : spans) {
          if (!s.is_match) kept.push_back(s);
        }
        break;
      case SplitBehavior::kIsolated:
        kept = spans;
        break;
      case SplitBehavior::kContiguous:
        for (const Span& s : spans) {
          if (s.is_match == previous_match && !kept.empty()) {
            kept.back().end = s.end;
          } else {
            kept.push_back(s);
          }
          previous_match = s.is_match;
        }
        break;
      case SplitBehavior::kMergedWithPrevious:
        for (const Span& s : spans) {
          if (s.is_match && !previous_match && !kept.empty()) {
            kept.back().end = s.end;
          } else {
            kept.push_back(s);
          }
          previous_match = s.is_match;
        }
        break;
      case SplitBehavior::kMergedWithNext:
        for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
          if (it->is_match && !previous_match && !kept.empty()) {
            kept.back().begin = it->begin;
          } else {
            kept.push_back(*it);
          }
          previous_match = it->is_match;
        }
        std::reverse(kept.begin(), kept.end());
        break;
    }
    for (const Span& s : kept) {
      if (s.end > s.begin) out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_origin && s.begin == 0});
    }
  }
  pieces.swap(out);
}

SpanFinder pattern_finder(Pattern pattern, bool invert) {
  return [pattern = std::move(pattern), invert](std::string_view text, std::vector<Span>* spans) {
    thread_local std::vector<std::pair<size_t, size_t>> matches;
    spans->clear();
    pattern.find_all(text, &matches);
    size_t previous = 0;
    for (const auto& [begin, end] : matches) {
      if (previous != begin) spans->push_back({previous, begin, invert});
      spans->push_back({begin, end, !invert});
      previous = end;
    }
    if (previous != text.size()) spans->push_back({previous, text.size(), invert});
  };
}

// Each code point satisfying `predicate` is one match (tokenizers' Pattern for Fn(char) -> bool).
SpanFinder char_finder(std::function<bool(int32_t)> predicate) {
  return [predicate = std::move(predicate)](std::string_view text, std::vector<Span>* spans) {
    spans->clear();
    size_t previous = 0, pos = 0;
    while (pos < text.size()) {
      size_t len = 0;
      const int32_t cp = unicode::decode_code_point(text, pos, &len);
      if (predicate(cp)) {
        if (previous < pos) spans->push_back({previous, pos, false});
        spans->push_back({pos, pos + len, true});
        previous = pos + len;
      }
      pos += len;
    }
    if (previous < text.size()) spans->push_back({previous, text.size(), false});
  };
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(SpanFinder finder, SplitBehavior behavior) : finder_(std::move(finder)), behavior_(behavior) {}
  void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena&) const override {
    split_pieces(pieces, finder_, behavior_);
  }

 private:
  SpanFinder finder_;
  SplitBehavior behavior_;
};

// ByteLevel: optional leading space, optional GPT-2 regex split. The byte -> char mapping itself is
// folded into the model's vocabulary (PreTokenizerSpec::byte_level).
class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, const std::string& file)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) {
      finder_ = pattern_finder(regex_pattern(kGpt2SplitPattern, file + ": pre_tokenizer ByteLevel"), false);
    }
  }
  void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena& arena) const override {
    if (add_prefix_space_) {
      for (PreToken& piece : pieces) {
        if (piece.text.empty() || piece.text[0] != ' ') piece.text = arena.store(" " + std::string(piece.text));
      }
    }
    if (finder_) split_pieces(pieces, finder_, SplitBehavior::kIsolated);
  }

 private:
  bool add_prefix_space_;
  SpanFinder finder_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

// Metaspace: ' ' -> replacement, prepend it per scheme, optionally split before each replacement.
class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {
    Pattern pattern;
    pattern.literal = replacement_;
    finder_ = pattern_finder(std::move(pattern), false);
  }
  void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena& arena) const override {
    Pattern space;
    space.literal = " ";
    for (PreToken& piece : pieces) {
      std::string text = replace_all(space, piece.text, replacement_);
      const bool starts = text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && piece.at_origin))) {
        text.insert(0, replacement_);
      }
      piece.text = arena.store(std::move(text));
    }
    if (split_) split_pieces(pieces, finder_, SplitBehavior::kMergedWithNext);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  SpanFinder finder_;
};

// A step that follows ByteLevel. tokenizers hands it the byte-level text (each byte as its char of
// GPT-2's alphabet: ' ' is U+0120, byte 0xB2 is U+00B2 '²', a numeric char), while icsweep keeps
// pieces as raw bytes: spell each piece in the alphabet, run the step, and read its pieces back
// as bytes. Every char of the alphabet stands for exactly one byte, so the step's cuts are byte
// cuts (a Digits step may cut inside a UTF-8 sequence, as tokenizers does).
class AfterByteLevel : public PreTokenizer {
 public:
  AfterByteLevel(std::unique_ptr<PreTokenizer> step, std::string what) : step_(std::move(step)), what_(std::move(what)) {}
  void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena& arena) const override {
    std::string spelled;
    for (PreToken& piece : pieces) {
      spelled.clear();
      for (unsigned char byte : piece.text) unicode::append_utf8(spelled, byte_level_char(byte));
      piece.text = arena.store(spelled);
    }
    step_->pre_tokenize(pieces, arena);
    std::string bytes;
    for (PreToken& piece : pieces) {
      if (!byte_level_to_bytes(piece.text, &bytes)) {
        throw TokenizerError(what_ + " produced text outside the byte-level alphabet");  // splitters cannot
      }
      piece.text = arena.store(bytes);
    }
  }

 private:
  std::unique_ptr<PreTokenizer> step_;
  std::string what_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena& arena) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces, arena);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

SplitBehavior parse_behavior(const std::string& name, const std::string& file, const std::string& where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  throw TokenizerError(file + ": " + where + ": unknown split behavior '" + name + "'");
}

std::unique_ptr<PreTokenizer> make_splitter(const nlohmann::json& spec, const std::string& file, bool* byte_level);

// One step of a pre_tokenizer; `byte_level` says whether a ByteLevel step came before (then the
// step sees the byte-level text, see AfterByteLevel) and is set when this step is ByteLevel.
std::unique_ptr<PreTokenizer> make_step(const nlohmann::json& spec, const std::string& file, bool* byte_level) {
  const std::string type = json_string(spec, "type", file, "pre_tokenizer");
  const std::string where = "pre_tokenizer " + type;
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& step : spec.at("pretokenizers")) steps.push_back(make_step(step, file, byte_level));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (!*byte_level) return make_splitter(spec, file, byte_level);
  if (type == "ByteLevel" || type == "Metaspace") {
    // ByteLevel twice would map the alphabet's own UTF-8 bytes again, Metaspace would add chars
    // outside the alphabet: no published tokenizer does either.
    throw TokenizerError(file + ": " + where + " after a ByteLevel pre_tokenizer is not supported (only splitting "
                         "steps may follow ByteLevel: Split, Punctuation, Digits, Whitespace, WhitespaceSplit, "
                         "CharDelimiterSplit)");
  }
  return std::make_unique<AfterByteLevel>(make_splitter(spec, file, byte_level), file + ": " + where);
}

std::unique_ptr<PreTokenizer> make_splitter(const nlohmann::json& spec, const std::string& file, bool* byte_level) {
  const std::string type = json_string(spec, "type", file, "pre_tokenizer");
  const std::string where = "pre_tokenizer " + type;
  if (type == "ByteLevel") {
    *byte_level = true;
    return std::make_unique<ByteLevelPreTokenizer>(spec.value("add_prefix_space", true), spec.value("use_regex", true),
                                                   file);
  }
  if (type == "Split") {
    Pattern pattern = parse_pattern(spec.at("pattern"), file, where);
    const auto behavior = parse_behavior(json_string(spec, "behavior", file, where), file, where);
    return std::make_unique<SplitPreTokenizer>(pattern_finder(std::move(pattern), spec.value("invert", false)),
                                               behavior);
  }
  if (type == "Whitespace") {
    Pattern pattern;
    pattern.regex = std::make_shared<OnigRegex>(R"(\w+|[^\w\s]+)", file + ": " + where);
    return std::make_unique<SplitPreTokenizer>(pattern_finder(std::move(pattern), true), SplitBehavior::kRemoved);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<SplitPreTokenizer>(char_finder(unicode::is_whitespace), SplitBehavior::kRemoved);
  }
  if (type == "Punctuation") {
    const auto behavior = parse_behavior(spec.value("behavior", std::string("Isolated")), file, where);
    return std::make_unique<SplitPreTokenizer>(char_finder(unicode::is_punctuation), behavior);
  }
  if (type == "Digits") {
    const bool individual = spec.value("individual_digits", false);
    return std::make_unique<SplitPreTokenizer>(char_finder(unicode::is_numeric),
                                               individual ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }
  if (type == "CharDelimiterSplit") {
    const std::string delimiter = json_string(spec, "delimiter", file, where);
    size_t len = 0;
    const int32_t cp = unicode::decode_code_point(delimiter, 0, &len);
    return std::make_unique<SplitPreTokenizer>(char_finder([cp](int32_t c) { return c == cp; }),
                                               SplitBehavior::kRemoved);
  }
  if (type == "Metaspace") {
    PrependScheme scheme = spec.value("add_prefix_space", true) ? PrependScheme::kAlways : PrependScheme::kNever;
    if (spec.contains("prepend_scheme") && spec.at("prepend_scheme").is_string()) {
      const std::string name = spec.at("prepend_scheme").get<std::string>();
      if (name == "always") scheme = PrependScheme::kAlways;
      else if (name == "first") scheme = PrependScheme::kFirst;
      else if (name == "never") scheme = PrependScheme::kNever;
      else throw TokenizerError(file + ": " + where + ": unknown prepend_scheme '" + name + "'");
    }
    return std::make_unique<MetaspacePreTokenizer>(json_string(spec, "replacement", file, where), scheme,
                                                   spec.value("split", true));
  }
  throw TokenizerError(file + ": pre_tokenizer '" + type +
                       "' is not supported (supported: ByteLevel, Split, Whitespace, WhitespaceSplit, Punctuation, "
                       "Digits, CharDelimiterSplit, Metaspace, Sequence)");
}

}  // namespace

PreTokenizerSpec make_pre_tokenizer(const nlohmann::json& spec, const std::string& file) {
  PreTokenizerSpec result;
  if (spec.is_null()) return result;
  result.pre_tokenizer = make_step(spec, file, &result.byte_level);
  return result;
}

}  // namespace icsweep
