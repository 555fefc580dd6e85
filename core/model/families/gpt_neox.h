// GPTNeoXForCausalLM (transformers' modeling_gpt_neox.py; Pythia, GPT-NeoX-20B): LayerNorm blocks
// with biases, one fused query_key_value projection whose output is laid out per head as
// [q_h | k_h | v_h], rotary embeddings on only the first rotary_pct of each head, a GELU MLP, and
// (use_parallel_residual) attention and MLP both reading the block input: x + attn(ln1(x)) + mlp(ln2(x)).
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct GptNeoxConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t head_dim = 0;      // hidden_size / num_heads
  int64_t rotary_ndims = 0;  // int(head_dim * rotary_pct)
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "gelu";
  bool use_parallel_residual = true;
  bool attention_bias = true;  // query_key_value and dense carry biases
  bool tie_word_embeddings = false;
  RopeConfig rope;

  static GptNeoxConfig from_hf(const HfConfig& config);
};

ModelShape gpt_neox_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_gpt_neox(const LoadRequest& request);

}  // namespace icsweep
