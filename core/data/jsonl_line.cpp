// One JSONL line -> a text record or a bad-record reason.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/data/jsonl_dataset.h"

namespace icsweep {
namespace {

// Offset of the first byte that breaks strict UTF-8 (overlongs, surrogates, > U+10FFFF), or npos.
size_t first_invalid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // no overlongs
      if (c == 0xED) high = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // no overlongs
      if (c == 0xF4) high = 0x8F;  // <= U+10FFFF
    } else {
      return i;
    }
    if (i + length > n) return i;
    if (p[i + 1] < low || p[i + 1] > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += length;
  }
  return std::string::npos;
}

// LINE with every number outside strings that overflows a double (1e400) replaced by 0: valid JSON
// that nlohmann rejects ("number overflow") but Python's json reads (as inf). Such a number is never
// the text itself, so the record keeps its text.
std::string with_overflowing_numbers_as_zero(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  bool in_string = false;
  for (size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) out += line[++i];
      else if (c == '"') in_string = false;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t end = line.find_first_not_of("+-0123456789.eE", i);
      const std::string number = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      out += std::isinf(std::strtod(number.c_str(), nullptr)) ? "0" : number;
      i += number.size();
    } else {
      in_string = c == '"';
      out += c;
      ++i;
    }
  }
  return out;
}

const char* json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::string: return "a string";
    default: return "a number";
  }
}

bool bad(std::string* reason, std::string* message, const char* code, std::string text) {
  *reason = code;
  *message = std::move(text);
  return false;
}

}  // namespace

bool classify_jsonl_line(const std::string& line, const std::string& text_field, std::string* text,
                         std::string* reason, std::string* message) {
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    const size_t column = static_cast<const char*>(nul) - line.data() + 1;
    return bad(reason, message, "nul_byte", "NUL byte at column " + std::to_string(column));
  }
  const size_t invalid = first_invalid_utf8(line);
  if (invalid != std::string::npos) {
    return bad(reason, message, "invalid_utf8", "invalid UTF-8 at byte column " + std::to_string(invalid + 1) +
                                                    "; the file must be UTF-8 encoded");
  }
  nlohmann::json value;
  try {
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::out_of_range& overflow) {  // 406: a number past double's range
      value = nlohmann::json::parse(with_overflowing_numbers_as_zero(line));
    }
  } catch (const nlohmann::json::exception& error) {
    std::string detail = error.what();
    const size_t at = detail.find("parse error");
    if (at != std::string::npos) detail = detail.substr(at);
    if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
    return bad(reason, message, "invalid_json", "not valid JSON: " + detail);
  }
  if (!value.is_object()) {
    return bad(reason, message, "not_object", std::string("expected a JSON object, got ") + json_type_name(value));
  }
  auto it = value.find(text_field);
  if (it == value.end()) {
    std::string fields;
    int shown = 0;
    for (auto field = value.begin(); field != value.end() && shown < 6; ++field, ++shown) {
      fields += (shown ? ", " : "") + field.key();
    }
    if (value.size() > 6) fields += ", ...";
    return bad(reason, message, "missing_text",
               "no field '" + text_field + "'" + (fields.empty() ? " (the object is empty)" : " (fields: " + fields + ")"));
  }
  if (!it->is_string()) {
    return bad(reason, message, "text_not_string",
               "field '" + text_field + "' is " + json_type_name(*it) + ", expected a string");
  }
  std::string& value_text = it->get_ref<std::string&>();
  if (value_text.empty()) return bad(reason, message, "empty_text", "field '" + text_field + "' is an empty string");
  if (value_text.find('\0') != std::string::npos) {
    return bad(reason, message, "nul_byte", "field '" + text_field + "' contains U+0000 (\\u0000)");
  }
  *text = std::move(value_text);  // texts can be 100 MB: no copy
  return true;
}

}  // namespace icsweep
