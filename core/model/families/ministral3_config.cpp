#include "core/model/families/ministral3.h"

#include "core/common/errors.h"

namespace icsweep {

Ministral3Config Ministral3Config::from_hf(const HfConfig& config) {
  const std::string type = config.model_type();
  if (type != "ministral3" && type != "mistral")
    throw ModelError(config.source() + ": the Mistral 3 language model must be of model_type ministral3 or mistral, not '" +
                     type + "'");
  Ministral3Config c;
  static_cast<LlamaConfig&>(c) = LlamaConfig::from_hf(config, "mistral");
  const auto rope = rope_object(config);
  if (rope && rope->has("llama_4_scaling_beta")) {
    c.query_scale_beta = rope->get_double("llama_4_scaling_beta");
    c.query_scale_original_max = rope->get_int("original_max_position_embeddings");
    if (c.query_scale_original_max <= 0)
      throw ModelError(config.source() + ": rope_parameters.original_max_position_embeddings must be positive");
  } else if (!rope && type == "ministral3") {
    // Ministral3Config.__post_init__'s rope_parameters when config.json has none (mscale = mscale_all_dim:
    // attention factor 1).
    c.rope.type = "yarn";
    c.rope.theta = 1000000.0;
    c.rope.factor = 16.0;
    c.rope.original_max_position_embeddings = c.query_scale_original_max = 16384;
    c.rope.beta_fast = 32.0;
    c.rope.beta_slow = 1.0;
    c.rope.attention_factor = 1.0;
    c.query_scale_beta = 0.1;
  }
  return c;
}

ModelShape ministral3_shape(const HfConfig& config, const std::string&) {
  return llama_like_shape(Ministral3Config::from_hf(config));
}

}  // namespace icsweep
