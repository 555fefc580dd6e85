// The tokenizer.json pipeline (tokenizers' Tokenizer::encode/decode) with the transformers layer
// from tokenizer_config.json applied on top: added tokens -> normalizer -> pre-tokenizer -> BPE ->
// post-processor; decode: ids -> token strings -> decoder -> clean-up.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/tokenizer/tokenizer.h"

namespace icsweep {

// Loads DIR/tokenizer.json (+ tokenizer_config.json). `fingerprint` is the files' hash.
std::shared_ptr<const Tokenizer> load_json_tokenizer(const std::string& dir, const std::string& fingerprint,
                                                     TokenizerFlavor flavor);

// The same from tokenizer.json content built in memory (a converted tokenizer.model, named `file`
// in errors), with DIR/tokenizer_config.json applied as for a file.
std::shared_ptr<const Tokenizer> load_json_tokenizer(const nlohmann::json& tokenizer_json, const std::string& dir,
                                                     const std::string& file, const std::string& fingerprint,
                                                     TokenizerFlavor flavor);

}  // namespace icsweep
