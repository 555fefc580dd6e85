// Tokenizer API: an immutable object, safe to call from many threads at once.
// Loads a Hugging Face tokenizer directory: tokenizer.json (+ tokenizer_config.json), or a
// SentencePiece tokenizer.model. Semantics follow Hugging Face tokenizers/transformers exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace icsweep {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // ids of `text`; with add_special_tokens the post-processor adds BOS/EOS as transformers does
  // (tokenizer.json post_processor, or tokenizer_config.json add_bos_token/add_eos_token).
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;

  // Decode as transformers' tokenizer.decode(ids) does by default: special tokens kept,
  // clean_up_tokenization_spaces applied when the config asks for it, invalid UTF-8 replaced
  // by U+FFFD.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;

  // len(tokenizer): base vocabulary + added tokens (V_tok of docs/design.md §1.3).
  virtual int64_t size() const = 0;

  // Stable hash of the tokenizer files' bytes, for provenance and the journal.
  virtual std::string fingerprint() const = 0;

  // Directory (or file) it was loaded from.
  virtual const std::string& source() const = 0;
};

// Which Hugging Face entry point a loaded tokenizer reproduces.
enum class TokenizerFlavor {
  // transformers' AutoTokenizer.from_pretrained(DIR) (5.x): tokenizer_config.json applied, class
  // rebuilds (e.g. LlamaTokenizer's Metaspace pipeline) mirrored. The reference pipeline; default.
  kTransformers,
  // tokenizers' Tokenizer.from_file(DIR/tokenizer.json): the file as saved, no tokenizer_config.json.
  kTokenizersLibrary,
};

// Loads DIR; throws TokenizerError naming the file and the unsupported component.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir,
                                                TokenizerFlavor flavor = TokenizerFlavor::kTransformers);

// Reference text size (docs/design.md §1.2) of an already truncated id sequence:
// UTF-8 bytes of decode(ids[1:]); 0 when ids.size() < 2.
int64_t tail_text_bytes(const Tokenizer& tokenizer, const std::vector<int32_t>& ids);

}  // namespace icsweep
