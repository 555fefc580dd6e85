#include "core/model/families/smollm3.h"

#include "core/common/errors.h"

namespace icsweep {

SmolLM3Config SmolLM3Config::from_hf(const HfConfig& config) {
  SmolLM3Config c;
  static_cast<LlamaConfig&>(c) = LlamaConfig::from_hf(config, "llama");  // attention_bias, mlp_bias, rope
  const auto listed = config.get_ints("no_rope_layers");
  if (listed.empty()) {
    const int64_t interval = config.get_int("no_rope_layer_interval", 4);
    if (interval <= 0) throw ModelError(config.source() + ": key 'no_rope_layer_interval' must be positive");
    for (int64_t i = 0; i < c.num_layers; ++i) c.use_rope.push_back((i + 1) % interval != 0);
  } else {
    if (static_cast<int64_t>(listed.size()) != c.num_layers)
      throw ModelError(config.source() + ": key 'no_rope_layers' has " + std::to_string(listed.size()) +
                       " entries for " + std::to_string(c.num_layers) + " layers");
    for (int64_t flag : listed) c.use_rope.push_back(flag != 0);
  }
  // SmolLM3Config: with use_sliding_window, the layers typed sliding_attention (by default the NoPE ones).
  if (config.get_bool("use_sliding_window", false) && config.has("sliding_window")) {
    const int64_t window = config.get_int("sliding_window");
    auto types = config.get_strings("layer_types");
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const bool sliding = types.empty() ? !c.use_rope[i] : types.at(i) == "sliding_attention";
      c.sliding_window[i] = sliding ? window : 0;
    }
  }
  return c;
}

ModelShape smollm3_shape(const HfConfig& config, const std::string&) {
  return llama_like_shape(SmolLM3Config::from_hf(config));
}

}  // namespace icsweep
