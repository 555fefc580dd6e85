#include "core/tokenizer/onig_regex.h"

#include <oniguruma.h>

#include <mutex>

#include "core/common/errors.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

void initialize_oniguruma_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

// One region per thread, reused across searches: avoids a malloc per match.
OnigRegion* thread_region() {
  struct Holder {
    OnigRegion* region = onig_region_new();
    ~Holder() { onig_region_free(region, 1); }
  };
  thread_local Holder holder;
  return holder.region;
}

}  // namespace

OnigRegex::OnigRegex(const std::string& pattern, const std::string& context) : pattern_(pattern) {
  initialize_oniguruma_once();
  regex_t* compiled = nullptr;
  OnigErrorInfo error_info;
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
  const int rc = onig_new(&compiled, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                          ONIG_SYNTAX_RUBY, &error_info);
  if (rc != ONIG_NORMAL) {
    OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(message, rc, &error_info);
    throw TokenizerError(context + ": invalid regex '" + pattern + "': " + reinterpret_cast<char*>(message));
  }
  regex_ = compiled;
}

OnigRegex::~OnigRegex() {
  if (regex_ != nullptr) onig_free(static_cast<regex_t*>(regex_));
}

void OnigRegex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const {
  matches->clear();
  auto* regex = static_cast<regex_t*>(regex_);
  OnigRegion* region = thread_region();
  const auto* str = reinterpret_cast<const OnigUChar*>(text.data());
  const OnigUChar* end = str + text.size();
  size_t start = 0;
  while (start <= text.size()) {
    const int rc = onig_search(regex, str, end, str + start, end, region, ONIG_OPTION_NONE);
    if (rc == ONIG_MISMATCH) break;
    if (rc < 0) {
      OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
      onig_error_code_to_str(message, rc);
      throw TokenizerError("regex '" + pattern_ + "' search failed: " + reinterpret_cast<char*>(message));
    }
    const size_t match_begin = static_cast<size_t>(region->beg[0]);
    const size_t match_end = static_cast<size_t>(region->end[0]);
    matches->emplace_back(match_begin, match_end);
    if (match_end == match_begin) {
      if (match_end >= text.size()) break;
      size_t len = 1;
      unicode::decode_code_point(text, match_end, &len);
      start = match_end + len;
    } else {
      start = match_end;
    }
  }
}

std::string escape_regex(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}-/ #").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace icsweep
