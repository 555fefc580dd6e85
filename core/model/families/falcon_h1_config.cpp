#include "core/model/families/falcon_h1.h"

#include "core/common/errors.h"

namespace icsweep {

FalconH1Config FalconH1Config::from_hf(const HfConfig& config) {
  FalconH1Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  require_silu_activation(config, "falcon_h1");
  c.attention_bias = config.get_bool("attention_bias", false);
  c.mlp_bias = config.get_bool("mlp_bias", false);
  c.projectors_bias = config.get_bool("projectors_bias", false);
  c.mamba_proj_bias = config.get_bool("mamba_proj_bias", false);
  c.mamba_conv_bias = config.get_bool("mamba_conv_bias", true);
  c.mamba_rms_norm = config.get_bool("mamba_rms_norm", false);
  c.mamba_norm_before_gate = config.get_bool("mamba_norm_before_gate", true);
  c.embedding_multiplier = config.get_double("embedding_multiplier");
  c.lm_head_multiplier = config.get_double("lm_head_multiplier");
  c.key_multiplier = config.get_double("key_multiplier");
  c.attention_in_multiplier = config.get_double("attention_in_multiplier");
  c.attention_out_multiplier = config.get_double("attention_out_multiplier");
  c.ssm_in_multiplier = config.get_double("ssm_in_multiplier");
  c.ssm_out_multiplier = config.get_double("ssm_out_multiplier");
  // FalconH1Config.__post_init__: None -> [1, 1] and [1, 1, 1, 1, 1].
  const auto mlp = config.get_doubles("mlp_multipliers");
  if (!mlp.empty() && mlp.size() != 2)
    throw ModelError(config.source() + ": mlp_multipliers should hold 2 values (gate, down), got " +
                     std::to_string(mlp.size()));
  if (mlp.size() == 2) c.gate_multiplier = mlp[0], c.down_multiplier = mlp[1];
  const auto ssm = config.get_doubles("ssm_multipliers");
  if (!ssm.empty() && ssm.size() != 5)
    throw ModelError(config.source() + ": ssm_multipliers should hold 5 values (z, x, B, C, dt), got " +
                     std::to_string(ssm.size()));
  if (ssm.size() == 5) c.ssm_multipliers = ssm;
  const int64_t intermediate =
      config.has("mamba_d_ssm") ? config.get_int("mamba_d_ssm") : config.get_int("mamba_expand") * c.hidden_size;
  c.mamba = Mamba2Dims::from_hf(config, intermediate);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape falcon_h1_shape(const HfConfig& config, const std::string&) {
  const auto c = FalconH1Config::from_hf(config);
  const LayerShape attention =
      attention_layer(c.hidden_size, c.heads, gated_mlp_weights(c.hidden_size, c.intermediate_size));
  const LayerShape layer = mamba2_layer(c.hidden_size, c.mamba, attention);  // side by side
  return model_shape(c.dims(), std::vector<LayerShape>(c.num_layers, layer));
}

}  // namespace icsweep
