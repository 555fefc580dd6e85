// GptOssForCausalLM (transformers' modeling_gpt_oss.py): pre-norm decoder whose attention adds a
// learned per-head "sink" logit to every softmax row (then drops it), alternates sliding-window and
// full layers (layer_types), uses yarn rotary embeddings and biased q/k/v/o projections; the MLP is
// a biased top-k router (softmax over the selected logits) over fused experts with the clamped
// SwiGLU (gate/up columns interleaved). Expert matrices load from plain tensors or, as published,
// from MXFP4 *_blocks/*_scales (mxfp4.h), dequantized to the model dtype on load.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct GptOssConfig : DecoderConfig {  // intermediate_size: per expert
  int64_t num_experts = 0;
  int64_t top_k = 0;
  double swiglu_alpha = 1.702;
  double swiglu_limit = 7.0;
  bool attention_bias = true;
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention

  static GptOssConfig from_hf(const HfConfig& config);
};

ModelShape gpt_oss_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_gpt_oss(const LoadRequest& request);

}  // namespace icsweep
