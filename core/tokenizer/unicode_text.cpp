#include "core/tokenizer/unicode_text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/common/errors.h"

namespace icsweep::unicode {

int32_t decode_code_point(std::string_view text, size_t pos, size_t* length) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const unsigned char c = s[pos];
  if (c < 0x80) {
    *length = 1;
    return c;
  }
  size_t need = 0;
  int32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *length = 1;
    return -1;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (pos + k >= n) {
      *length = k;  // truncated sequence: the valid prefix is one maximal subpart
      return -1;
    }
    const unsigned char b = s[pos + k];
    const unsigned char min = (k == 1) ? lo : 0x80;
    const unsigned char max = (k == 1) ? hi : 0xBF;
    if (b < min || b > max) {
      *length = k;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *length = need + 1;
  return cp;
}

void append_utf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_ascii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

size_t find_invalid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t len = 0;
    if (decode_code_point(text, pos, &len) < 0) return pos;
    pos += len;
  }
  return std::string_view::npos;
}

std::string from_utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t len = 0;
    const int32_t cp = decode_code_point(bytes, pos, &len);
    if (cp < 0) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(bytes.data() + pos, len);
    }
    pos += len;
  }
  return out;
}

bool is_whitespace(int32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

static utf8proc_category_t category(int32_t cp) {
  return static_cast<utf8proc_category_t>(utf8proc_category(cp));
}

// Rust's is_alphabetic is the Alphabetic property (letters, Nl and Other_Alphabetic marks);
// utf8proc has no property table for it, so spacing/non-spacing marks stand in for
// Other_Alphabetic. Only single_word added tokens depend on this.
bool is_alphabetic(int32_t cp) {
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
      return true;
    default:
      return false;
  }
}

bool is_numeric(int32_t cp) {
  const auto c = category(cp);
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool is_alphanumeric(int32_t cp) { return is_alphabetic(cp) || is_numeric(cp); }

bool is_punctuation(int32_t cp) {
  if (cp < 0x80) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  }
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

std::string to_lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    const int32_t cp = decode_code_point(text, pos, &len);
    if (cp < 0) {
      out.append(text.data() + pos, len);
    } else if (cp < 0x80) {
      out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else if (cp == 0x130) {
      out += "i\xCC\x87";  // SpecialCasing: U+0130 lowercases to "i" + U+0307
    } else {
      append_utf8(out, utf8proc_tolower(cp));
    }
    pos += len;
  }
  return out;
}

namespace {

// True when every code point lies in ranges that are NFC_Quick_Check=Yes, canonical combining
// class 0 and never the second element of a canonical composition: such text is already NFC.
// Covers Latin-1/Latin Extended, Cyrillic, common punctuation, CJK, kana, Hangul syllables and
// fullwidth forms; anything else (combining marks, Greek, compatibility ideographs...) goes to utf8proc.
bool is_nfc_fast(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {
      ++pos;
      continue;
    }
    size_t len = 0;
    const int32_t cp = decode_code_point(text, pos, &len);
    pos += len;
    const bool stable = (cp >= 0 && cp < 0x300) || (cp >= 0x400 && cp < 0x500) || (cp >= 0x2010 && cp < 0x2028) ||
                        (cp >= 0x3000 && cp < 0x302A) || (cp >= 0x3030 && cp < 0x3040) ||
                        (cp >= 0x3041 && cp < 0x3097) || (cp >= 0x30A1 && cp < 0x30FB) ||
                        (cp >= 0x4E00 && cp < 0xA000) || (cp >= 0xAC00 && cp < 0xD7A4) ||
                        (cp >= 0xFF01 && cp < 0xFF5F);
    if (!stable) return false;
  }
  return true;
}

}  // namespace

std::string normalize(std::string_view text, NormalizationForm form) {
  if (is_ascii(text)) return std::string(text);  // ASCII is invariant under all four forms
  if (form == NormalizationForm::kNfc && is_nfc_fast(text)) return std::string(text);
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalizationForm::kNfc: options |= UTF8PROC_COMPOSE; break;
    case NormalizationForm::kNfd: options |= UTF8PROC_DECOMPOSE; break;
    case NormalizationForm::kNfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalizationForm::kNfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &result,
                   static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    throw TokenizerError(std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
}

}  // namespace icsweep::unicode
