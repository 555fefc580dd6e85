#include "core/tokenizer/known_patterns.h"

#include <oniguruma.h>

#include <array>
#include <atomic>
#include <memory>

#include "core/tokenizer/onig_regex.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {

const char* const kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr uint8_t kLetter = 1, kNumber = 2, kSpace = 4, kKnown = 0x80;

// Per-code-point classes as Oniguruma sees them, filled lazily (relaxed atomics: every thread
// computes the same value, so a race only repeats work).
class CharClasses {
 public:
  CharClasses()
      : letter_("\\A\\p{L}", "known pattern \\p{L}"),
        number_("\\A\\p{N}", "known pattern \\p{N}"),
        space_("\\A\\s", "known pattern \\s"),
        table_(new std::atomic<uint8_t>[0x110000]) {
    for (int32_t cp = 0; cp < 0x110000; ++cp) table_[cp].store(0, std::memory_order_relaxed);
  }
  uint8_t of(int32_t cp) const {
    if (cp < 0 || cp >= 0x110000) return kKnown;  // invalid bytes: "other"
    uint8_t value = table_[cp].load(std::memory_order_relaxed);
    if (value == 0) {
      std::string utf8;
      unicode::append_utf8(utf8, cp);
      std::vector<std::pair<size_t, size_t>> m;
      value = kKnown;
      letter_.find_all(utf8, &m);
      if (!m.empty()) value |= kLetter;
      number_.find_all(utf8, &m);
      if (!m.empty()) value |= kNumber;
      space_.find_all(utf8, &m);
      if (!m.empty()) value |= kSpace;
      table_[cp].store(value, std::memory_order_relaxed);
    }
    return value;
  }

 private:
  OnigRegex letter_, number_, space_;
  std::unique_ptr<std::atomic<uint8_t>[]> table_;
};

const CharClasses& classes() {
  static const CharClasses instance;
  return instance;
}

// The text decoded once into code points with byte offsets and classes.
struct Decoded {
  std::vector<int32_t> cp;
  std::vector<uint8_t> cls;
  std::vector<size_t> offset;  // offset[i] = byte offset of code point i; offset[n] = text size
};

void decode(std::string_view text, Decoded* d) {
  d->cp.clear();
  d->cls.clear();
  d->offset.clear();
  const CharClasses& c = classes();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 1;
    const unsigned char b = static_cast<unsigned char>(text[pos]);
    const int32_t cp = b < 0x80 ? b : unicode::decode_code_point(text, pos, &len);
    d->cp.push_back(cp);
    d->cls.push_back(c.of(cp));
    d->offset.push_back(pos);
    pos += len;
  }
  d->offset.push_back(text.size());
}

class Matcher {
 public:
  Matcher(const Decoded& d, KnownPattern p) : d_(d), p_(p), n_(d.cp.size()) {}

  // End (in code points) of the leftmost-first alternative matching at i; i when none does.
  size_t match_at(size_t i) const {
    if (size_t e = contraction(i)) return e;
    if (p_ == KnownPattern::kGpt2) {
      if (size_t e = optional_space_then_run(i, kLetter)) return e;
      if (size_t e = optional_space_then_run(i, kNumber)) return e;
      if (size_t e = optional_space_then_other(i, false)) return e;
    } else {
      if (size_t e = letters_with_prefix(i)) return e;
      if (number(i)) return numbers(i, p_ == KnownPattern::kLlama3 ? 3 : 1);
      if (size_t e = optional_space_then_other(i, true)) return e;
      if (size_t e = spaces_then_newlines(i)) return e;
    }
    return spaces(i);
  }

 private:
  bool letter(size_t i) const { return i < n_ && (d_.cls[i] & kLetter); }
  bool number(size_t i) const { return i < n_ && (d_.cls[i] & kNumber); }
  bool space(size_t i) const { return i < n_ && (d_.cls[i] & kSpace); }
  bool other(size_t i) const { return i < n_ && !(d_.cls[i] & (kLetter | kNumber | kSpace)); }
  bool newline(size_t i) const { return i < n_ && (d_.cp[i] == '\r' || d_.cp[i] == '\n'); }
  size_t run(size_t i, uint8_t cls) const {
    while (i < n_ && (d_.cls[i] & cls)) ++i;
    return i;
  }

