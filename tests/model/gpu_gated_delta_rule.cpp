// The gated delta rule's CUDA kernel (fused::gated_delta_rule, recurrent form) against the chunked
// libtorch rule (chunk_gated_delta_rule, the path the fp32 CPU parity tests check against transformers)
// on the CPU, in fp32: fp32 inputs within 2e-5 of the output scale, bf16 inputs (the reference given the
// same bf16-rounded inputs) within about two bf16 steps of it. Shapes: Qwen3.5's (Dk = Dv = 128, 2 value heads per key head), a tiny fixture's (Dk = 16,
// lanes past Dk idle), Dk = 256, lengths across chunk boundaries, two samples whose rows differ.
#include <gtest/gtest.h>

#include "core/model/fused_ops.h"
#include "core/model/gated_deltanet.h"

namespace icsweep {
namespace {

struct Case {
  int64_t b, t, hk, hv, dk, dv;
};

// (qkv (B, T, 2·Hk·Dk + Hv·Dv), g (B, T, Hv), beta (B, T, Hv)) on the CPU in fp32: the conv's SiLU
// output scale, log-decays in (-1.5, 0), betas in (0, 1).
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> inputs(const Case& c) {
  torch::manual_seed(c.t * 7 + c.dk);
  const auto qkv = torch::silu(torch::randn({c.b, c.t, 2 * c.hk * c.dk + c.hv * c.dv}));
  const auto g = -1.5 * torch::rand({c.b, c.t, c.hv});
  const auto beta = torch::rand({c.b, c.t, c.hv});
  return {qkv, g, beta};
}

// The chunked rule on the CPU (fp32 inside), as fp64: (B, T, Hv, Dv).
torch::Tensor reference(const Case& c, const torch::Tensor& qkv, const torch::Tensor& g, const torch::Tensor& beta) {
  const auto x = qkv.to(torch::kFloat64);
  const auto parts = x.split_with_sizes({c.hk * c.dk, c.hk * c.dk, c.hv * c.dv}, -1);
  const int64_t r = c.hv / c.hk;
  const auto q = parts[0].reshape({c.b, c.t, c.hk, c.dk}).repeat_interleave(r, 2);
  const auto k = parts[1].reshape({c.b, c.t, c.hk, c.dk}).repeat_interleave(r, 2);
  const auto v = parts[2].reshape({c.b, c.t, c.hv, c.dv});
  return chunk_gated_delta_rule(q, k, v, g.to(torch::kFloat64), beta.to(torch::kFloat64), 64);
}

TEST(GatedDeltaRuleKernel, MatchesTheChunkedRuleOnTheCpu) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  torch::InferenceMode guard;
  const torch::Device cuda("cuda:0");
  for (const Case& c : {Case{2, 150, 2, 4, 128, 128}, Case{2, 77, 2, 4, 16, 16}, Case{1, 65, 1, 1, 256, 64},
                        Case{3, 1, 1, 2, 64, 32}}) {
    const auto [qkv, g, beta] = inputs(c);
    const auto want = reference(c, qkv, g, beta);  // (B, T, Hv, Dv)
    const double scale = want.abs().max().item<double>();
    for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      ASSERT_TRUE(fused::gated_delta_rule_supports(c.dk, c.dv));
      const auto in = qkv.to(dtype);
      const auto got = fused::gated_delta_rule(in.to(cuda), g.to(cuda), beta.to(cuda), c.hk, c.hv, c.dk, c.dv);
      ASSERT_EQ(got.sizes(), want.sizes());
      ASSERT_EQ(got.scalar_type(), dtype);
      // bf16: the reference on the same bf16-rounded inputs; the output's own bf16 rounding is 2^-8 relative.
      const auto exact = dtype == torch::kFloat32 ? want : reference(c, in.to(torch::kFloat32), g, beta);
      const double diff = (got.to(torch::kCPU, torch::kFloat64) - exact).abs().max().item<double>();
      const double limit = dtype == torch::kFloat32 ? 2e-5 * scale : 8e-3 * scale;
      std::printf("B %lld T %lld Dk %lld Dv %lld %s: max |diff| %.3e (output scale %.3e)\n", static_cast<long long>(c.b),
                  static_cast<long long>(c.t), static_cast<long long>(c.dk), static_cast<long long>(c.dv),
                  dtype == torch::kFloat32 ? "fp32" : "bf16", diff, scale);
      EXPECT_LE(diff, limit);
    }
  }
}

// Rows are independent: a sample's outputs do not depend on the other samples of the batch.
TEST(GatedDeltaRuleKernel, EachSampleAloneGivesItsRowsOfTheBatch) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  torch::InferenceMode guard;
  const Case c{3, 90, 2, 4, 128, 128};
  auto [qkv, g, beta] = inputs(c);
  const torch::Device cuda("cuda:0");
  const auto batch = fused::gated_delta_rule(qkv.to(cuda), g.to(cuda), beta.to(cuda), c.hk, c.hv, c.dk, c.dv);
  for (int64_t i = 0; i < c.b; ++i) {
    const auto one = fused::gated_delta_rule(qkv.narrow(0, i, 1).to(cuda), g.narrow(0, i, 1).to(cuda),
                                             beta.narrow(0, i, 1).to(cuda), c.hk, c.hv, c.dk, c.dv);
    EXPECT_TRUE(torch::equal(one, batch.narrow(0, i, 1))) << "sample " << i;
  }
}

}  // namespace
}  // namespace icsweep
