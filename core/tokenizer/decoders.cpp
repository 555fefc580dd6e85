#include "core/tokenizer/decoders.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/tokenizer_json_util.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

constexpr const char* kReplacementChar = "\xEF\xBF\xBD";

// ByteLevel: every token maps back to bytes through the GPT-2 alphabet (a token holding a char
// outside it contributes its own UTF-8 bytes); the concatenation is decoded lossily.
class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes, token_bytes;
    for (const std::string& token : tokens) {
      if (byte_level_to_bytes(token, &token_bytes)) {
        bytes += token_bytes;
      } else {
        bytes += token;
      }
    }
    tokens.assign(1, unicode::from_utf8_lossy(bytes));
  }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = replace_all(pattern_, token, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// ByteFallback: runs of "<0xXX>" tokens become their bytes when valid UTF-8, else one U+FFFD per byte.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      if (unicode::find_invalid_utf8(pending) == std::string::npos) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.emplace_back(kReplacementChar);
      }
      pending.clear();
      pending_count = 0;
    };
    for (std::string& token : tokens) {
      int byte = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') byte = parse_hex(token[3], token[4]);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens.swap(out);
  }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int parse_hex(char a, char b) { return hex(a) < 0 || hex(b) < 0 ? -1 : hex(a) * 16 + hex(b); }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& token : tokens) all += token;
    tokens.assign(1, std::move(all));
  }
};

// Strip: per token, removes up to `start` leading and `stop` trailing copies of one char.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0 && begin < end; ++i) {
        begin += content_.size();
      }
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

// Metaspace: replacement -> ' '; in the first token replacements are dropped unless prepend_scheme is never.
class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool prepends) : replacement_(std::move(replacement)), prepends_(prepends) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    Pattern pattern;
    pattern.literal = replacement_;
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(pattern, tokens[i], (i == 0 && prepends_) ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool prepends_;
};

// BPEDecoder: the end-of-word suffix becomes a space, except in the last token where it is removed.
class BpeSuffixDecoder : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    Pattern pattern;
    pattern.literal = suffix_;
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(pattern, tokens[i], i + 1 == tokens.size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const std::string& file) {
  if (spec.is_null()) return nullptr;
  const std::string type = json_string(spec, "type", file, "decoder");
  const std::string where = "decoder " + type;
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(parse_pattern(spec.at("pattern"), file, where),
                                            json_string(spec, "content", file, where));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(json_string(spec, "content", file, where), spec.value("start", 0),
                                          spec.value("stop", 0));
  }
  if (type == "Metaspace") {
    bool prepends = spec.value("add_prefix_space", true);
    if (spec.contains("prepend_scheme") && spec.at("prepend_scheme").is_string()) {
      prepends = spec.at("prepend_scheme").get<std::string>() != "never";
    }
    return std::make_unique<MetaspaceDecoder>(json_string(spec, "replacement", file, where), prepends);
  }
  if (type == "BPEDecoder") return std::make_unique<BpeSuffixDecoder>(spec.value("suffix", std::string("</w>")));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> steps;
    for (const auto& step : spec.at("decoders")) {
      if (auto d = make_decoder(step, file)) steps.push_back(std::move(d));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  throw TokenizerError(file + ": decoder '" + type +
                       "' is not supported (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, "
                       "BPEDecoder, Sequence)");
}

std::string run_decoder(const Decoder* decoder, std::vector<std::string> tokens) {
  std::string out;
  if (decoder == nullptr) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  decoder->decode_chain(tokens);
  for (const std::string& token : tokens) out += token;
  return out;
}

}  // namespace icsweep
