// Phi3ForCausalLM (transformers' modeling_phi3.py): the Llama decoder with fused projections
// (qkv_proj = [q | k | v], gate_up_proj = [gate | up]), optional partial rotary, an optional
// sliding window, and LongRoPE scaling (rope_type "longrope"; "su"/"yarn" in old Phi-3 configs):
// per-frequency short_factor / long_factor divisors, the long ones used when the batch is longer
// than original_max_position_embeddings, and cos/sin scaled by the attention factor.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Phi3LongRope {
  bool enabled = false;
  std::vector<double> short_factor, long_factor;  // (Dr / 2) each
  int64_t original_max_position_embeddings = 0;
  double attention_factor = 1.0;
};

struct Phi3Config : DecoderConfig {
  int64_t sliding_window = 0;  // 0 = full causal attention
  // rope.dim = int(head_dim * partial_rotary_factor)
  Phi3LongRope longrope;

  static Phi3Config from_hf(const HfConfig& config);
};

ModelShape phi3_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_phi3(const LoadRequest& request);

}  // namespace icsweep
