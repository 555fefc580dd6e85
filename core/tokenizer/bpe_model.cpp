#include "core/tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

struct ByteLevelAlphabet {
  std::array<int32_t, 256> char_of_byte{};
  std::unordered_map<int32_t, uint8_t> byte_of_char;
  ByteLevelAlphabet() {
    // Printable Latin-1 bytes map to themselves; the rest to 256, 257, ... in byte order.
    int32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char_of_byte[b] = printable ? b : next++;
      byte_of_char[char_of_byte[b]] = static_cast<uint8_t>(b);
    }
  }
};

const ByteLevelAlphabet& alphabet() {
  static const ByteLevelAlphabet instance;
  return instance;
}

struct MergeCandidate {
  uint32_t rank;
  int32_t pos;
  int32_t merged_id;
  // std::push_heap builds a max-heap: "less" means lower priority (higher rank, then higher pos).
  bool operator<(const MergeCandidate& other) const {
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

}  // namespace

struct BpeModel::Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  bool removed;  // merged into its left neighbour
};

int32_t byte_level_char(uint8_t byte) { return alphabet().char_of_byte[byte]; }

bool byte_level_to_bytes(std::string_view text, std::string* bytes) {
  bytes->clear();
  const auto& map = alphabet().byte_of_char;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    const int32_t cp = unicode::decode_code_point(text, pos, &len);
    const auto it = map.find(cp);
    if (it == map.end()) return false;
    bytes->push_back(static_cast<char>(it->second));
    pos += len;
  }
  return true;
}

void MergeTable::build(const std::vector<Entry>& entries) {
  size_t capacity = 16;
  while (capacity < entries.size() * 2) capacity <<= 1;
  slots_.assign(capacity, Entry{});
  mask_ = capacity - 1;
  for (const Entry& entry : entries) {
    size_t i = hash(entry.key) & mask_;
    while (slots_[i].key != kEmpty && slots_[i].key != entry.key) i = (i + 1) & mask_;
    slots_[i] = entry;
  }
}

BpeOptions parse_bpe_options(const nlohmann::json& spec, bool byte_level_keys) {
  BpeOptions options;
  options.byte_level_keys = byte_level_keys;
  auto flag = [&](const char* key) { return spec.contains(key) && spec.at(key).is_boolean() && spec.at(key).get<bool>(); };
  auto text = [&](const char* key) {
    return spec.contains(key) && spec.at(key).is_string() ? spec.at(key).get<std::string>() : std::string();
  };
  options.ignore_merges = flag("ignore_merges");
  options.byte_fallback = flag("byte_fallback");
  options.fuse_unk = flag("fuse_unk");
  if (spec.contains("unk_token") && spec.at("unk_token").is_string()) options.unk_token = text("unk_token");
  options.continuing_subword_prefix = text("continuing_subword_prefix");
  options.end_of_word_suffix = text("end_of_word_suffix");
  return options;
}

BpeModel::BpeModel(const nlohmann::json& spec, const std::string& file, BpeOptions options)
    : options_(std::move(options)), cache_(std::make_unique<PieceCache>()) {
  if (spec.contains("dropout") && spec.at("dropout").is_number() && spec.at("dropout").get<double>() > 0) {
    throw TokenizerError(file + ": model BPE with dropout is not supported (encoding would be random)");
  }
  if (options_.byte_level_keys &&
      (!options_.continuing_subword_prefix.empty() || !options_.end_of_word_suffix.empty())) {
    throw TokenizerError(file + ": model BPE: continuing_subword_prefix/end_of_word_suffix together with a "
                                "ByteLevel pre_tokenizer is not supported");
  }
  load_vocab(spec.at("vocab"), file);
  const nlohmann::json merges = spec.contains("merges") ? spec.at("merges") : nlohmann::json::array();
  load_merges(merges, file);
  find_word_marker(merges);
}

void BpeModel::find_word_marker(const nlohmann::json& merges) {
  const std::string marker = "\xE2\x96\x81";  // U+2581, SentencePiece's space
  if (options_.byte_level_keys || options_.ignore_merges || !options_.continuing_subword_prefix.empty() ||
      !options_.end_of_word_suffix.empty() || vocab_.find(marker) == vocab_.end()) {
    return;
  }
  auto ends_with_marker = [&](const std::string& s) {
    return s.size() >= marker.size() && s.compare(s.size() - marker.size(), marker.size(), marker) == 0;
  };
  for (const auto& merge : merges) {
    std::string left, right;
    if (merge.is_string()) {
      const std::string line = merge.get<std::string>();
      const size_t space = line.find(' ');
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    }
    if (right.compare(0, marker.size(), marker) == 0 && !ends_with_marker(left)) return;  // could cross a word start
  }
  word_marker_ = marker;
}

