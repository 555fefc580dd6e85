// UTF-8 decoding/encoding and the Unicode character classes that Hugging Face tokenizers uses
// (Rust's char::is_whitespace, is_alphanumeric, is_numeric, punctuation), backed by utf8proc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace icsweep::unicode {

// Decodes one code point at text[pos]; `length` receives its byte length (1 for invalid bytes,
// in which case the result is -1). Callers that require valid UTF-8 validate first.
int32_t decode_code_point(std::string_view text, size_t pos, size_t* length);

void append_utf8(std::string& out, int32_t code_point);

// Byte offset of the first invalid UTF-8 sequence, or std::string_view::npos when valid.
size_t find_invalid_utf8(std::string_view text);

// Rust's String::from_utf8_lossy (and Python's errors="replace"): each maximal invalid subpart
// becomes one U+FFFD (3 bytes).
std::string from_utf8_lossy(std::string_view bytes);

bool is_ascii(std::string_view text);

bool is_whitespace(int32_t cp);     // Unicode White_Space (Rust char::is_whitespace)
bool is_alphabetic(int32_t cp);     // L*, Nl, Other_Alphabetic approximated by L*/Nl/Mn/Mc (see .cpp)
bool is_numeric(int32_t cp);        // Nd, Nl, No (Rust char::is_numeric)
bool is_alphanumeric(int32_t cp);   // is_alphabetic || is_numeric
bool is_punctuation(int32_t cp);    // ASCII punctuation or category P* (tokenizers' is_punc)

// Per-code-point lowercasing as Rust's char::to_lowercase (U+0130 maps to two code points).
std::string to_lowercase(std::string_view text);

enum class NormalizationForm { kNfc, kNfd, kNfkc, kNfkd };
std::string normalize(std::string_view text, NormalizationForm form);

}  // namespace icsweep::unicode
