// Tokenizers that ship only a SentencePiece tokenizer.model (e.g. Llama-2, Mistral v0.1).
#pragma once

#include <memory>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace icsweep {

std::shared_ptr<const Tokenizer> load_sentencepiece_tokenizer(const std::string& dir, const std::string& fingerprint);

}  // namespace icsweep