void BpeModel::load_vocab(const nlohmann::json& vocab, const std::string& file) {
  if (!vocab.is_object()) throw TokenizerError(file + ": model BPE: 'vocab' must be an object token -> id");
  std::string key;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int32_t id = it.value().get<int32_t>();
    if (id < 0) throw TokenizerError(file + ": model BPE: negative id for token '" + it.key() + "'");
    if (static_cast<size_t>(id) >= id_to_token_.size()) {
      id_to_token_.resize(id + 1);
      has_token_.resize(id + 1, false);
    }
    id_to_token_[id] = it.key();
    has_token_[id] = true;
    ++vocab_count_;
    if (options_.byte_level_keys) {
      if (byte_level_to_bytes(it.key(), &key)) {
        vocab_[key] = id;
      } else {
        outside_alphabet_[it.key()] = id;  // never produced from bytes; still a token (added tokens, len)
      }
    } else {
      vocab_[it.key()] = id;
    }
  }
  byte_ids_.fill(-1);
  byte_fallback_ids_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    const auto single = vocab_.find(std::string(1, static_cast<char>(b)));
    if (single != vocab_.end()) byte_ids_[b] = single->second;
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    const auto fallback = vocab_.find(name);
    if (fallback != vocab_.end()) byte_fallback_ids_[b] = fallback->second;
  }
  if (options_.unk_token) {
    const auto unk = vocab.find(*options_.unk_token);
    if (unk != vocab.end()) unk_id_ = unk.value().get<int32_t>();
  }
}

void BpeModel::load_merges(const nlohmann::json& merges, const std::string& file) {
  std::vector<MergeTable::Entry> entries;
  entries.reserve(merges.size());
  const std::string& prefix = options_.continuing_subword_prefix;
  std::string left, right, left_key, right_key, merged_key;
  uint32_t rank = 0;
  for (const auto& merge : merges) {
    if (merge.is_string()) {
      const std::string line = merge.get<std::string>();
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        throw TokenizerError(file + ": model BPE: merge '" + line + "' is not of the form \"a b\"");
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      throw TokenizerError(file + ": model BPE: merge #" + std::to_string(rank) + " is neither \"a b\" nor [a, b]");
    }
    std::string merged = left;
    merged += (!prefix.empty() && right.compare(0, prefix.size(), prefix) == 0) ? right.substr(prefix.size()) : right;
    auto lookup = [&](const std::string& token, std::string* key) -> int32_t {
      if (options_.byte_level_keys) {
        if (!byte_level_to_bytes(token, key)) return -1;
      } else {
        *key = token;
      }
      const auto it = vocab_.find(*key);
      return it == vocab_.end() ? -1 : it->second;
    };
    const int32_t left_id = lookup(left, &left_key);
    const int32_t right_id = lookup(right, &right_key);
    const int32_t merged_id = lookup(merged, &merged_key);
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      throw TokenizerError(file + ": model BPE: merge '" + left + " " + right + "' uses a token missing from the vocab");
    }
    entries.push_back({MergeTable::pack(left_id, right_id), rank++, merged_id});
  }
  merges_.build(entries);
}

std::optional<int32_t> BpeModel::token_to_id(const std::string& token) const {
  std::string key = token;
  if (options_.byte_level_keys && !byte_level_to_bytes(token, &key)) {
    const auto it = outside_alphabet_.find(token);
    if (it == outside_alphabet_.end()) return std::nullopt;
    return it->second;
  }
  const auto it = vocab_.find(key);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

int32_t BpeModel::key_id(std::string_view key) const {
  if (key.size() == 1 && options_.byte_level_keys) return byte_ids_[static_cast<uint8_t>(key[0])];
  const auto it = vocab_.find(std::string(key));
  return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>* ids) const {
  if (piece.empty()) return;
  if (word_marker_.empty() || piece.size() <= PieceCache::kMaxPieceBytes) {
    encode_cached(piece, ids);
    return;
  }
  // Cut before each marker that follows a non-marker byte sequence (see word_marker_).
  const size_t m = word_marker_.size();
  size_t word_begin = 0;
  size_t pos = piece.find(word_marker_, 1);
  while (pos != std::string_view::npos) {
    const bool after_marker = pos >= m && piece.compare(pos - m, m, word_marker_) == 0;
    if (!after_marker && pos > word_begin) {
      encode_cached(piece.substr(word_begin, pos - word_begin), ids);
      word_begin = pos;
    }
    pos = piece.find(word_marker_, pos + m);
  }
  encode_cached(piece.substr(word_begin), ids);
}

void BpeModel::encode_cached(std::string_view piece, std::vector<int32_t>* ids) const {
  if (cache_->lookup(piece, ids)) return;
  const size_t first = ids->size();
  merge_symbols(piece, ids);
  cache_->insert(piece, ids->data() + first, ids->size() - first);
}

void BpeModel::merge_symbols(std::string_view piece, std::vector<int32_t>* ids) const {
  if (options_.ignore_merges) {
    const int32_t whole = key_id(piece);
    if (whole >= 0) {
      ids->push_back(whole);
      return;
    }
  }
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  initial_symbols(piece, &symbols);
  apply_merges(&symbols);
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) ids->push_back(symbols[i].id);
}

