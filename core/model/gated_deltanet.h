// Gated DeltaNet (transformers' Qwen3_5GatedDeltaNet, Qwen3NextGatedDeltaNet with their torch
// fallbacks causal_conv1d_fn and torch_chunk_gated_delta_rule): the linear-attention layer of Qwen3.5
// and Qwen3-Next, parallel over the sequence in chunks of 64 with one sequential step per chunk.
//
// Padding: the scorer's batches are right-padded (causal_lm.h), so a sample's real tokens come before
// its pads. The conv is causal (zeros before position 0, per sample) and the delta rule's state starts
// at zero for every row and only runs forward, so no pad or other sample ever reaches a real token's
// output; pads' own outputs are never scored. (transformers zeroes pads' inputs with the attention
// mask for left padding; with right padding that changes no real token.)
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model/families/gated_deltanet_config.h"
#include "core/model/weights.h"

namespace icsweep {

// One layer's weights under "<layer>linear_attn.". The input projections are loaded as the Hub stores
// them and fused by fuse() into one (projection_rows, D) matrix with rows q | k | v | z | b | a (heads
// in order within each), so both layouts run the same forward.
struct GatedDeltaNetWeights {
  torch::Tensor in_proj_qkv, in_proj_z, in_proj_b, in_proj_a;  // Qwen3.5: (2K+V, D), (V, D), (Hv, D), (Hv, D)
  torch::Tensor in_proj_qkvz, in_proj_ba;  // Qwen3-Next: per key head [q k v z] rows, per key head [b a] rows
  torch::Tensor in_proj;                   // (2K + 2V + 2Hv, D) after fuse()
  torch::Tensor conv1d;                    // (2K + V, 1, taps) depthwise, no bias
  torch::Tensor dt_bias;                   // (Hv)
  torch::Tensor A_log;                     // (Hv)
  torch::Tensor norm;                      // (Dv) the gated RMSNorm's weight (plain, not zero-centred)
  torch::Tensor out_proj;                  // (D, V)
  void fuse(const GatedDeltaNetDims& dims);
};

// Appends prefix + the layer's rows ("in_proj_qkvz" / "in_proj_ba" with `next_layout`, else Qwen3.5's
// four projections; "conv1d.weight", "dt_bias", "A_log", "norm.weight", "out_proj.weight").
void add_gated_deltanet_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                              const GatedDeltaNetDims& dims, bool next_layout, GatedDeltaNetWeights& w);

// The layer on its normed input x (B, T, D) -> (B, T, D), in x's dtype; the delta rule in fp32.
// `eps`: the gated RMSNorm's (rms_norm_eps).
torch::Tensor gated_deltanet(const GatedDeltaNetWeights& w, const GatedDeltaNetDims& dims, const torch::Tensor& x,
                             double eps);

// The gated delta rule from a zero state, chunked (chunk `chunk`): q, k (B, T, H, Dk) (already
// repeated to the value heads), v (B, T, H, Dv), log-decay g and beta (B, T, H). q and k are
// L2-normalised and q scaled by Dk^-1/2 inside, everything in fp32. Returns (B, T, H, Dv) in v's dtype.
torch::Tensor chunk_gated_delta_rule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& g, const torch::Tensor& beta, int64_t chunk);

}  // namespace icsweep
