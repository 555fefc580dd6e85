// GraniteForCausalLM (transformers' modeling_granite.py; IBM Granite 3.x dense): the Llama decoder
// with four scalar multipliers: the token embeddings times embedding_multiplier, each sub-block's
// output times residual_multiplier before its residual add, attention_multiplier as the softmax
// scale (instead of head_dim^-0.5), and the logits divided by logits_scaling. Biases: q/k/v/o
// (attention_bias) and the MLP (mlp_bias).
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

// GraniteConfig's keys. transformers 5.17's hf_config_schema.json has no granite entry (the schema
// generator does not list it), so the fallbacks below are GraniteConfig's class defaults.
struct GraniteConfig : DecoderConfig {
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  bool mlp_bias = false;        // gate/up/down projections carry a bias
  double embedding_multiplier = 1.0;
  double residual_multiplier = 1.0;
  double attention_multiplier = 1.0;  // the softmax scale
  double logits_scaling = 1.0;        // logits = lm_head(h) / logits_scaling

  static GraniteConfig from_hf(const HfConfig& config);
};

ModelShape granite_shape(const HfConfig& config, const std::string& model_type);
// Llama's tensor names (core/model/llama_like.h).
std::unique_ptr<CausalLM> load_granite(const LoadRequest& request);

}  // namespace icsweep