// One symbol per byte (byte-level keys) or per code point, as tokenizers' merge_word: units missing
// from the vocab become byte-fallback tokens, the (fused) unk token, or nothing.
void BpeModel::initial_symbols(std::string_view piece, std::vector<Symbol>* symbols) const {
  thread_local std::string unit;
  auto add_symbol = [symbols](int32_t id) {
    const int32_t index = static_cast<int32_t>(symbols->size());
    symbols->push_back({id, index - 1, -1, false});
    if (index > 0) (*symbols)[index - 1].next = index;
  };
  int32_t pending_unk = -1;  // fused unk waiting to be emitted
  size_t pos = 0;
  const bool plain = options_.continuing_subword_prefix.empty() && options_.end_of_word_suffix.empty();
  while (pos < piece.size()) {
    size_t len = 1;
    if (!options_.byte_level_keys) unicode::decode_code_point(piece, pos, &len);
    int32_t id;
    std::string_view key = piece.substr(pos, len);
    if (plain) {
      id = key_id(key);
    } else {
      unit.clear();
      if (pos > 0) unit += options_.continuing_subword_prefix;
      unit.append(key);
      if (pos + len == piece.size()) unit += options_.end_of_word_suffix;
      key = unit;
      id = key_id(key);
    }
    pos += len;
    if (id >= 0) {
      if (pending_unk >= 0) add_symbol(pending_unk);
      pending_unk = -1;
      add_symbol(id);
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : key) all = all && byte_fallback_ids_[b] >= 0;
      if (all) {
        // tokenizers adds the byte tokens without flushing a pending unk first; keep that order.
        for (unsigned char b : key) add_symbol(byte_fallback_ids_[b]);
        continue;
      }
    }
    if (!options_.unk_token) continue;  // no unk token: the unit is dropped
    if (unk_id_ < 0) {
      throw TokenizerError("model BPE: unk_token '" + *options_.unk_token + "' is not in the vocabulary");
    }
    if (pending_unk >= 0 && !options_.fuse_unk) add_symbol(pending_unk);
    pending_unk = unk_id_;
  }
  if (pending_unk >= 0) add_symbol(pending_unk);
}

// Applies the lowest-rank merge of adjacent symbols (leftmost on ties) until none applies; a
// min-heap of candidates, stale ones skipped when popped.
void BpeModel::apply_merges(std::vector<Symbol>* symbol_list) const {
  thread_local std::vector<MergeCandidate> heap;
  heap.clear();
  std::vector<Symbol>& symbols = *symbol_list;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const MergeTable::Entry* m = merges_.find(symbols[i].id, symbols[i + 1].id)) {
      heap.push_back({m->rank, static_cast<int32_t>(i), m->merged_id});
    }
  }
  std::make_heap(heap.begin(), heap.end());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const MergeCandidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[top.pos];
    if (left.removed || left.next < 0) continue;
    const int32_t right_pos = left.next;
    const MergeTable::Entry* current = merges_.find(left.id, symbols[right_pos].id);
    if (current == nullptr || current->merged_id != top.merged_id) continue;  // stale candidate
    left.id = top.merged_id;
    symbols[right_pos].removed = true;
    left.next = symbols[right_pos].next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) {
      if (const MergeTable::Entry* m = merges_.find(symbols[left.prev].id, left.id)) {
        heap.push_back({m->rank, left.prev, m->merged_id});
        std::push_heap(heap.begin(), heap.end());
      }
    }
    if (left.next >= 0) {
      if (const MergeTable::Entry* m = merges_.find(left.id, symbols[left.next].id)) {
        heap.push_back({m->rank, top.pos, m->merged_id});
        std::push_heap(heap.begin(), heap.end());
      }
    }
  }
}

}  // namespace icsweep
