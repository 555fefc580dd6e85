// transformers v5 tokenizer classes whose __init__ rebuilds the tokenizers pipeline instead of
// using tokenizer.json as saved (TokenizersBackend.convert_to_native_format keeps only vocab,
// merges and post_processor for them). What they rebuild changes ids, so icsweep mirrors it.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/tokenizer_config.h"

namespace icsweep {

struct ClassOverride {
  bool rebuilt = false;  // normalizer/pre_tokenizer/decoder/BPE options below replace tokenizer.json's
  nlohmann::json normalizer;
  nlohmann::json pre_tokenizer;
  nlohmann::json decoder;
  BpeOptions options;
  std::optional<std::string> default_bos, default_eos, default_unk;  // the class's keyword defaults

  BpeOptions bpe_options(bool byte_level_keys) const {
    BpeOptions o = options;
    o.byte_level_keys = byte_level_keys;
    return o;
  }
};

// LlamaTokenizer: Metaspace("▁", prepend_scheme first/always/never, split=false), no normalizer,
// BPE(byte_fallback, fuse_unk, no unk_token), decoder Replace/ByteFallback/Fuse[/Strip].
// Other classes: tokenizer.json as saved (rebuilt = false).
ClassOverride transformers_class_override(const TokenizerConfig& config, const nlohmann::json& tokenizer_json);

}  // namespace icsweep
