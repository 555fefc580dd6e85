#include "core/model/llama_like.h"

namespace icsweep {

void add_llama_layer_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const DecoderConfig& config,
                           const LlamaLayerBiases& biases, LlamaLayerWeights& layer) {
  const int64_t d = config.hidden_size;
  specs.push_back({prefix + "input_layernorm.weight", {d}, &layer.input_layernorm});
  specs.push_back({prefix + "post_attention_layernorm.weight", {d}, &layer.post_attention_layernorm});
  add_attention_specs(specs, prefix + "self_attn.", d, config.heads, biases.qkv, biases.o, layer.attn);
  add_swiglu_specs(specs, prefix + "mlp.", kProjNames, d, config.intermediate_size, layer.mlp, biases.mlp);
}

}  // namespace icsweep
