// GPT2LMHeadModel (transformers' modeling_gpt2.py): learned absolute positions, pre-LayerNorm
// blocks with biases, multi-head attention from one fused c_attn, a GELU MLP, lm_head tied to the
// token embedding. The projections are Conv1D layers: their weights are stored (in, out), so
// y = x W + b rather than x W^T + b.
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Gpt2Config {
  int64_t vocab_size = 0;
  int64_t n_embd = 0;       // D
  int64_t n_inner = 0;      // F; config null means 4 * n_embd
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_positions = 0;  // rows of the position embedding
  double layer_norm_epsilon = 1e-5;
  std::string activation_function = "gelu_new";
  bool scale_attn_weights = true;                // scores / sqrt(Dh)
  bool scale_attn_by_inverse_layer_idx = false;  // scores / (layer index + 1)
  bool tie_word_embeddings = true;

  static Gpt2Config from_hf(const HfConfig& config);
};

ModelShape gpt2_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_gpt2(const LoadRequest& request);

}  // namespace icsweep
