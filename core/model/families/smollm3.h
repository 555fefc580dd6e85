// SmolLM3ForCausalLM (transformers' modeling_smollm3.py): the Llama decoder (q/k/v/o bias
// attention_bias, MLP bias mlp_bias) where the layers listed 0 in no_rope_layers skip the rotary
// embedding (NoPE; by default every no_rope_layer_interval-th layer), and, with use_sliding_window,
// the layers typed sliding_attention attend within sliding_window.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/llama.h"

namespace icsweep {

struct SmolLM3Config : LlamaConfig {
  std::vector<bool> use_rope;  // (L) no_rope_layers[i] != 0

  static SmolLM3Config from_hf(const HfConfig& config);
};

ModelShape smollm3_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_smollm3(const LoadRequest& request);

}  // namespace icsweep
