// make-tiny-model: writes a random Hugging Face-format checkpoint that transformers can load
// (config.json, model.safetensors, tokenizer.json, tokenizer_config.json). No torch in this header.
#pragma once

#include <cstdint>
#include <string>

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
  std::string corpus;         // text file(s) to learn merges from; "" = built-in text
  uint64_t seed = 0;
  bool tie_embeddings = false;
};

// Writes the checkpoint; throws Error on I/O problems. Returns a one-line summary.
std::string make_tiny_model(const TinyModelOptions& options);

}  // namespace icsweep
