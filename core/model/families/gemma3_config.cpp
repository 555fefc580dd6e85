#include "core/model/families/gemma3.h"

#include "core/common/errors.h"
#include "core/model/families/layer_type_config.h"

namespace icsweep {

Gemma3Config Gemma3Config::from_hf(const HfConfig& config) {
  Gemma3Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.query_pre_attn_scalar = config.get_double("query_pre_attn_scalar", 256);
  c.attn_logit_softcapping = config.get_double("attn_logit_softcapping", 0.0);
  c.final_logit_softcapping = config.get_double("final_logit_softcapping", 0.0);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.sliding_window = config.get_int("sliding_window", 4096);
  c.hidden_activation = config.get_string("hidden_activation", config.get_string("hidden_act", "gelu_pytorch_tanh"));
  if (!activation_supported(c.hidden_activation))
    throw ModelError(config.source() + ": key 'hidden_activation' is '" + c.hidden_activation +
                     "', which icsweep does not implement");
  if (config.get_bool("use_bidirectional_attention", false))
    throw ModelError(config.source() + ": key 'use_bidirectional_attention' is true (an encoder, e.g. EmbeddingGemma); "
                     "icsweep scores causal language models only");

  c.sliding = sliding_layers(config, c.num_layers, /*default_pattern=*/6);
  // Earlier configs: rope_theta + rope_scaling for the global layers, rope_local_base_freq for the
  // local ones, which never scale.
  const auto ropes = rope_per_layer_type(config, c.heads.head_dim, 1000000.0, "rope_local_base_freq", 10000.0);
  c.rope_full = ropes.full;
  c.rope_sliding = ropes.sliding;
  return c;
}

ModelShape gemma3_shape(const HfConfig& config, const std::string&) {
  const auto c = Gemma3Config::from_hf(config);
  std::vector<int64_t> windows;
  for (bool sliding : c.sliding) windows.push_back(sliding ? c.sliding_window : 0);
  return gated_decoder_shape(c.dims(), c.heads, windows);
}

}  // namespace icsweep
