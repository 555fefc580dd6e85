// tokenizer.json "pre_tokenizer": splits normalized text into pieces that the model encodes
// independently. Pieces are views into the input or into a per-call arena.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace icsweep {

struct PreToken {
  std::string_view text;
  bool at_origin = false;  // starts at offset 0 of the original input (Metaspace prepend_scheme "first")
};

// Owns strings that pre-tokenizers create (e.g. after replacing ' ' by U+2581); stable addresses.
class PreTokenArena {
 public:
  std::string_view store(std::string text) {
    strings_.push_back(std::move(text));
    return strings_.back();
  }
  void clear() { strings_.clear(); }

 private:
  std::deque<std::string> strings_;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<PreToken>& pieces, PreTokenArena& arena) const = 0;
};

// How Split-like pre-tokenizers treat the delimiters they find (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct PreTokenizerSpec {
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  // A ByteLevel step ran: pieces are raw bytes and the model's vocabulary is keyed by the bytes
  // behind the byte-level alphabet (the byte -> char mapping is not materialised; splitting steps
  // after ByteLevel see it spelled out, as in tokenizers).
  bool byte_level = false;
};

// null JSON gives an empty spec. Unknown types -> TokenizerError naming `file` and the type.
PreTokenizerSpec make_pre_tokenizer(const nlohmann::json& spec, const std::string& file);

}  // namespace icsweep