  // 's|'t|'re|'ve|'m|'ll|'d, case-insensitive ((?i:...), Unicode folding) for Llama-3/Qwen2.
  size_t contraction(size_t i) const {
    if (i + 1 >= n_ || d_.cp[i] != '\'') return 0;
    const bool fold = p_ != KnownPattern::kGpt2;
    auto is = [&](size_t k, char lower) {
      if (k >= n_) return false;
      const int32_t c = d_.cp[k];
      if (c == lower) return true;
      if (!fold) return false;
      if (c == lower - 32) return true;
      return lower == 's' && c == 0x17F;  // LATIN SMALL LETTER LONG S folds to 's'
    };
    if (is(i + 1, 's') || is(i + 1, 't')) return i + 2;
    if ((is(i + 1, 'r') || is(i + 1, 'v')) && is(i + 2, 'e')) return i + 3;
    if (is(i + 1, 'm')) return i + 2;
    if (is(i + 1, 'l') && is(i + 2, 'l')) return i + 3;
    if (is(i + 1, 'd')) return i + 2;
    return 0;
  }

  // GPT-2 " ?\p{L}+" / " ?\p{N}+".
  size_t optional_space_then_run(size_t i, uint8_t cls) const {
    if (i < n_ && d_.cp[i] == ' ' && i + 1 < n_ && (d_.cls[i + 1] & cls)) return run(i + 1, cls);
    if (i < n_ && (d_.cls[i] & cls)) return run(i, cls);
    return 0;
  }

  // " ?[^\s\p{L}\p{N}]+" and, for Llama-3/Qwen2, the trailing "[\r\n]*".
  size_t optional_space_then_other(size_t i, bool trailing_newlines) const {
    size_t start;
    if (i < n_ && d_.cp[i] == ' ' && other(i + 1)) {
      start = i + 1;
    } else if (other(i)) {
      start = i;
    } else {
      return 0;
    }
    size_t e = start;
    while (other(e)) ++e;
    if (trailing_newlines) {
      while (newline(e)) ++e;
    }
    return e;
  }

  // "[^\r\n\p{L}\p{N}]?\p{L}+".
  size_t letters_with_prefix(size_t i) const {
    if (letter(i)) return run(i, kLetter);
    if (i < n_ && !newline(i) && !letter(i) && !number(i) && letter(i + 1)) return run(i + 1, kLetter);
    return 0;
  }

  size_t numbers(size_t i, size_t max) const {
    size_t e = i;
    while (e < n_ && e - i < max && number(e)) ++e;
    return e;
  }

  // "\s*[\r\n]+": through the last CR/LF of the whitespace run starting at i.
  size_t spaces_then_newlines(size_t i) const {
    const size_t j = run(i, kSpace);
    for (size_t k = j; k > i; --k) {
      if (newline(k - 1)) return k;
    }
    return 0;
  }

  // "\s+(?!\S)|\s+".
  size_t spaces(size_t i) const {
    const size_t j = run(i, kSpace);
    if (j == i) return i;
    if (j == n_ || j - 1 == i) return j;
    return j - 1;
  }

  const Decoded& d_;
  KnownPattern p_;
  size_t n_;
};

}  // namespace

KnownPattern identify_known_pattern(const std::string& regex) {
  if (regex == kGpt2SplitPattern) return KnownPattern::kGpt2;
  if (regex == kLlama3Pattern) return KnownPattern::kLlama3;
  if (regex == kQwen2Pattern) return KnownPattern::kQwen2;
  return KnownPattern::kNone;
}

void find_known_pattern_matches(KnownPattern pattern, std::string_view text,
                                std::vector<std::pair<size_t, size_t>>* matches) {
  matches->clear();
  thread_local Decoded decoded;
  decode(text, &decoded);
  const Matcher matcher(decoded, pattern);
  const size_t n = decoded.cp.size();
  size_t i = 0;
  while (i < n) {
    const size_t e = matcher.match_at(i);
    if (e == i) {  // no alternative matches here: the search moves on one code point
      ++i;
      continue;
    }
    matches->emplace_back(decoded.offset[i], decoded.offset[e]);
    i = e;
  }
}

}  // namespace icsweep
