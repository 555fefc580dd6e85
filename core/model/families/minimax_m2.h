// MiniMaxM2ForCausalLM (transformers' modeling_minimax_m2.py; MiniMax-M2, M2.1, M2.5): a pre-norm
// RMSNorm decoder with GQA attention whose queries and keys are RMS-normed over the whole
// projection (q_norm: H*Dh, k_norm: Hkv*Dh) before the heads are split, rotary on the first
// head_dim * partial_rotary_factor dims (rotate_half halves), and on every layer a sparse MoE block
// (block_sparse_moe): router logits in the model dtype, sigmoid in fp32, the top num_experts_per_tok
// chosen on the scores plus e_score_correction_bias, weights the chosen scores over their sum;
// SwiGLU experts (w1 gate, w3 up, w2 down) of intermediate_size. No shared expert, no biases.
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct MinimaxM2Config : DecoderConfig {
  int64_t rotary_dim = 0;   // int(head_dim * partial_rotary_factor), else the remote code's rotary_dim
  int64_t num_experts = 0;  // num_local_experts
  int64_t top_k = 0;        // num_experts_per_tok

  static MinimaxM2Config from_hf(const HfConfig& config);
  // What the loader needs beyond the shape: ModelError naming config.json for a quantization_config,
  // or for a "rotary_dim" that disagrees with partial_rotary_factor.
  void check_loadable(const HfConfig& config) const;
};

ModelShape minimax_m2_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_minimax_m2(const LoadRequest& request);

}  // namespace icsweep
