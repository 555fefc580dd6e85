#include "core/model/moe.h"

#include <algorithm>
#include <atomic>
#include <iostream>

#include "core/common/errors.h"
#include "core/common/torch_compat.h"
#include "core/model/fp8_store.h"
#include "core/model/fused_ops.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

// Zeroes the scores of every expert outside the `topk_group` best groups (transformers'
// masked_fill(~score_mask, 0.0)). scores: (N, E); group_scores: (N, G) with E % G == 0.
torch::Tensor keep_top_groups(const torch::Tensor& scores, const torch::Tensor& group_scores, int64_t topk_group) {
  const int64_t n = scores.size(0), e = scores.size(1), g = group_scores.size(1);
  auto group_idx = std::get<1>(group_scores.topk(topk_group, -1, /*largest=*/true, /*sorted=*/false));  // (N, Kg)
  auto group_mask = torch::zeros_like(group_scores).scatter_(1, group_idx, 1.0);                         // (N, G)
  auto keep = group_mask.unsqueeze(-1).expand({n, g, e / g}).reshape({n, e}) != 0;                       // (N, E)
  return scores.masked_fill(keep.logical_not(), 0.0);
}

}  // namespace

torch::Tensor grouped_experts(const torch::Tensor& x, const torch::Tensor& topk_ids, const torch::Tensor& topk_weights,
                              int64_t num_experts, int64_t out_dim, const ExpertFn& expert) {
  const int64_t k = topk_ids.size(1);
  auto flat_ids = topk_ids.reshape({-1});                             // (N*K)
  auto order = flat_ids.argsort(/*stable=*/true);                     // (N*K) slots grouped by expert
  auto token_of_slot = order.div(k, "floor");                         // (N*K) token row of each slot
  auto weights = topk_weights.reshape({-1}).index_select(0, order);   // (N*K)
  // One device->host transfer for the group sizes.
  auto counts = torch::bincount(flat_ids, /*weights=*/{}, num_experts).to(torch::kCPU);  // (E)
  const auto* count = counts.data_ptr<int64_t>();
  auto out = torch::zeros({x.size(0), out_dim}, x.options());        // (N, D_out)
  int64_t start = 0;
  for (int64_t e = 0; e < num_experts; ++e) {
    const int64_t n = count[e];
    if (n == 0) continue;
    auto rows = token_of_slot.narrow(0, start, n);                    // (n_e)
    auto y = expert(e, x.index_select(0, rows));                      // (n_e, D_out)
    y = y * weights.narrow(0, start, n).unsqueeze(1);                 // promoted dtype
    out.index_add_(0, rows, y.to(x.scalar_type()));
    start += n;
  }
  return out;
}

Routing softmax_topk_routing(const torch::Tensor& x, const torch::Tensor& gate, int64_t top_k, bool renormalize) {
  auto logits = torch::matmul(x, gate.t());                 // (N, E) model dtype
  auto probs = torch::softmax(logits.to(torch::kFloat32), -1);
  auto [weights, ids] = probs.topk(top_k, -1);              // (N, K) each
  if (renormalize) weights = weights / weights.sum(-1, /*keepdim=*/true);
  return {ids, weights.to(logits.scalar_type())};
}

Routing softmax_group_routing(const torch::Tensor& x, const torch::Tensor& gate, int64_t top_k, int64_t n_group,
                              int64_t topk_group, double scaling) {
  auto probs = torch::softmax(torch::matmul(x.to(torch::kFloat32), gate.to(torch::kFloat32).t()), -1);  // (N, E)
  if (n_group > 1) {
    auto group_best = std::get<0>(probs.view({probs.size(0), n_group, -1}).max(-1));  // (N, G)
    probs = keep_top_groups(probs, group_best, topk_group);
  }
  auto [weights, ids] = probs.topk(top_k, -1, /*largest=*/true, /*sorted=*/false);  // (N, K)
  return {ids, weights * scaling};
}

Routing biased_group_topk(const torch::Tensor& scores, const torch::Tensor& bias, int64_t top_k, int64_t n_group,
                          int64_t topk_group, bool renormalize, double scaling) {
  auto choice = bias.defined() ? scores + bias.unsqueeze(0) : scores;                                  // (N, E)
  if (n_group > 1) {
    auto grouped = choice.view({choice.size(0), n_group, -1});                                         // (N, G, E/G)
    const int64_t best = std::min<int64_t>(2, grouped.size(-1));
    auto group_scores = std::get<0>(grouped.topk(best, -1)).sum(-1);                                   // (N, G)
    choice = keep_top_groups(choice, group_scores, topk_group);
  }
  auto ids = std::get<1>(choice.topk(top_k, -1, /*largest=*/true, /*sorted=*/false));  // (N, K)
  auto weights = scores.gather(1, ids);                                                  // (N, K)
  if (renormalize) weights = weights / (weights.sum(-1, /*keepdim=*/true) + 1e-20);
  return {ids, weights * scaling};
}

Routing sigmoid_group_routing(const torch::Tensor& x, const torch::Tensor& gate, const torch::Tensor& bias,
                              int64_t top_k, int64_t n_group, int64_t topk_group, bool renormalize, double scaling) {
  auto scores = torch::sigmoid(torch::matmul(x.to(torch::kFloat32), gate.to(torch::kFloat32).t()));  // (N, E)
  return biased_group_topk(scores, bias.to(torch::kFloat32), top_k, n_group, topk_group, renormalize, scaling);
}

