// Qwen2MoeForCausalLM (transformers' modeling_qwen2_moe.py; Qwen1.5-MoE, Qwen2-MoE): the Qwen2
// decoder (q/k/v biases, optional sliding windows) whose MLP is, on the sparse layers, a softmax
// top-k over num_experts SwiGLU experts (renormalised only with norm_topk_prob) plus one shared
// expert scaled by sigmoid(shared_expert_gate(x)). A layer is sparse when it is not listed in
// mlp_only_layers and (layer + 1) % decoder_sparse_step == 0; the others keep a dense SwiGLU MLP
// of intermediate_size.
#pragma once

#include <string>

#include "core/model/families/mixtral.h"

namespace icsweep {

// num_experts, moe_intermediate_size, shared_expert_intermediate_size, norm_topk_prob, qkv_bias
// (Hub configs omit it: true), decoder_sparse_step / mlp_only_layers, Qwen2's sliding windows.
struct Qwen2MoeConfig : SparseMoeConfig {
  static Qwen2MoeConfig from_hf(const HfConfig& config);
};

ModelShape qwen2_moe_shape(const HfConfig& config, const std::string& model_type);
// Sparse layers: mlp.gate, mlp.experts.<e>.{gate,up,down}_proj, mlp.shared_expert.*,
// mlp.shared_expert_gate; dense layers: mlp.{gate,up,down}_proj.
std::unique_ptr<CausalLM> load_qwen2_moe(const LoadRequest& request);

}  // namespace icsweep
