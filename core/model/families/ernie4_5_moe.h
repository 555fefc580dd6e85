// Ernie4_5_MoeForCausalLM (transformers' modeling_ernie4_5_moe.py; ERNIE-4.5-21B-A3B, -300B-A47B):
// a Llama-style pre-norm RMSNorm decoder whose q/k/v/o, dense MLPs, shared experts and output head
// all carry a bias with use_bias; rotary on adjacent pairs (x0, x1), (x2, x3), ... over the whole
// head, in fp32 (GLM's layout). Layer i holds an MoE block when (i + 1) % moe_layer_interval == 0
// and moe_layer_start_index <= i <= moe_layer_end_index (-1: the last layer), else a dense SwiGLU
// MLP of intermediate_size. The MoE block: an fp32 router (mlp.gate), softmax over the experts,
// top-k chosen on the probabilities plus moe_statics.e_score_correction_bias, the chosen
// probabilities renormalised by max(sum, moe_norm_min); moe_k SwiGLU experts of
// moe_intermediate_size (no bias) plus moe_num_shared_experts folded into one shared SwiGLU.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Ernie45MoeConfig : DecoderConfig {
  bool use_bias = false;  // q/k/v/o, dense and shared MLPs, lm_head
  int64_t num_experts = 0;  // moe_num_experts
  int64_t top_k = 0;        // moe_k
  int64_t moe_intermediate_size = 0;
  int64_t num_shared_experts = 0;  // moe_num_shared_experts
  double moe_norm_min = 1e-12;
  std::vector<bool> sparse;  // (L): MoE block (true) or dense MLP

  static Ernie45MoeConfig from_hf(const HfConfig& config);
};

ModelShape ernie4_5_moe_shape(const HfConfig& config, const std::string& model_type);
// Llama's names (biases with use_bias, lm_head.bias too); MoE layers: mlp.gate.weight,
// mlp.moe_statics.e_score_correction_bias (1, E), mlp.experts.<e>.*, mlp.shared_experts.*.
std::unique_ptr<CausalLM> load_ernie4_5_moe(const LoadRequest& request);

}  // namespace icsweep
