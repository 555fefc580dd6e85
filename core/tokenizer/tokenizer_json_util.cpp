#include "core/tokenizer/tokenizer_json_util.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {

std::string json_string(const nlohmann::json& spec, const char* key, const std::string& file,
                        const std::string& component) {
  const auto it = spec.find(key);
  if (it == spec.end() || !it->is_string()) {
    throw TokenizerError(file + ": " + component + ": field '" + key + "' is missing or not a string");
  }
  return it->get<std::string>();
}

void Pattern::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const {
  if (known != KnownPattern::kNone) {
    find_known_pattern_matches(known, text, matches);
    return;
  }
  if (regex) {
    regex->find_all(text, matches);
    return;
  }
  matches->clear();
  if (literal.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(literal, pos)) != std::string_view::npos) {
    matches->emplace_back(pos, pos + literal.size());
    pos += literal.size();
  }
}

Pattern regex_pattern(const std::string& regex, const std::string& context) {
  Pattern pattern;
  pattern.regex = std::make_shared<OnigRegex>(regex, context);  // also validates the pattern
  pattern.known = identify_known_pattern(regex);
  return pattern;
}

Pattern parse_pattern(const nlohmann::json& spec, const std::string& file, const std::string& component) {
  Pattern pattern;
  if (spec.is_object() && spec.contains("String")) {
    pattern.literal = spec.at("String").get<std::string>();
  } else if (spec.is_object() && spec.contains("Regex")) {
    pattern = regex_pattern(spec.at("Regex").get<std::string>(), file + ": " + component);
  } else if (spec.is_string()) {
    pattern.literal = spec.get<std::string>();
  } else {
    throw TokenizerError(file + ": " + component + ": pattern must be {\"String\": ...} or {\"Regex\": ...}");
  }
  return pattern;
}

std::string replace_all(const Pattern& pattern, std::string_view text, std::string_view content) {
  std::vector<std::pair<size_t, size_t>> matches;
  pattern.find_all(text, &matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t last = 0;
  for (const auto& [begin, end] : matches) {
    out.append(text.substr(last, begin - last));
    out.append(content);
    last = end;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace icsweep
