// Tokenizers that ship only a SentencePiece tokenizer.model of another type than BPE (Unigram, ...),
// encoded by libsentencepiece. BPE models (Llama-2, Mistral v0.1) are converted as transformers 5
// does instead (sentencepiece_conversion.h).
#pragma once

#include <memory>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace icsweep {

std::shared_ptr<const Tokenizer> load_sentencepiece_tokenizer(const std::string& dir, const std::string& fingerprint);

}  // namespace icsweep
