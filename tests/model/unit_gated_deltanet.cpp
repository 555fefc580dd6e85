// The chunked gated delta rule (core/model/gated_deltanet.h) against the rule's definition, one token at
// a time in float64 (written out here): S ← S·exp(g_t); S ← S + β_t·k_t·(v_t − Sᵀk_t)ᵀ; o_t = Sᵀq_t, with
// q and k L2-normalised and q scaled by Dk^-1/2. And the padding property the scorer relies on: a
// right-padded row's real positions do not depend on what follows them or on the other rows.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "core/model/gated_deltanet.h"

namespace icsweep {
namespace {

// The recurrence, per token, in float64. q, k (B, T, H, Dk), v (B, T, H, Dv), g, beta (B, T, H).
torch::Tensor recurrent_rule(torch::Tensor q, torch::Tensor k, torch::Tensor v, torch::Tensor g, torch::Tensor beta) {
  q = q.to(torch::kFloat64), k = k.to(torch::kFloat64), v = v.to(torch::kFloat64);
  g = g.to(torch::kFloat64), beta = beta.to(torch::kFloat64);
  q = q / (q * q).sum(-1, true).add(1e-6).sqrt() / std::sqrt(static_cast<double>(q.size(-1)));
  k = k / (k * k).sum(-1, true).add(1e-6).sqrt();
  const int64_t b = v.size(0), t = v.size(1), h = v.size(2);
  auto state = torch::zeros({b, h, k.size(-1), v.size(-1)}, torch::kFloat64);
  auto out = torch::zeros_like(v);
  for (int64_t i = 0; i < t; ++i) {
    const auto qi = q.select(1, i), ki = k.select(1, i), vi = v.select(1, i);  // (B, H, D)
    state = state * g.select(1, i).exp().unsqueeze(-1).unsqueeze(-1);
    const auto predicted = torch::einsum("bhkv,bhk->bhv", {state, ki});
    const auto delta = (vi - predicted) * beta.select(1, i).unsqueeze(-1);
    state = state + ki.unsqueeze(-1) * delta.unsqueeze(-2);
    out.select(1, i).copy_(torch::einsum("bhkv,bhk->bhv", {state, qi}));
  }
  return out;
}

struct Inputs {
  torch::Tensor q, k, v, g, beta;
};

Inputs random_inputs(int64_t b, int64_t t, int64_t h, int64_t dk, int64_t dv) {
  torch::manual_seed(3);
  return {torch::randn({b, t, h, dk}), torch::randn({b, t, h, dk}), torch::randn({b, t, h, dv}),
          -torch::rand({b, t, h}) * 0.5, torch::rand({b, t, h})};
}

TEST(GatedDeltaNet, ChunkedRuleEqualsTheRecurrenceOverSeveralChunks) {
  const auto in = random_inputs(2, 150, 3, 8, 4);  // 150 tokens: chunks of 64, 64 and 22 (+ 42 padding)
  const auto chunked = chunk_gated_delta_rule(in.q, in.k, in.v, in.g, in.beta, 64);
  ASSERT_EQ(chunked.sizes(), in.v.sizes());
  EXPECT_EQ(chunked.scalar_type(), torch::kFloat32);
  const auto expected = recurrent_rule(in.q, in.k, in.v, in.g, in.beta);
  EXPECT_LT((chunked.to(torch::kFloat64) - expected).abs().max().item<double>(), 1e-5);
  // Another chunk length computes the same rule.
  const auto chunk16 = chunk_gated_delta_rule(in.q, in.k, in.v, in.g, in.beta, 16);
  EXPECT_LT((chunk16.to(torch::kFloat64) - expected).abs().max().item<double>(), 1e-5);
}

TEST(GatedDeltaNet, RecurrenceRunsInFp32ForBf16Inputs) {
  const auto in = random_inputs(1, 70, 2, 8, 4);
  const auto bf16 = [](const torch::Tensor& x) { return x.to(torch::kBFloat16); };
  const auto out = chunk_gated_delta_rule(bf16(in.q), bf16(in.k), bf16(in.v), in.g, bf16(in.beta), 64);
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  const auto expected = recurrent_rule(bf16(in.q), bf16(in.k), bf16(in.v), in.g, bf16(in.beta));
  // Only the final rounding to bf16 (8 bits of mantissa) separates them.
  EXPECT_LT((out.to(torch::kFloat64) - expected).abs().max().item<double>(), 2e-2);
}

// A whole layer with random weights: d 32, Hk 2, Hv 4, Dk 8, Dv 4, 4 taps.
struct RandomLayer {
  GatedDeltaNetDims dims{2, 4, 8, 4, 4};
  GatedDeltaNetWeights w;
  RandomLayer() {
    torch::manual_seed(5);
    w.in_proj_qkv = torch::randn({dims.conv_dim(), 32}) * 0.2;
    w.in_proj_z = torch::randn({dims.value_dim(), 32}) * 0.2;
    w.in_proj_b = torch::randn({dims.value_heads, 32}) * 0.2;
    w.in_proj_a = torch::randn({dims.value_heads, 32}) * 0.2;
    w.conv1d = torch::randn({dims.conv_dim(), 1, dims.conv_kernel}) * 0.5;
    w.dt_bias = torch::rand({dims.value_heads});
    w.A_log = torch::rand({dims.value_heads}).log();
    w.norm = torch::rand({dims.value_head_dim}) + 0.5;
    w.out_proj = torch::randn({32, dims.value_dim()}) * 0.2;
    w.fuse(dims);
  }
  torch::Tensor operator()(const torch::Tensor& x) const { return gated_deltanet(w, dims, x, 1e-6); }
};

TEST(GatedDeltaNet, RightPaddingAndOtherRowsNeverReachARowsRealTokens) {
  const RandomLayer layer;
  torch::manual_seed(9);
  const auto a = torch::randn({1, 80, 32}), b = torch::randn({1, 80, 32}) * 10;
  // Row 0: a's first 30 tokens then 50 tokens of anything (pads); row 1: another sample.
  const auto padded = torch::cat({a.narrow(1, 0, 30), b.narrow(1, 0, 50)}, 1);
  const auto batch = layer(torch::cat({padded, a}, 0));  // (2, 80, 32)
  const auto alone = layer(a.narrow(1, 0, 30));          // (1, 30, 32)
  EXPECT_LT((batch[0].narrow(0, 0, 30) - alone[0]).abs().max().item<double>(), 1e-6);
  EXPECT_LT((batch[1] - layer(a)[0]).abs().max().item<double>(), 1e-6);
}

// Qwen3-Next's fused projections, grouped per key head ([q k v z] rows, then [b a]), fused into
// Qwen3.5's order q | k | v | z | b | a: the rows are numbered here by what they are.
TEST(GatedDeltaNet, Qwen3NextProjectionsReorderedToQwen35Order) {
  const GatedDeltaNetDims d{2, 4, 1, 1, 4};  // Hk 2, Hv 4 (r 2), Dk = Dv = 1
  GatedDeltaNetWeights w;
  // Per key head h: q_h, k_h, v_{2h}, v_{2h+1}, z_{2h}, z_{2h+1}, coded 100·part + head.
  w.in_proj_qkvz = torch::tensor({100., 200., 300., 301., 400., 401., 101., 201., 302., 303., 402., 403.}).view({12, 1});
  w.in_proj_ba = torch::tensor({500., 501., 600., 601., 502., 503., 602., 603.}).view({8, 1});
  w.fuse(d);
  const auto expected = torch::tensor({100., 101., 200., 201., 300., 301., 302., 303., 400., 401., 402., 403., 500.,
                                       501., 502., 503., 600., 601., 602., 603.}).view({20, 1});
  EXPECT_TRUE(torch::equal(w.in_proj, expected));
}

}  // namespace
}  // namespace icsweep
