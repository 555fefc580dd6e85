// Scorer: per-token NLL in bits (docs/design.md §1.3) for batches of token sequences on one device.
// No torch in this header: the driver and worker include it without paying for torch's headers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace icsweep {

struct ScorerOptions {
  std::string model_dir;
  std::string dtype = "bfloat16";  // float32 | bfloat16 | float16 (resolved: the planner turns auto into one)
  std::string device = "cpu";      // cpu | cuda:N, or a comma list of them: the model's layers split
                                   // across those devices (core/score/devices.h decides which)
  int64_t vocab_limit = 0;         // V_tok: softmax over logits[:V_tok]; 0 = all rows
  bool per_token = false;          // keep every token's NLL, not only the sums
  int64_t logits_chunk_bytes = 0;  // fp32 logits held at once; 0 = 256 MiB (CPU) / 2 GiB (CUDA)
  // Padded tokens (B x T_max) per forward: score() splits larger batches into consecutive forwards.
  // 0 = automatic: on CUDA what the memory left free after loading the model holds (activations
  // estimated from the hidden size, the logits chunk and 512 MiB kept aside); on the CPU no limit.
  int64_t max_forward_tokens = 0;
  // FP8 checkpoints: auto (w8a8 where every device is a GPU with FP8 tensor cores, compute capability
  // >= 8.9; dequant elsewhere) | dequant | w8a8 (core/config/fp8_format.h).
  std::string fp8_mode = "auto";
};

struct SequenceScore {
  int64_t n_tokens = 0;             // scored tokens = L - 1
  double nll_bits = 0;              // sum over t of -log2 p(ids[t+1] | ids[..t]), float64 sum in order
  std::vector<float> token_nll_bits;  // per token (only with per_token)
};

struct ScorerModelInfo {
  std::string architecture, family;
  int64_t vocab_size = 0, num_parameters = 0;
  double load_seconds = 0;
  double load_gigabytes = 0;
  int64_t forward_token_limit = 0;  // the max_forward_tokens in force (0: none)
  int replicas = 1;                 // copies of the model scoring parts of each batch (replicated_scorer.h)
};

class Scorer {
 public:
  // Loads the model onto the device; throws ModelError (bad checkpoint) or ScoreError.
  static std::unique_ptr<Scorer> create(const ScorerOptions& options);
  virtual ~Scorer() = default;

  // The right-padded (B, T_max) batch in one forward, or in consecutive ones where B x T_max exceeds
  // the forward token limit (same results). Each sequence needs >= 2 ids.
  // Throws ScoreError (out_of_memory set for CUDA OOM) on failure.
  virtual std::vector<SequenceScore> score(const std::vector<std::vector<int32_t>>& sequences) = 0;

  // Keep (or stop keeping) every token's NLL in later score() calls.
  virtual void set_per_token(bool per_token) = 0;

  virtual const ScorerModelInfo& model_info() const = 0;
  virtual const ScorerOptions& options() const = 0;
};

// The forwards score() runs for a batch of these lengths under a token limit: consecutive [begin, end)
// ranges, each as long as its padded size (count x longest) stays within `limit`; a sequence longer
// than the limit goes alone.
std::vector<std::pair<size_t, size_t>> forward_groups(const std::vector<int64_t>& lengths, int64_t limit);

// The automatic max_forward_tokens: padded tokens whose activations fit in `free_bytes` after the
// logits chunk and 512 MiB, at 32 hidden vectors of `element_bytes` per token (residual stream, its
// norm, q/k/v, the MLP's gate/up and product, attention output: 20-25 for Llama/Qwen shapes, plus
// margin). At least 2.
int64_t automatic_forward_tokens(int64_t free_bytes, int64_t hidden_size, int64_t element_bytes,
                                 int64_t logits_chunk_bytes);

// Sets torch's intra-op CPU threads (0 leaves torch's default).
void set_cpu_threads(int threads);

}  // namespace icsweep
