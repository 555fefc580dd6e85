#include "core/model/families/stablelm.h"

#include "core/common/errors.h"

namespace icsweep {

StableLmConfig StableLmConfig::from_hf(const HfConfig& config) {
  StableLmConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.heads.head_dim = c.hidden_size / c.heads.num_heads;  // StableLmAttention ignores any head_dim key
  if (c.heads.head_dim * c.heads.num_heads != c.hidden_size)
    throw ModelError(config.source() + ": hidden_size (" + std::to_string(c.hidden_size) +
                     ") must be divisible by num_attention_heads (" + std::to_string(c.heads.num_heads) + ")");
  c.layer_norm_eps = config.get_double("layer_norm_eps", 1e-5);
  c.use_qkv_bias = config.get_bool("use_qkv_bias", false);
  c.qk_layernorm = config.get_bool("qk_layernorm", false);
  c.use_parallel_residual = config.get_bool("use_parallel_residual", false);
  c.hidden_act = config.get_string("hidden_act", "silu");
  if (!activation_supported(c.hidden_act))
    throw ModelError(config.source() + ": key 'hidden_act' is '" + c.hidden_act + "', which icsweep does not implement");
  // StableLmConfig: partial_rotary_factor 0.25 unless given.
  c.rope = RopeConfig::from_hf(config, partial_rotary_dims(config, c.heads.head_dim, 0.25));
  return c;
}

ModelShape stablelm_shape(const HfConfig& config, const std::string&) {
  const auto c = StableLmConfig::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
