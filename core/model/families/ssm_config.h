// The torch-free half of the state-space and short-convolution mixers (Mamba-2 in Falcon-H1 and
// Granite 4, LFM2's gated short convolution): their dimensions as the config classes compute them,
// and what the exact FLOPs profile counts for them (LayerShape's Mamba-2 / short-conv block).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/config/hf_config.h"
#include "core/metrics/flops_shapes.h"

namespace icsweep {

// One Mamba-2 mixer: H heads of P channels (I = H·P), G groups of N state channels sharing B and C,
// a causal conv of kernel K over x, B and C, the SSD scan in chunks of Q, dt clamped to
// [dt_min, dt_max] (time_step_limit).
struct Mamba2Dims {
  int64_t heads = 0, head_dim = 0, groups = 1, state = 0, conv_kernel = 4, chunk = 256;
  double dt_min = 0.0, dt_max = std::numeric_limits<double>::infinity();
  int64_t intermediate() const { return heads * head_dim; }                   // I
  int64_t conv_dim() const { return intermediate() + 2 * groups * state; }    // x, B, C
  int64_t in_proj_dim() const { return intermediate() + conv_dim() + heads; }  // z, xBC, dt

  // mamba_n_heads, mamba_d_head ("auto" or absent: intermediate / heads), mamba_n_groups,
  // mamba_d_state, mamba_d_conv, mamba_chunk_size, time_step_limit. ModelError naming config.json
  // unless heads · head_dim = intermediate and the groups divide the heads.
  static Mamba2Dims from_hf(const HfConfig& config, int64_t intermediate);
};

// `base` (default: nothing else) with a Mamba-2 mixer for the exact profile: in_proj (D × in_proj_dim)
// and out_proj (I × D), the conv over conv_dim channels, the SSD scan. Its attention and MLP fields
// are kept (Falcon-H1 runs attention beside the mixer).
LayerShape mamba2_layer(int64_t hidden, const Mamba2Dims& dims, LayerShape base = {});

// LFM2's gated short convolution: in_proj (D × 3D), out_proj (D × D), a conv of `kernel` over D
// channels.
LayerShape short_conv_layer(int64_t hidden, int64_t kernel);

}  // namespace icsweep
