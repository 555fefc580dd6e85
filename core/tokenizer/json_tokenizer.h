// The tokenizer.json pipeline (tokenizers' Tokenizer::encode/decode) with the transformers layer
// from tokenizer_config.json applied on top: added tokens -> normalizer -> pre-tokenizer -> BPE ->
// post-processor; decode: ids -> token strings -> decoder -> clean-up.
#pragma once

#include <memory>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace icsweep {

// Loads DIR/tokenizer.json (+ tokenizer_config.json). `fingerprint` is the files' hash.
std::shared_ptr<const Tokenizer> load_json_tokenizer(const std::string& dir, const std::string& fingerprint,
                                                     TokenizerFlavor flavor);

}  // namespace icsweep
