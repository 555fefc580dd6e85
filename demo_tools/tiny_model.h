// make-tiny-model: writes a random Hugging Face-format checkpoint that transformers can load
// (config.json, model.safetensors, tokenizer.json, tokenizer_config.json). No torch in this header.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace icsweep {

struct TinyModelOptions {
  std::string family = "llama";  // llama | qwen2
  std::string out_dir;
  int64_t layers = 2;
  int64_t hidden = 64;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t intermediate = 0;   // 0 = about 2.7 * hidden rounded to 8
  int64_t vocab = 0;          // config vocab_size (embedding rows); 0 = tokenizer size rounded up to 64
  int64_t merges = 256;       // BPE merges learned from the corpus (0: bytes only)
  std::string corpus;         // text file to learn merges from; "" = corpus_text or built-in text
  std::string corpus_text;    // text to learn merges from when `corpus` is "" (e.g. the training texts)
  uint64_t seed = 0;
  bool tie_embeddings = false;
};

// Writes the checkpoint; throws Error on I/O problems. Returns a one-line summary.
std::string make_tiny_model(const TinyModelOptions& options);

// A byte-level BPE learned from text: vocab[i] is token i's string in GPT-2's byte-to-unicode
// alphabet (0..255 are the single bytes, in byte order), merges in rank order.
struct ByteLevelBpe {
  std::vector<std::string> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
};

// Deterministic trainer: splits text into GPT-2-like chunks (letters, digits, other, with one
// leading space), then repeatedly merges the most frequent adjacent pair (ties: the pair whose
// token ids are smallest) until `merges` merges exist or no pair occurs twice.
ByteLevelBpe train_byte_level_bpe(const std::string& text, int64_t merges);

// GPT-2's bytes_to_unicode(): the printable character standing for byte b, as UTF-8.
std::string byte_level_char(uint8_t b);

// splitmix64 stream with Box-Muller normals: weights depend only on the seed, never on a
// library's RNG.
class TinyRng {
 public:
  explicit TinyRng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64();
  double uniform();  // (0, 1]
  double normal();   // N(0, 1)

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace icsweep
