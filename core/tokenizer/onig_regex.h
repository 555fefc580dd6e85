// A compiled Oniguruma regex (the engine Hugging Face tokenizers uses), immutable and safe to
// search from many threads at once (each search uses its own match region).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace icsweep {

class OnigRegex {
 public:
  // Compiles `pattern` with Oniguruma's default (Ruby) syntax, UTF-8, no options, like the
  // `onig` crate's Regex::new. Throws TokenizerError mentioning `context` on a bad pattern.
  OnigRegex(const std::string& pattern, const std::string& context);
  ~OnigRegex();
  OnigRegex(const OnigRegex&) = delete;
  OnigRegex& operator=(const OnigRegex&) = delete;

  // Non-overlapping matches, left to right, as (begin, end) byte offsets in `text`. Lookarounds
  // see the whole of `text`. An empty match advances by one code point, as the onig crate does.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* regex_ = nullptr;  // OnigRegex (regex_t*); kept opaque so oniguruma.h stays private
};

// Escapes `literal` so that it matches itself as an Oniguruma pattern.
std::string escape_regex(std::string_view literal);

}  // namespace icsweep
