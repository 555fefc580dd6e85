// Qwen3MoeForCausalLM (transformers' modeling_qwen3_moe.py): the Qwen3 decoder (per-head q/k
// RMSNorm before rotary, explicit head_dim, optional attention biases) whose MLP is, on the sparse
// layers, a softmax top-k over the experts, renormalised with norm_topk_prob; no shared expert.
// Sparse layers as Qwen2-MoE (mlp_only_layers, decoder_sparse_step); the others keep a dense
// SwiGLU MLP of intermediate_size. The expert count is "num_experts" in Hub configs and
// "num_local_experts" in configs transformers 5 saved.
#pragma once

#include <string>

#include "core/model/families/mixtral.h"

namespace icsweep {

// num_experts (num_local_experts as transformers 5 saves it), moe_intermediate_size, norm_topk_prob,
// attention_bias on q/k/v/o, sliding_window on every layer with use_sliding_window.
struct Qwen3MoeConfig : SparseMoeConfig {
  static Qwen3MoeConfig from_hf(const HfConfig& config);
};

ModelShape qwen3_moe_shape(const HfConfig& config, const std::string& model_type);
// Qwen3's self_attn (with q_norm / k_norm); sparse layers: mlp.gate, mlp.experts.<e>.*.
std::unique_ptr<CausalLM> load_qwen3_moe(const LoadRequest& request);

}  // namespace icsweep
