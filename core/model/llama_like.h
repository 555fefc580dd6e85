// The Llama layer's weight table for the families that keep Llama's tensor names but not its
// forward (Granite's multipliers, SmolLM3's NoPE layers, ERNIE 4.5's interleaved rotary): per layer
// input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm and mlp.{gate,up,down}_proj,
// each group with a bias where the family's config has one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/llama.h"

namespace icsweep {

struct LlamaLayerBiases {
  bool qkv = false;  // self_attn.{q,k,v}_proj.bias
  bool o = false;    // self_attn.o_proj.bias
  bool mlp = false;  // mlp.{gate,up,down}_proj.bias
};

// Appends one layer's rows under `prefix` ("model.layers.<i>."), D = hidden_size, F =
// intermediate_size, the heads of `config`. `layer` must not move afterwards.
void add_llama_layer_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const DecoderConfig& config,
                           const LlamaLayerBiases& biases, LlamaLayerWeights& layer);

// load_decoder() with that table for every layer: a Model over LlamaLayerWeights, loaded as `family`.
template <typename Model, typename Config>
std::unique_ptr<CausalLM> load_llama_like(const LoadRequest& request, const Config& config, const std::string& family,
                                          const LlamaLayerBiases& biases) {
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, LlamaLayerWeights& l) {
    add_llama_layer_specs(specs, p, config, biases, l);
  };
  return load_decoder<Model>(request, config, family, add_layer);
}

}  // namespace icsweep
