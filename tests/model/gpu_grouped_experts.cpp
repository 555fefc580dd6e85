// The routed experts as two grouped GEMMs (moe.h, CUDA bf16) against the per-expert loop they
// replace, on the same bf16 weights, both measured against an fp64 reference: the grouped form may
// differ from the loop only by bf16 rounding (the loop rounds each expert's product before adding it,
// the grouped form sums the k products in fp32), so its error must not exceed the loop's by much.
#include <gtest/gtest.h>

#include "core/common/torch_compat.h"
#include "core/model/fused_ops.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

const torch::Device kCuda("cuda:0");

struct Case {
  int64_t tokens, hidden, intermediate, experts, top_k;
  bool fp32_weights;  // DeepSeek's fp32 routing weights times bf16 expert outputs
};

// Mean |got - exact| over all elements.
double mean_error(const torch::Tensor& got, const torch::Tensor& exact) {
  return (got.to(torch::kCPU, torch::kFloat64) - exact).abs().mean().item<double>();
}

TEST(GroupedExperts, GroupedGemmsMatchThePerExpertLoopInBf16) {
  ASSERT_TRUE(compat::grouped_mm_supported(torch::zeros({1}, torch::TensorOptions().device(kCuda).dtype(torch::kBFloat16))))
      << "this libtorch has no at::_grouped_mm";
  torch::manual_seed(11);
  for (const Case& c : {Case{37, 128, 96, 8, 2, false}, Case{256, 256, 64, 16, 6, true}, Case{1, 64, 32, 4, 1, false}}) {
    const auto bf16 = torch::TensorOptions().device(kCuda).dtype(torch::kBFloat16);
    RoutedExperts experts;
    experts.each.resize(c.experts);
    for (auto& e : experts.each) {
      e.gate = (torch::randn({c.intermediate, c.hidden}) * 0.1).to(bf16);
      e.up = (torch::randn({c.intermediate, c.hidden}) * 0.1).to(bf16);
      e.down = (torch::randn({c.hidden, c.intermediate}) * 0.1).to(bf16);
    }
    auto x = torch::randn({c.tokens, c.hidden}).to(bf16);
    // Routes that leave the last expert without tokens (an empty group).
    auto ids = torch::randint(0, c.experts - 1, {c.tokens, c.top_k}, torch::kInt64).to(kCuda);
    auto weights = torch::rand({c.tokens, c.top_k}).to(kCuda, c.fp32_weights ? torch::kFloat32 : torch::kBFloat16);
    const Routing routing{ids, weights};
    const std::string what = "N " + std::to_string(c.tokens) + " E " + std::to_string(c.experts);

    // fp64 reference on the CPU from the same (bf16-valued) weights and inputs.
    auto exact = torch::zeros({c.tokens, c.hidden}, torch::kFloat64);
    const auto x64 = x.to(torch::kCPU, torch::kFloat64);
    const auto ids_cpu = ids.cpu(), w64 = weights.to(torch::kCPU, torch::kFloat64);
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t j = 0; j < c.top_k; ++j) {
        const auto& e = experts.each[ids_cpu[t][j].item<int64_t>()];
        auto row = x64[t].unsqueeze(0);
        auto h = torch::silu(torch::matmul(row, e.gate.to(torch::kCPU, torch::kFloat64).t())) *
                 torch::matmul(row, e.up.to(torch::kCPU, torch::kFloat64).t());
        exact[t] += w64[t][j] * torch::matmul(h, e.down.to(torch::kCPU, torch::kFloat64).t())[0];
      }

    const auto loop = routed_swiglu_experts(x, routing, experts);  // one matrix per expert: the loop
    experts.stack();
    ASSERT_TRUE(fused::enabled(fused::Kernel::kExperts, x)) << "ICSWEEP_FUSED switches experts off";
    const auto grouped = routed_swiglu_experts(x, routing, experts);
    ASSERT_EQ(grouped.sizes(), loop.sizes()) << what;
    ASSERT_EQ(grouped.scalar_type(), torch::kBFloat16) << what;
    const double loop_error = mean_error(loop, exact), grouped_error = mean_error(grouped, exact);
    EXPECT_LE(grouped_error, 1.1 * loop_error + 1e-6) << what << ": loop " << loop_error << ", grouped " << grouped_error;
    EXPECT_LT(grouped_error, 2e-2 * exact.abs().mean().item<double>()) << what;
  }
}

}  // namespace
}  // namespace icsweep
