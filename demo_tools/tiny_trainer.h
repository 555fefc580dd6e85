// Trains a tiny llama checkpoint (as written by make-tiny-model) in place on CPU: next-token
// cross-entropy with torch::optim::AdamW, batches of random windows drawn from the tokenized texts.
// The training forward is the scorer's LlamaModel forward without InferenceMode, built from the same
// layers.h functions, so what is trained is exactly what is scored (tests check the logits agree).
// Deterministic: the same checkpoint, texts, options and thread count give bit-identical weights.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/model/llama.h"

namespace icsweep {

struct TinyTrainOptions {
  int64_t steps = 200;
  int64_t batch = 8;           // sequences per step
  int64_t seq_len = 128;       // tokens per sequence (predicting seq_len next tokens)
  double lr = 5e-3;            // peak learning rate, after `warmup` linear steps, cosine to lr / 10
  int64_t warmup = -1;         // -1 = steps / 10
  double weight_decay = 0.01;  // AdamW, on matrices and embeddings only (not norms)
  double clip_norm = 1.0;      // global gradient norm clip; 0 = none
  uint64_t seed = 0;           // window sampling
  int threads = 1;             // torch intra-op threads (set process-wide); reproducible per thread count
  int64_t log_every = 50;      // print a loss line every N steps (0 = never)
};

struct TinyTrainReport {
  int64_t tokens = 0;           // tokens in the tokenized corpus
  int64_t parameters = 0;
  std::vector<double> losses;   // per step, nats/token
  double seconds = 0;
};

// A llama checkpoint held as trainable fp32 tensors (owning copies, not views of the file).
struct TrainableLlama {
  LlamaConfig config;
  LlamaWeights weights;
  std::vector<std::pair<std::string, torch::Tensor>> named;  // Hugging Face name -> tensor, file order

  // Reads DIR/config.json + model.safetensors. ModelError naming the file when the checkpoint is not
  // a plain llama (biases, sliding windows and other families are not supported here).
  static TrainableLlama load(const std::string& model_dir);
  // Writes DIR/model.safetensors (fp32; lm_head omitted when tied).
  void save(const std::string& model_dir) const;
  std::vector<torch::Tensor> parameters() const;
};

// ids: (B, T) int64 -> logits (B, T, V) with autograd; the same computation as LlamaModel's
// forward_hidden followed by logits().
torch::Tensor llama_train_logits(const LlamaConfig& config, const LlamaWeights& weights, const torch::Tensor& ids);

// Tokenizes `texts` with DIR's tokenizer (special tokens included, so each text starts with BOS),
// concatenates them and trains DIR's weights in place. Loss lines go to *log when not null.
// Throws UsageError for bad options or a corpus shorter than one window.
TinyTrainReport train_tiny_model(const std::string& model_dir, const std::vector<std::string>& texts,
                                 const TinyTrainOptions& options, std::ostream* log);

}  // namespace icsweep
