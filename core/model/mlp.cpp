#include "core/model/mlp.h"

#include "core/model/layers.h"

namespace icsweep {

void SwigluWeights::fuse_gate_up() {
  fuse_rows({&gate, &up}, gate_up);
  fuse_rows({&gate_bias, &up_bias}, gate_up_bias);
}

torch::Tensor swiglu(const torch::Tensor& x, const SwigluWeights& w) {
  if (w.gate_up.defined()) return linear(silu_mul(linear(x, w.gate_up, w.gate_up_bias)), w.down, w.down_bias);
  return linear(torch::silu(linear(x, w.gate, w.gate_bias)) * linear(x, w.up, w.up_bias), w.down, w.down_bias);
}

torch::Tensor gated_mlp(const torch::Tensor& x, const SwigluWeights& w, const std::string& activation_name) {
  if (activation_name == "silu") return swiglu(x, w);
  torch::Tensor gate, up;  // (..., F) each
  if (w.gate_up.defined()) {
    auto parts = linear(x, w.gate_up, w.gate_up_bias).chunk(2, -1);
    gate = parts[0], up = parts[1];
  } else {
    gate = linear(x, w.gate, w.gate_bias), up = linear(x, w.up, w.up_bias);
  }
  return linear(activation(activation_name, gate) * up, w.down, w.down_bias);
}

void add_swiglu_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, SwigluWeights& w, bool bias) {
  specs.push_back({prefix + names.gate + ".weight", {intermediate, hidden}, &w.gate});
  specs.push_back({prefix + names.up + ".weight", {intermediate, hidden}, &w.up});
  specs.push_back({prefix + names.down + ".weight", {hidden, intermediate}, &w.down});
  if (!bias) return;
  specs.push_back({prefix + names.gate + ".bias", {intermediate}, &w.gate_bias});
  specs.push_back({prefix + names.up + ".bias", {intermediate}, &w.up_bias});
  specs.push_back({prefix + names.down + ".bias", {hidden}, &w.down_bias});
}

void add_expert_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, int64_t num_experts, std::vector<SwigluWeights>& experts) {
  experts.resize(num_experts);
  for (int64_t e = 0; e < num_experts; ++e)
    add_swiglu_specs(specs, prefix + std::to_string(e) + ".", names, hidden, intermediate, experts[e]);
}

}  // namespace icsweep
