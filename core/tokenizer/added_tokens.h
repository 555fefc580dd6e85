// Added tokens (tokenizer.json "added_tokens", tokenizer_config.json "added_tokens_decoder"):
// literal strings matched before the model runs, as tokenizers' AddedVocabulary: leftmost-longest
// matching, single_word / lstrip / rstrip, and two passes (raw text for normalized=false tokens,
// normalized text for normalized=true tokens).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace icsweep {

class Normalizer;

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
};

// A piece of the input: either plain text [begin, end) or an added token's id.
struct AddedTokenSplit {
  size_t begin = 0;
  size_t end = 0;
  int32_t token_id = -1;  // -1: plain text
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the content of normalized=true tokens for matching.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits `text` on the tokens of one pass (normalized == false: raw text; true: normalized text).
  void split(std::string_view text, bool normalized_pass, std::vector<AddedTokenSplit>* out) const;

  bool empty() const { return tokens_.empty(); }
  bool has_normalized_tokens() const { return !tries_[1].nodes.empty(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* by_id(int32_t id) const;
  const AddedToken* by_content(const std::string& content) const;

 private:
  // Byte trie over token contents; `token` is the index into tokens_ ending at a node (-1: none).
  struct Trie {
    struct Node {
      std::unordered_map<unsigned char, int32_t> children;
      int32_t token = -1;
    };
    std::vector<Node> nodes;
    std::array<bool, 256> first_byte{};
    void insert(const std::string& key, int32_t token);
    // Longest token starting at text[pos]: its index and length, or -1.
    int32_t longest_at(std::string_view text, size_t pos, size_t* length) const;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> index_by_id_;
  std::unordered_map<std::string, size_t> index_by_content_;
  std::array<Trie, 2> tries_;  // [0]: normalized=false tokens, [1]: normalized=true tokens
};

}  // namespace icsweep
