#include "core/model/families/hunyuan_dense.h"

#include <cmath>

#include "core/common/errors.h"

namespace icsweep {

RopeConfig hunyuan_rope(const HfConfig& config, int64_t head_dim) {
  // The rope object: rope_parameters (transformers 5) or rope_scaling (published configs:
  // {"type": "dynamic", "alpha": 1000.0, "factor": 1.0, ...}).
  const auto params = rope_object(config);
  const std::string type = params ? params->get_string("rope_type", params->get_string("type", "default")) : "default";
  const double alpha = params ? params->get_double("alpha", 0.0) : 0.0;
  if (type != "dynamic" || alpha == 0.0) return RopeConfig::from_hf(config, head_dim);
  // HunYuan*RotaryEmbedding's DynamicNTKAlpha: a fixed base, independent of the length.
  const double dim = static_cast<double>(head_dim);
  RopeConfig rope;
  rope.dim = head_dim;
  rope.max_position_embeddings = config.get_int("max_position_embeddings", 2048);
  rope.theta = params->get_double("rope_theta", config.get_double("rope_theta", 10000.0)) *
               std::pow(alpha, dim / (dim - 2.0));
  return rope;
}

HunyuanDenseConfig HunyuanDenseConfig::from_hf(const HfConfig& config) {
  HunyuanDenseConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  require_silu_activation(config, config.model_type());  // hunyuan_v1_dense or hunyuan_v1_moe
  // Remote-code options that transformers' HunYuan V1 classes do not implement.
  if (config.get_bool("use_cla", false))
    throw ModelError(config.source() + ": key 'use_cla' is true (cross-layer attention), which neither transformers' "
                     "HunYuan V1 nor icsweep implements");

  c.rope = hunyuan_rope(config, c.heads.head_dim);
  return c;
}

ModelShape hunyuan_dense_shape(const HfConfig& config, const std::string&) {
  const auto c = HunyuanDenseConfig::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
