// Mamba-2's chunked SSD scan (core/model/mamba2.h) against the recurrence it computes, written out
// step by step here (Mamba-2's selective state update, as transformers' decode path runs it):
//   dt = softplus(dt + dt_bias);  h_t = exp(dt·A)·h_{t-1} + dt·x_t ⊗ B_t;  y_t = h_t·C_t + D·x_t
// from h_0 = 0, per row, heads sharing their group's B and C. And the causal depthwise conv.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/model/mamba2.h"

namespace icsweep {
namespace {

struct ScanInputs {
  torch::Tensor x, dt, A, B, C, D, dt_bias;
};

// batch 2, T tokens, 4 heads of P 3 in 2 groups of N 5.
ScanInputs random_inputs(int64_t T) {
  torch::manual_seed(3);
  ScanInputs s;
  s.x = torch::randn({2, T, 4, 3}, torch::kFloat64);
  s.dt = torch::randn({2, T, 4}, torch::kFloat64);
  s.A = -torch::rand({4}, torch::kFloat64) - 0.5;
  s.B = torch::randn({2, T, 2, 5}, torch::kFloat64);
  s.C = torch::randn({2, T, 2, 5}, torch::kFloat64);
  s.D = torch::randn({4}, torch::kFloat64);
  s.dt_bias = torch::randn({4}, torch::kFloat64);
  return s;
}

// The recurrence token by token, in fp64. (B, T, H, P).
torch::Tensor sequential_scan(const ScanInputs& s) {
  const int64_t batch = s.x.size(0), T = s.x.size(1), H = 4, P = 3, N = 5, per_group = 2;
  auto y = torch::zeros_like(s.x);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < H; ++h) {
      auto state = torch::zeros({P, N}, torch::kFloat64);
      for (int64_t t = 0; t < T; ++t) {
        const auto dt = torch::softplus(s.dt[b][t][h] + s.dt_bias[h]);
        const auto B = s.B[b][t][h / per_group], C = s.C[b][t][h / per_group];  // (N)
        state = torch::exp(dt * s.A[h]) * state + dt * torch::outer(s.x[b][t][h], B);
        y[b][t][h] = torch::matmul(state, C) + s.D[h] * s.x[b][t][h];
      }
    }
  return y;
}

Mamba2Dims dims_with_chunk(int64_t chunk) {
  Mamba2Dims d;
  d.heads = 4, d.head_dim = 3, d.groups = 2, d.state = 5, d.chunk = chunk;
  return d;
}

TEST(Mamba2ChunkScan, EqualsTheRecurrenceAcrossChunkBoundaries) {
  const auto s = random_inputs(11);
  const auto expected = sequential_scan(s);
  for (int64_t chunk : {1, 4, 5, 11, 64}) {  // 11 tokens: 11 chunks, a padded last chunk, exact fit, one short chunk
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    const auto y = mamba2_chunk_scan(s.x, s.dt, s.A, s.B, s.C, s.D, s.dt_bias, dims_with_chunk(chunk));
    EXPECT_EQ(y.scalar_type(), torch::kFloat32);  // the scan runs in fp32 whatever the input dtype
    EXPECT_LT((y.to(torch::kFloat64) - expected).abs().max().item<double>(), 1e-4);
  }
}

TEST(Mamba2ChunkScan, RightPaddingNeverReachesTheRealTokens) {
  // Row 0 alone over its 6 tokens equals row 0 of the 11-token batch: state starts at zero per row,
  // and what follows a position (padding, in a right-padded batch) never reaches it.
  const auto s = random_inputs(11);
  const auto full = mamba2_chunk_scan(s.x, s.dt, s.A, s.B, s.C, s.D, s.dt_bias, dims_with_chunk(4));
  auto head = [](const torch::Tensor& t) { return t.narrow(0, 0, 1).narrow(1, 0, 6); };
  const auto alone = mamba2_chunk_scan(head(s.x), head(s.dt), s.A, head(s.B), head(s.C), s.D, s.dt_bias,
                                       dims_with_chunk(4));
  EXPECT_LT((alone - head(full)).abs().max().item<double>(), 1e-5);
}

TEST(Mamba2ChunkScan, TimeStepLimitClampsDt) {
  const auto s = random_inputs(5);
  auto d = dims_with_chunk(2);
  d.dt_min = 0.3, d.dt_max = 0.3;  // every dt 0.3: softplus(dt_raw) = 0.3 with dt_raw = log(e^0.3 - 1)
  ScanInputs fixed = s;
  fixed.dt = torch::full_like(s.dt, std::log(std::exp(0.3) - 1.0));
  fixed.dt_bias = torch::zeros_like(s.dt_bias);
  const auto clamped = mamba2_chunk_scan(s.x, s.dt, s.A, s.B, s.C, s.D, s.dt_bias, d);
  EXPECT_LT((clamped.to(torch::kFloat64) - sequential_scan(fixed)).abs().max().item<double>(), 1e-4);
}

TEST(CausalDepthwiseConv1d, EachChannelSeesItsLastKInputs) {
  // x (1, 4, 2); channel 0 taps (1, 2, 3), channel 1 taps (0, 0, 1) with bias 10:
  // y[t] = 1·x[t-2] + 2·x[t-1] + 3·x[t] (zeros before the start); channel 1: x[t] + 10.
  const auto x = torch::tensor({1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0}).view({1, 4, 2});
  const auto w = torch::tensor({1.0, 2.0, 3.0, 0.0, 0.0, 1.0}).view({2, 1, 3});
  const auto y = causal_depthwise_conv1d(x, w, torch::tensor({0.0, 10.0}));
  const auto expected = torch::tensor({3.0, 15.0, 8.0, 16.0, 14.0, 17.0, 20.0, 18.0}).view({1, 4, 2});
  EXPECT_TRUE(torch::equal(y, expected)) << y;
}

}  // namespace
}  // namespace icsweep
