#include "core/model/moe.h"

namespace icsweep {

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
    y = y * weights.narrow(0, start, n).to(y.scalar_type()).unsqueeze(1);
    out.index_add_(0, rows, y.to(x.scalar_type()));
    start += n;
  }
  return out;
}

torch::Tensor swiglu_expert(const torch::Tensor& x, const torch::Tensor& gate, const torch::Tensor& up,
                            const torch::Tensor& down) {
  return torch::matmul(torch::silu(torch::matmul(x, gate.t())) * torch::matmul(x, up.t()), down.t());
}

}  // namespace icsweep
