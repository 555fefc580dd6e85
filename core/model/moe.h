// Mixture-of-experts building blocks shared by the MoE families: the routers transformers uses
// (softmax top-k; DeepSeek-V2 group-limited softmax; DeepSeek-V3 / GLM-4.5 sigmoid with a
// selection-only bias), and the experts themselves: tokens grouped by expert, one matmul chain per
// expert that received tokens (never a per-token loop), results scattered back with their routing
// weights, as transformers' MoE blocks do (index_add_ of expert(x) * weight).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "core/model/mlp.h"

namespace icsweep {

// expert(e, x_e) -> y_e: the e-th expert applied to its tokens. x_e: (n_e, D) -> (n_e, D_out).
using ExpertFn = std::function<torch::Tensor(int64_t expert, const torch::Tensor& x)>;

// x: (N, D); topk_ids: (N, K) int64 expert indices in [0, num_experts); topk_weights: (N, K), any
// float dtype. Returns (N, D_out) in x's dtype: sum_k weight[n, k] * expert(topk_ids[n, k], x[n]).
// Like transformers 5's experts, expert(x) * weight runs in the promoted dtype of the two (a bf16
// expert output times fp32 DeepSeek weights is an fp32 product), is cast to x's dtype and
// accumulated there, experts in ascending order.
torch::Tensor grouped_experts(const torch::Tensor& x, const torch::Tensor& topk_ids, const torch::Tensor& topk_weights,
                              int64_t num_experts, int64_t out_dim, const ExpertFn& expert);

// Top-k experts per token and their weights.
struct Routing {
  torch::Tensor ids;      // (N, K) int64
  torch::Tensor weights;  // (N, K)
};

// Mixtral / Qwen2-MoE / Qwen3-MoE: logits x gate^T in the model dtype, softmax in fp32, top-k,
// renormalised over the k when `renormalize`, weights cast back to the model dtype.
// x: (N, D); gate: (E, D).
Routing softmax_topk_routing(const torch::Tensor& x, const torch::Tensor& gate, int64_t top_k, bool renormalize);

// DeepSeek-V2: logits and softmax in fp32; groups of E / n_group experts ranked by their best
// score, the top `topk_group` groups kept (the others' scores zeroed), top-k of what is left;
// weights (fp32) times `scaling`. Greedy routing is n_group = topk_group = 1. x: (N, D); gate: (E, D).
Routing softmax_group_routing(const torch::Tensor& x, const torch::Tensor& gate, int64_t top_k, int64_t n_group,
                              int64_t topk_group, double scaling);

// The "noaux_tc" choice on router scores (N, E), whatever made them: `bias` (E, e.g. an
// e_score_correction_bias; undefined: none) is added for the choice only (in fp32 when either is):
// groups of E / n_group experts ranked by the sum of their two best biased scores, the top
// `topk_group` kept (others zeroed), top-k of the biased scores. The weights are the unbiased scores
// of the chosen experts, divided by their sum (+1e-20) when `renormalize`, times `scaling`, in the
// scores' dtype.
Routing biased_group_topk(const torch::Tensor& scores, const torch::Tensor& bias, int64_t top_k, int64_t n_group,
                          int64_t topk_group, bool renormalize, double scaling);

// DeepSeek-V3 / GLM-4.5 ("noaux_tc"): biased_group_topk on the sigmoid of fp32 logits, `bias` the
// fp32 e_score_correction_bias (E); fp32 weights. x: (N, D); gate: (E, D).
Routing sigmoid_group_routing(const torch::Tensor& x, const torch::Tensor& gate, const torch::Tensor& bias,
                              int64_t top_k, int64_t n_group, int64_t topk_group, bool renormalize, double scaling);

// The routed SwiGLU experts of one MoE block. Loaded one matrix per expert under the Hub's names
// (add_expert_specs), or stacked as transformers 5 saves them; stack() then leaves both forms: the
// stacked tensors (one grouped GEMM per projection for all experts, on CUDA in bf16) and `each`
// expert as views of them (the per-expert loop elsewhere), no second copy. FP8-resident experts
// (fp8_store.h) stay one per expert, gate and up fused, dequantized with their layer.
struct RoutedExperts {
  std::vector<SwigluWeights> each;  // E
  torch::Tensor gate_up;            // (E, 2F, D): gate rows, then up rows
  torch::Tensor down;               // (E, D, F)
  int64_t size() const { return static_cast<int64_t>(each.size()); }
  void stack();  // after loading (one expert's matrices of extra memory at a time)
};

// E experts under prefix + "<e>." with `names` (D = hidden, F = intermediate).
void add_expert_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, int64_t num_experts, RoutedExperts& experts);

// sum_k weight[n, k] * expert(ids[n, k], x[n]) over SwiGLU experts. x: (N, D) -> (N, D). Stacked
// experts on CUDA in bf16 run as two grouped GEMMs over the tokens sorted by expert, with no
// device-to-host transfer (fused::Kernel::kExperts; results equal grouped_experts' up to the
// summation order of the k products); otherwise grouped_experts' loop over `each`.
torch::Tensor routed_swiglu_experts(const torch::Tensor& x, const Routing& routing, const RoutedExperts& experts);

// DeepSeek's MoE block (DeepseekV3MoE; GLM-4.5's Glm4MoeMoE copies it), under "<layer>mlp.": the
// router mlp.gate, the routed SwiGLU experts, and n_shared_experts folded into one shared SwiGLU.
struct DeepseekMoeWeights {
  torch::Tensor router;                // (E, D) mlp.gate
  torch::Tensor router_bias;           // (E) fp32 e_score_correction_bias (sigmoid routing only)
  RoutedExperts experts;               // E, F = moe_intermediate_size
  SwigluWeights shared_experts;        // F = moe_intermediate_size * n_shared_experts; undefined when 0
  void fuse() {                        // after loading
    experts.stack();
    shared_experts.fuse_gate_up();
  }
};

// Appends prefix + "gate.weight", "gate.e_score_correction_bias" (fp32, when `score_bias`), the
// routed experts ("experts.<e>.{gate,up,down}_proj.weight", or with `stacked_experts` transformers
// 5's "experts.gate_up_proj" (E, 2F, D) and "experts.down_proj" (E, D, F)) and, with shared experts,
// "shared_experts.*". Call w.fuse() after loading.
void add_deepseek_moe_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                            int64_t num_experts, int64_t moe_intermediate_size, int64_t n_shared_experts,
                            bool score_bias, DeepseekMoeWeights& w, bool stacked_experts = false);

// The routed experts under `routing`, plus the shared experts when loaded. x: (N, D) -> (N, D).
torch::Tensor deepseek_moe(const DeepseekMoeWeights& w, const torch::Tensor& x, const Routing& routing);

}  // namespace icsweep
