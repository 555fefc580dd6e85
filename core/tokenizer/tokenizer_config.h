// tokenizer_config.json: the transformers layer on top of tokenizer.json (docs/design.md §1.2). Holds
// what changes ids or decoded text: add_bos_token/add_eos_token, the named special tokens,
// added_tokens_decoder, clean_up_tokenization_spaces, tokenizer_class (and its add_prefix_space /
// legacy options), in the v4 layout (additional_special_tokens) and the v5 one (extra_special_tokens).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tokenizer/added_tokens.h"

namespace icsweep {

struct TokenizerConfig {
  std::string file;             // path, for messages; empty when the directory has none
  std::string tokenizer_class;  // without a trailing "Fast"; empty when absent
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  std::optional<bool> add_prefix_space;
  std::optional<bool> legacy;
  bool clean_up_tokenization_spaces = false;  // transformers v5 default
  // clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output: without it
  // transformers 5 ignores the clean-up for BPE models.
  bool force_clean_up_for_bpe = false;
  std::optional<std::string> bos_token, eos_token, unk_token, pad_token;
  std::vector<std::string> extra_special_tokens;
  std::map<int32_t, AddedToken> added_tokens_decoder;
};

// Reads DIR/tokenizer_config.json if present (a missing file gives defaults). Throws
// TokenizerError naming the file on malformed JSON or wrongly typed fields.
TokenizerConfig read_tokenizer_config(const std::string& dir);

// transformers' clean_up_tokenization: removes the space before . ? ! , and English contractions.
std::string clean_up_tokenization(const std::string& text);

}  // namespace icsweep
