// Small helpers shared by the tokenizer.json component parsers: typed field access with errors
// that name the file and component, and the {"String": ...} / {"Regex": ...} pattern type.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/tokenizer/known_patterns.h"
#include "core/tokenizer/onig_regex.h"

namespace icsweep {

// spec[key] as a string; TokenizerError "FILE: COMPONENT: field 'key' ..." when absent or not a string.
std::string json_string(const nlohmann::json& spec, const char* key, const std::string& file,
                        const std::string& component);

// A literal string or an Oniguruma regex, as tokenizers' Split/Replace patterns.
struct Pattern {
  std::string literal;
  std::shared_ptr<const OnigRegex> regex;  // set for {"Regex": ...}
  KnownPattern known = KnownPattern::kNone;  // a regex with a hand-written matcher (same matches)

  // Non-overlapping (begin, end) matches in `text`, left to right.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;
};

// A regex pattern (hand-written matcher when the regex is a known one).
Pattern regex_pattern(const std::string& regex, const std::string& context);

Pattern parse_pattern(const nlohmann::json& spec, const std::string& file, const std::string& component);

std::string replace_all(const Pattern& pattern, std::string_view text, std::string_view content);

}  // namespace icsweep
