// MLP blocks with the Hub's tensor names: the gated MLP of a dense layer, a routed or a shared
// expert (gate and up as one GEMM once fused, then the fused SiLU x up).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model/weights.h"

namespace icsweep {

// One SiLU-gated MLP: down(silu(x gate^T + b_g) * (x up^T + b_u)) + b_d (a dense layer's MLP, a
// routed or a shared expert). Biases are optional. fuse_gate_up() concatenates gate and up into
// gate_up (gate rows first, as GLM stores it) and releases them.
struct SwigluWeights {
  torch::Tensor gate, gate_bias;        // (F, D), (F)
  torch::Tensor up, up_bias;            // (F, D), (F)
  torch::Tensor gate_up, gate_up_bias;  // (2F, D), (2F)
  torch::Tensor down, down_bias;        // (D, F), (D)
  void fuse_gate_up();
};

// x: (..., D) -> (..., D); one GEMM for gate and up once fused.
torch::Tensor swiglu(const torch::Tensor& x, const SwigluWeights& w);

// The same gate with another activation (transformers' ACT2FN name, e.g. gelu_pytorch_tanh for
// Gemma): down(act(x gate^T) * (x up^T)); "silu" is swiglu(). x: (..., D) -> (..., D).
torch::Tensor gated_mlp(const torch::Tensor& x, const SwigluWeights& w, const std::string& activation_name);

// The Hub's tensor names of one SwiGLU MLP: gate_proj/up_proj/down_proj almost everywhere,
// w1/w3/w2 in Mixtral's block_sparse_moe experts (and InternLM2's feed_forward).
struct SwigluNames {
  const char* gate;
  const char* up;
  const char* down;
};
inline constexpr SwigluNames kProjNames{"gate_proj", "up_proj", "down_proj"};
inline constexpr SwigluNames kMixtralExpertNames{"w1", "w3", "w2"};

// Appends prefix + "<name>.weight" for the three matrices of `w` (D = hidden, F = intermediate),
// and "<name>.bias" rows when `bias`. `w` must not move afterwards (the specs point into it).
void add_swiglu_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, SwigluWeights& w, bool bias = false);

// E experts under prefix + "<e>." (D = hidden, F = intermediate); `experts` is resized to E first.
void add_expert_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, int64_t num_experts, std::vector<SwigluWeights>& experts);

}  // namespace icsweep
