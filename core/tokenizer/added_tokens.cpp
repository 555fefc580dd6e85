#include "core/tokenizer/added_tokens.h"

#include <utf8proc.h>

#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

// The regex crate's \w: alphanumeric, marks, connector punctuation.
bool is_word_char(int32_t cp) {
  if (cp < 0) return false;
  if (unicode::is_alphanumeric(cp)) return true;
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME ||
         c == UTF8PROC_CATEGORY_PC;
}

int32_t last_code_point(std::string_view text, size_t end, size_t* start) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
  size_t len = 0;
  *start = pos;
  return unicode::decode_code_point(text, pos, &len);
}

}  // namespace

void AddedVocabulary::Trie::insert(const std::string& key, int32_t token) {
  if (key.empty()) return;  // an empty token can never match
  if (nodes.empty()) nodes.emplace_back();
  int32_t node = 0;
  for (unsigned char c : key) {
    const auto it = nodes[node].children.find(c);
    if (it == nodes[node].children.end()) {
      nodes.emplace_back();
      const int32_t child = static_cast<int32_t>(nodes.size() - 1);
      nodes[node].children.emplace(c, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  if (nodes[node].token < 0) nodes[node].token = token;  // first token with this content wins
  first_byte[static_cast<unsigned char>(key[0])] = true;
}

int32_t AddedVocabulary::Trie::longest_at(std::string_view text, size_t pos, size_t* length) const {
  int32_t best = -1;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto it = nodes[node].children.find(static_cast<unsigned char>(text[i]));
    if (it == nodes[node].children.end()) break;
    node = it->second;
    if (nodes[node].token >= 0) {
      best = nodes[node].token;
      *length = i + 1 - pos;
    }
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    index_by_id_.emplace(token.id, i);
    index_by_content_.emplace(token.content, i);
    if (token.normalized && normalizer != nullptr) {
      std::string key = token.content;
      normalizer->normalize(key);
      tries_[1].insert(key, static_cast<int32_t>(i));
    } else {
      tries_[token.normalized ? 1 : 0].insert(token.content, static_cast<int32_t>(i));
    }
  }
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  const auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(const std::string& content) const {
  const auto it = index_by_content_.find(content);
  return it == index_by_content_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::split(std::string_view text, bool normalized_pass, std::vector<AddedTokenSplit>* out) const {
  out->clear();
  const Trie& trie = tries_[normalized_pass ? 1 : 0];
  size_t start_offset = 0;  // end of the previous emitted split
  size_t pos = 0;           // where the automaton resumes (end of the previous raw match)
  while (!trie.nodes.empty() && pos < text.size()) {
    if (!trie.first_byte[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    size_t length = 0;
    const int32_t index = trie.longest_at(text, pos, &length);
    if (index < 0) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + length;
    pos = stop;
    const AddedToken& token = tokens_[index];
    if (token.single_word) {
      size_t before = 0;
      const bool start_space = start == 0 || !is_word_char(last_code_point(text, start, &before));
      size_t len = 0;
      const bool stop_space = stop == text.size() || !is_word_char(unicode::decode_code_point(text, stop, &len));
      if (!start_space || !stop_space) continue;
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > 0) {
        size_t cp_start = 0;
        if (!unicode::is_whitespace(last_code_point(text, new_start, &cp_start))) break;
        new_start = cp_start;
      }
      start = std::max(new_start, start_offset);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t len = 0;
        if (!unicode::is_whitespace(unicode::decode_code_point(text, stop, &len))) break;
        stop += len;
      }
    }
    if (start_offset < start) out->push_back({start_offset, start, -1});
    out->push_back({start, stop, token.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) out->push_back({start_offset, text.size(), -1});
}

}  // namespace icsweep