void RoutedExperts::stack() {
  if (!gate_up.defined()) {  // loaded one by one: stack, expert by expert releasing the originals
    if (each.empty()) return;
    const auto& first = each.front();
    if (Fp8Store::is_placeholder(first.gate)) {  // FP8-resident: no stacked copy; gate/up fused per expert
      for (auto& w : each) w.fuse_gate_up();
      return;
    }
    const int64_t e = size(), f = first.gate.size(0), d = first.gate.size(1);
    gate_up = torch::empty({e, 2 * f, d}, first.gate.options());
    down = torch::empty({e, d, f}, first.down.options());
    for (int64_t i = 0; i < e; ++i) {
      auto& w = each[i];
      gate_up[i].narrow(0, 0, f).copy_(w.gate);
      gate_up[i].narrow(0, f, f).copy_(w.up);
      down[i].copy_(w.down);
      w.gate = w.up = w.down = torch::Tensor();
    }
  }
  each.resize(gate_up.size(0));
  for (int64_t i = 0; i < size(); ++i) {
    each[i].gate_up = gate_up[i];  // (2F, D)
    each[i].down = down[i];        // (D, F)
  }
}

void add_expert_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, int64_t num_experts, RoutedExperts& experts) {
  add_expert_specs(specs, prefix, names, hidden, intermediate, num_experts, experts.each);
}

namespace {

// The grouped-GEMM form of grouped_experts over stacked SwiGLU experts: the N*K (token, expert)
// slots sorted by expert once, gate/up and down as one grouped GEMM each, the products scattered
// back to slot order and summed over k. No host synchronisation (the group ends stay on the GPU).
torch::Tensor grouped_gemm_swiglu(const torch::Tensor& x, const Routing& routing, const RoutedExperts& experts) {
  const int64_t n = x.size(0), k = routing.ids.size(1);
  auto flat_ids = routing.ids.reshape({-1});                                                   // (N*K)
  auto order = flat_ids.argsort(/*stable=*/true);                                              // slots by expert
  auto ones = torch::ones_like(flat_ids, flat_ids.options().dtype(torch::kInt32));
  auto ends = torch::zeros({experts.size()}, ones.options()).scatter_add_(0, flat_ids, ones).cumsum(0, torch::kInt32);
  auto xs = x.index_select(0, order.div(k, "floor"));                                          // (N*K, D)
  auto h = compat::grouped_mm(xs, experts.gate_up.transpose(1, 2), ends);                     // (N*K, 2F)
  auto y = compat::grouped_mm(silu_mul(h), experts.down.transpose(1, 2), ends);               // (N*K, D)
  y = y * routing.weights.reshape({-1}).index_select(0, order).unsqueeze(1);                   // promoted dtype
  auto by_slot = torch::empty_like(y).index_copy_(0, order, y);                                // slot n*K + j
  return by_slot.view({n, k, -1}).sum(1).to(x.scalar_type());                                  // (N, D)
}

}  // namespace

torch::Tensor routed_swiglu_experts(const torch::Tensor& x, const Routing& routing, const RoutedExperts& experts) {
  // A GPU or libtorch whose grouped GEMM refuses these operands (e.g. torch 2.8 off Hopper) runs the
  // loop from then on, saying so once.
  static std::atomic<bool> grouped_refused{false};
  if (experts.gate_up.defined() && !grouped_refused && compat::grouped_mm_supported(x) &&
      fused::enabled(fused::Kernel::kExperts, x)) {
    try {
      return grouped_gemm_swiglu(x, routing, experts);
    } catch (const c10::Error& e) {
      if (!grouped_refused.exchange(true))
        std::cerr << "icsweep: grouped expert GEMMs unavailable here, running the experts one by one: "
                  << e.what_without_backtrace() << "\n";
    }
  }
  return grouped_experts(x, routing.ids, routing.weights, experts.size(), x.size(-1),
                         [&](int64_t e, const torch::Tensor& xe) { return swiglu(xe, experts.each[e]); });
}

void add_deepseek_moe_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                            int64_t num_experts, int64_t moe_intermediate_size, int64_t n_shared_experts,
                            bool score_bias, DeepseekMoeWeights& w, bool stacked_experts) {
  const int64_t f = moe_intermediate_size;
  specs.push_back({prefix + "gate.weight", {num_experts, hidden}, &w.router});
  if (score_bias)  // transformers keeps e_score_correction_bias in fp32 whatever the model dtype
    specs.push_back({prefix + "gate.e_score_correction_bias", {num_experts}, &w.router_bias, false, keep_fp32});
  if (stacked_experts) {
    specs.push_back({prefix + "experts.gate_up_proj", {num_experts, 2 * f, hidden}, &w.experts.gate_up});
    specs.push_back({prefix + "experts.down_proj", {num_experts, hidden, f}, &w.experts.down});
  } else {
    add_expert_specs(specs, prefix + "experts.", kProjNames, hidden, f, num_experts, w.experts);
  }
  if (n_shared_experts > 0)
    add_swiglu_specs(specs, prefix + "shared_experts.", kProjNames, hidden, moe_intermediate_size * n_shared_experts,
                     w.shared_experts);
}

torch::Tensor deepseek_moe(const DeepseekMoeWeights& w, const torch::Tensor& x, const Routing& routing) {
  auto out = routed_swiglu_experts(x, routing, w.experts);  // (N, D)
  if (w.shared_experts.down.defined()) out = out + swiglu(x, w.shared_experts);
  return out;
}

}  // namespace icsweep
