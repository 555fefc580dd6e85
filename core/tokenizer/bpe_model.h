// tokenizer.json model "BPE": vocabulary + ranked merges, encoding one pre-tokenized piece at a
// time exactly as tokenizers' BPE::tokenize (merge lowest rank first, leftmost on ties), with
// byte_fallback, fuse_unk, ignore_merges, continuing_subword_prefix and end_of_word_suffix.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/tokenizer/piece_cache.h"

namespace icsweep {

// (left id, right id) -> (rank, merged id); open addressing, immutable after construction.
class MergeTable {
 public:
  struct Entry {
    uint64_t key = kEmpty;
    uint32_t rank = 0;
    int32_t merged_id = -1;
  };
  void build(const std::vector<Entry>& entries);  // later duplicates win, like a Rust HashMap collect
  const Entry* find(int32_t left, int32_t right) const {
    const uint64_t key = pack(left, right);
    for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.key == key) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }
  static uint64_t pack(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  static size_t hash(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20); }
  std::vector<Entry> slots_;
  size_t mask_ = 0;
};

struct BpeOptions {
  bool byte_level_keys = false;  // pieces are raw bytes; vocab keys are mapped back from the GPT-2 alphabet
  bool ignore_merges = false;
  bool byte_fallback = false;
  bool fuse_unk = false;
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class BpeModel {
 public:
  // `spec` is tokenizer.json's "model" object (vocab and merges are read from it); `options`
  // usually comes from parse_bpe_options(spec), possibly adjusted (transformers class overrides).
  BpeModel(const nlohmann::json& spec, const std::string& file, BpeOptions options);

  // Appends the ids of one pre-tokenized piece (in key space) to `ids`.
  void encode_piece(std::string_view piece, std::vector<int32_t>* ids) const;

  // Token string (in the vocabulary's own alphabet) of a base-vocabulary id, or nullptr.
  const std::string* id_to_token(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < id_to_token_.size() && has_token_[id] ? &id_to_token_[id] : nullptr;
  }
  std::optional<int32_t> token_to_id(const std::string& token) const;  // token in the vocabulary's alphabet
  int64_t vocab_size() const { return static_cast<int64_t>(vocab_count_); }
  const BpeOptions& options() const { return options_; }

 private:
  void load_vocab(const nlohmann::json& vocab, const std::string& file);
  void load_merges(const nlohmann::json& merges, const std::string& file);
  int32_t key_id(std::string_view key) const;
  // merge_symbols: the piece's initial symbols (a linked list in a vector), then its merges by rank.
  struct Symbol;
  void merge_symbols(std::string_view piece, std::vector<int32_t>* ids) const;
  void initial_symbols(std::string_view piece, std::vector<Symbol>* symbols) const;
  void apply_merges(std::vector<Symbol>* symbols) const;
  void encode_cached(std::string_view piece, std::vector<int32_t>* ids) const;
  void find_word_marker(const nlohmann::json& merges);

  BpeOptions options_;
  std::unordered_map<std::string, int32_t> vocab_;  // key space: raw bytes when byte_level_keys
  // byte_level_keys: vocabulary tokens with chars outside the byte alphabet (DeepSeek's
  // "<｜begin▁of▁sentence｜>"), by their own spelling; found by token_to_id, never by encoding.
  std::unordered_map<std::string, int32_t> outside_alphabet_;
  std::vector<std::string> id_to_token_;            // the vocabulary's own alphabet, for decode
  std::vector<bool> has_token_;
  size_t vocab_count_ = 0;
  std::array<int32_t, 256> byte_ids_{};           // byte-level keys: id of each single byte, -1 if absent
  std::array<int32_t, 256> byte_fallback_ids_{};  // ids of "<0xXX>" tokens, -1 if absent
  int32_t unk_id_ = -1;
  // SentencePiece-style vocabularies: when no merge joins a left part ending in another char with a
  // right part starting with U+2581, a long piece can be cut before each U+2581 that follows another
  // char and the words encoded (and cached) separately with identical ids. Empty when unsafe.
  std::string word_marker_;
  MergeTable merges_;
  std::unique_ptr<PieceCache> cache_;
};

// Reads type/unk_token/fuse_unk/byte_fallback/ignore_merges/prefix/suffix of a "BPE" model spec.
BpeOptions parse_bpe_options(const nlohmann::json& spec, bool byte_level_keys);

// GPT-2's byte <-> char alphabet (bytes_to_unicode).
int32_t byte_level_char(uint8_t byte);
// Maps a byte-level string back to raw bytes; false if it holds a char outside the alphabet.
bool byte_level_to_bytes(std::string_view text, std::string* bytes);

}  // namespace icsweep
