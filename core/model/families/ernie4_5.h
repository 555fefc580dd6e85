// Ernie4_5ForCausalLM (transformers' modeling_ernie4_5.py; Baidu ERNIE 4.5 dense, 0.3B): the Llama
// decoder with one use_bias switch for every projection (q/k/v/o and gate/up/down), an explicit
// head_dim (class default 128), rope_theta 500000 when the config names none, and GLM's rotary
// layout: adjacent pairs (x0, x1), (x2, x3), ... rotate at frequency i, computed in fp32 from fp32
// cos/sin and cast back (Ernie4_5's apply_rotary_pos_emb).
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Ernie4_5Config : DecoderConfig {
  bool use_bias = false;  // every linear of the layer carries a bias

  static Ernie4_5Config from_hf(const HfConfig& config);
};

// The rope of an ERNIE 4.5 config over `head_dim` dims: RopeConfig::from_hf, with the class's
// default_theta (500000) where neither rope_theta nor the rope object's rope_theta is given.
RopeConfig ernie4_5_rope(const HfConfig& config, int64_t head_dim);

ModelShape ernie4_5_shape(const HfConfig& config, const std::string& model_type);
// Llama's tensor names (core/model/llama_like.h).
std::unique_ptr<CausalLM> load_ernie4_5(const LoadRequest& request);

}  // namespace icsweep
