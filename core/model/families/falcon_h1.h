// FalconH1ForCausalLM (transformers' modeling_falcon_h1.py): every layer runs a Mamba-2 mixer
// (core/model/mamba2.h) and Llama-style attention side by side on the same normed input and adds
// both to the residual, then a SwiGLU MLP (feed_forward). Its µP multipliers: the embeddings times
// embedding_multiplier, the logits times lm_head_multiplier; keys times key_multiplier; attention
// input/output times attention_in/out_multiplier; the mixer's input/output times
// ssm_in/out_multiplier and its in_proj output times ssm_multipliers per segment (z, x, B, C, dt:
// transformers' mup_vector); the MLP's gate projection times mlp_multipliers[0] before the SiLU and
// its output times mlp_multipliers[1]. The mixer's gated RMSNorm (mamba_rms_norm) normalises
// mamba_n_groups groups, before or after the gate (mamba_norm_before_gate); without it y·silu(z).
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"
#include "core/model/families/ssm_config.h"

namespace icsweep {

struct FalconH1Config : DecoderConfig {
  bool attention_bias = false, mlp_bias = false;
  bool projectors_bias = false;  // the mixer's out_proj bias
  bool mamba_proj_bias = false;  // the mixer's in_proj bias
  bool mamba_conv_bias = true;
  bool mamba_rms_norm = false, mamba_norm_before_gate = true;
  double embedding_multiplier = 1.0, lm_head_multiplier = 1.0, key_multiplier = 1.0;
  double attention_in_multiplier = 1.0, attention_out_multiplier = 1.0;
  double ssm_in_multiplier = 1.0, ssm_out_multiplier = 1.0;
  double gate_multiplier = 1.0, down_multiplier = 1.0;  // mlp_multipliers
  std::vector<double> ssm_multipliers{1.0, 1.0, 1.0, 1.0, 1.0};  // z, x, B, C, dt segments of in_proj
  Mamba2Dims mamba;  // intermediate = mamba_d_ssm, or mamba_expand · hidden_size when null

  static FalconH1Config from_hf(const HfConfig& config);
};

ModelShape falcon_h1_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_falcon_h1(const LoadRequest& request);

}  // namespace icsweep
