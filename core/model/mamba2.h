// Mamba-2's mixer (transformers' Mamba2Mixer torch_forward, as FalconH1Mixer and
// GraniteMoeHybridMambaLayer copy it), written once for the hybrid families: in_proj -> (gate z,
// xBC, dt); causal depthwise conv1d + SiLU over xBC; the state-space-duality scan in chunks of
// `chunk_size`, parallel over the sequence, in fp32 whatever the model dtype; the D skip; a gated
// RMSNorm (or a plain SiLU gate); out_proj.
//
// Padding: icsweep's batches are right-padded (core/model/causal_lm.h) and everything here is
// causal (the conv looks back only, the scan carries state forward only, from zero per row), so a
// padded position never reaches a real token of its row. transformers' apply_mask_to_padding_states
// zeroes padded positions for left padding; on the right it changes only the padded outputs, which
// scoring discards.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "core/model/families/ssm_config.h"
#include "core/model/weights.h"

namespace icsweep {

// One Mamba-2 mixer's weights under "<layer>mamba.".
struct Mamba2Weights {
  torch::Tensor in_proj, in_proj_bias;    // (I + conv_dim + H, D), optional bias
  torch::Tensor conv1d, conv1d_bias;      // (conv_dim, 1, K), optional (conv_dim)
  torch::Tensor dt_bias, A_log, D;        // (H) each
  torch::Tensor norm;                     // (I): the gated RMSNorm's weight; undefined: plain SiLU gate
  torch::Tensor out_proj, out_proj_bias;  // (D, I), optional (D)
};

// Appends prefix + "in_proj.weight" (+ ".bias" when `in_bias`), "conv1d.weight" (+ bias when
// `conv_bias`), "dt_bias", "A_log", "D", "norm.weight" when `gated_norm`, "out_proj.weight" (+ bias
// when `out_bias`). `w` must not move afterwards.
void add_mamba2_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden, const Mamba2Dims& dims,
                      bool in_bias, bool conv_bias, bool out_bias, bool gated_norm, Mamba2Weights& w);

// Causal depthwise conv1d over time (nn.Conv1d with groups = channels, padding K - 1, the first T
// outputs), in the weight's dtype, cast back to x's. x: (B, T, C); weight: (C, 1, K) or (C, K);
// bias: (C) or undefined. (B, T, C).
torch::Tensor causal_depthwise_conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// The SSD scan (transformers' mamba2_chunk_scan torch fallback) with dt = clamp(softplus(dt +
// dt_bias), dt_min, dt_max) in dt's dtype, then everything in fp32: x (B, T, H, P), dt (B, T, H),
// A (H) fp32 (= -exp(A_log)), Bm/Cm (B, T, G, N) with G dividing H, D (H). Zero initial state.
// Returns y (B, T, H, P) fp32.
torch::Tensor mamba2_chunk_scan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                                const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& D,
                                const torch::Tensor& dt_bias, const Mamba2Dims& dims);

// How a family finishes the mixer after the scan, and what it does to the projection.
struct Mamba2Options {
  torch::Tensor in_proj_scale;    // (I + conv_dim + H): multiplies the in_proj output (Falcon-H1's mup_vector); undefined: none
  int64_t norm_groups = 1;        // the gated RMSNorm normalises each of these groups of I / groups channels
  bool norm_before_gate = false;  // RMSNorm(y) * silu(z) instead of RMSNorm(y * silu(z))
  double eps = 1e-6;
};

// The whole mixer on its (normed) input h (B, T, D) -> (B, T, D) in h's dtype.
torch::Tensor mamba2_mixer(const Mamba2Weights& w, const Mamba2Dims& dims, const Mamba2Options& options,
                           const torch::Tensor& h);

}  // namespace icsweep
