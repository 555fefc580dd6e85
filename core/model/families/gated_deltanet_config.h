// Gated DeltaNet, the linear-attention layer of Qwen3.5 and Qwen3-Next (transformers'
// Qwen3_5GatedDeltaNet / Qwen3NextGatedDeltaNet; the model side is core/model/gated_deltanet.h): its
// dimensions as config.json gives them, which layers are linear, and what the exact FLOPs profile
// counts for one such layer. Torch-free (icsweep_families).
#pragma once

#include <cstdint>
#include <vector>

#include "core/config/hf_config.h"
#include "core/metrics/flops_shapes.h"

namespace icsweep {

// linear_num_key_heads (Hk) query/key heads of linear_key_head_dim (Dk), linear_num_value_heads (Hv)
// value heads of linear_value_head_dim (Dv), Hv a multiple of Hk (each query/key head serves Hv / Hk
// value heads); a depthwise causal conv of linear_conv_kernel_dim taps over q, k and v.
struct GatedDeltaNetDims {
  static constexpr int64_t kChunk = 64;  // chunk length of the chunked delta rule (transformers' default)

  int64_t key_heads = 0, value_heads = 0, key_head_dim = 0, value_head_dim = 0, conv_kernel = 0;

  int64_t key_dim() const { return key_heads * key_head_dim; }        // K = Hk·Dk
  int64_t value_dim() const { return value_heads * value_head_dim; }  // V = Hv·Dv
  int64_t conv_dim() const { return 2 * key_dim() + value_dim(); }    // q | k | v channels
  // Rows of the input projections together: q, k, v (conv_dim), the output gate z (V), b and a (Hv each).
  int64_t projection_rows() const { return conv_dim() + value_dim() + 2 * value_heads; }

  // ModelError naming config.json and the key unless every dim is positive and Hk divides Hv.
  static GatedDeltaNetDims from_hf(const HfConfig& config);
};

// (L) true for a "linear_attention" layer: config.json layer_types when present (ModelError naming the
// key for a wrong count or a type other than linear_attention / full_attention), else every
// full_attention_interval-th layer (1-based, default 4) full attention and the others linear.
std::vector<bool> linear_attention_layers(const HfConfig& config, int64_t num_layers);

// One Gated DeltaNet layer for the exact profile: its projections (in: D·(2K + 2V + 2Hv), out: V·D)
// as the layer's attention_weights, the conv and the chunked delta rule in LayerShape's Gated
// DeltaNet fields (heads 0: no softmax attention), and `mlp_weights`.
LayerShape gated_deltanet_layer(int64_t hidden, const GatedDeltaNetDims& dims, int64_t mlp_weights);

}  // namespace icsweep
