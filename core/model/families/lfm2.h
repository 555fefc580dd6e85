// Lfm2ForCausalLM (transformers' modeling_lfm2.py; Liquid AI LFM2): per layer_types a gated short
// convolution (in_proj -> B, C, x; a causal depthwise conv of conv_L_cache taps over B·x; C times
// that; out_proj) or attention with per-head q/k RMSNorms before the rotary embedding (out_proj for
// o_proj), each followed by a SwiGLU feed_forward (w1 gate, w3 up, w2 down) whose width follows
// block_auto_adjust_ff_dim. Pre-norm (operator_norm, ffn_norm); the final norm is embedding_norm.
// Every RMSNorm (q/k included) uses norm_eps; a config's rms_norm_eps is not read by Lfm2.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Lfm2Config : DecoderConfig {
  std::vector<bool> attention_layers;  // (L): layer_types "full_attention" (else "conv")
  int64_t conv_kernel = 3;             // conv_L_cache
  bool conv_bias = false;              // in_proj, conv and out_proj of the short convolution

  // intermediate_size is the MLP's width as Lfm2MLP computes it: block_ff_dim (else
  // intermediate_size), with block_auto_adjust_ff_dim int(2f/3), then, with a
  // block_ffn_dim_multiplier, int(multiplier · f) rounded up to a multiple of block_multiple_of.
  static Lfm2Config from_hf(const HfConfig& config);
};

ModelShape lfm2_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_lfm2(const LoadRequest& request);

}  // namespace icsweep
