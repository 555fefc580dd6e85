// Mixture-of-experts building block shared by the MoE families: tokens grouped by expert, one
// matmul chain per expert that received tokens (never a per-token loop), results scattered back
// with their routing weights, as transformers' MoE blocks do (index_add_ of expert(x) * weight).
#pragma once

#include <torch/torch.h>

#include <functional>

namespace icsweep {

// expert(e, x_e) -> y_e: the e-th expert applied to its tokens. x_e: (n_e, D) -> (n_e, D_out).
using ExpertFn = std::function<torch::Tensor(int64_t expert, const torch::Tensor& x)>;

// x: (N, D); topk_ids: (N, K) int64 expert indices in [0, num_experts); topk_weights: (N, K)
// (any float dtype, cast to x's dtype before multiplying, like transformers). Returns (N, D_out)
// in x's dtype: sum_k weight[n, k] * expert(topk_ids[n, k], x[n]).
torch::Tensor grouped_experts(const torch::Tensor& x, const torch::Tensor& topk_ids, const torch::Tensor& topk_weights,
                              int64_t num_experts, int64_t out_dim, const ExpertFn& expert);

// The SiLU-gated expert MLP: down(silu(x gate^T) * (x up^T)). x: (n, D); gate/up: (F, D); down: (D, F).
torch::Tensor swiglu_expert(const torch::Tensor& x, const torch::Tensor& gate, const torch::Tensor& up,
                            const torch::Tensor& down);

}  // namespace icsweep
