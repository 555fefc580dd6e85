// MixtralForCausalLM (transformers' modeling_mixtral.py): the Mistral decoder (RMSNorm, rotary GQA
// attention, optional sliding window on every layer) with a sparse MoE block instead of the MLP:
// block_sparse_moe.gate routes each token to num_experts_per_tok of num_local_experts SwiGLU
// experts (w1 gate, w3 up, w2 down); softmax over all experts, top-k, renormalised over the k.
// Its config struct is also Qwen2-MoE's and Qwen3-MoE's (transformers copies Mixtral's block).
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

// A decoder whose MLP is, on its sparse layers, a softmax top-k over SwiGLU experts (Mixtral and the
// Qwen MoE models).
struct SparseMoeConfig : DecoderConfig {
  int64_t num_experts = 0;
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;            // per expert
  int64_t shared_expert_intermediate_size = 0;  // 0: none (Qwen2-MoE has one, gated by sigmoid)
  bool norm_topk_prob = false;                  // renormalise the top-k weights
  bool qkv_bias = false, o_bias = false;        // attention biases
  bool qk_norm = false;                         // per-head q_norm / k_norm (Qwen3-MoE)
  std::vector<int64_t> sliding_window;          // per layer; 0 = full causal attention
  std::vector<bool> sparse;                     // per layer: MoE block (true) or dense MLP
};

struct MixtralConfig : SparseMoeConfig {
  static MixtralConfig from_hf(const HfConfig& config);
};

ModelShape sparse_moe_shape(const SparseMoeConfig& config);

ModelShape mixtral_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_mixtral(const LoadRequest& request);

}  // namespace icsweep
