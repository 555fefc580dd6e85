#include "core/model/mamba2.h"

#include <algorithm>

#include <ATen/record_function.h>

#include "core/model/layers.h"

namespace icsweep {
namespace {

// transformers' segment_sum: s[..., i, j] = a[j+1] + ... + a[i] for j <= i (a masked cumsum, as
// stable as theirs), -inf above the diagonal. a: (..., Q) -> (..., Q, Q).
torch::Tensor segment_sum(const torch::Tensor& a) {
  const int64_t Q = a.size(-1);
  const auto bools = torch::TensorOptions().dtype(torch::kBool).device(a.device());
  const auto below = torch::ones({Q, Q}, bools).tril(-1);
  auto sizes = a.sizes().vec();
  sizes.push_back(Q);
  auto s = a.unsqueeze(-1).expand(sizes).masked_fill(below.logical_not(), 0).cumsum(-2);
  return s.masked_fill(torch::ones({Q, Q}, bools).tril(0).logical_not(), -std::numeric_limits<float>::infinity());
}

// (B, T, ...) -> (B, T + pad, ...) with zeros, viewed as (B, c, Q, ...).
torch::Tensor pad_into_chunks(const torch::Tensor& t, int64_t pad, int64_t Q) {
  std::vector<int64_t> padding(2 * (t.dim() - 1), 0);
  padding.back() = pad;  // the time dim (dim 1) is the last pair
  auto padded = pad > 0 ? torch::constant_pad_nd(t, padding) : t;
  auto sizes = padded.sizes().vec();
  sizes[1] = sizes[1] / Q;
  sizes.insert(sizes.begin() + 2, Q);
  return padded.reshape(sizes);
}

// FalconH1RMSNormGated / GraniteMoeHybridRMSNormGated on the fp32 scan output y (B, T, I) with the
// gate z: RMSNorm over `groups` groups of channels (weight (I)), silu(z) applied before or after it,
// in fp32. (B, T, I) fp32.
torch::Tensor gated_rms_norm(const torch::Tensor& y, const torch::Tensor& z, const torch::Tensor& weight,
                             const Mamba2Options& o) {
  const auto gate = torch::silu(z.to(torch::kFloat32));
  const auto sizes = y.sizes().vec();
  const int64_t width = sizes.back() / o.norm_groups;
  auto h = (o.norm_before_gate ? y : y * gate).reshape({sizes[0], sizes[1], o.norm_groups, width});
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + o.eps);
  h = (weight.view({o.norm_groups, width}) * h).reshape(sizes);
  return o.norm_before_gate ? h * gate : h;
}

}  // namespace

void add_mamba2_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden, const Mamba2Dims& dims,
                      bool in_bias, bool conv_bias, bool out_bias, bool gated_norm, Mamba2Weights& w) {
  const int64_t heads = dims.heads, channels = dims.conv_dim();
  specs.push_back({prefix + "in_proj.weight", {dims.in_proj_dim(), hidden}, &w.in_proj});
  if (in_bias) specs.push_back({prefix + "in_proj.bias", {dims.in_proj_dim()}, &w.in_proj_bias});
  specs.push_back({prefix + "conv1d.weight", {channels, 1, dims.conv_kernel}, &w.conv1d});
  if (conv_bias) specs.push_back({prefix + "conv1d.bias", {channels}, &w.conv1d_bias});
  specs.push_back({prefix + "dt_bias", {heads}, &w.dt_bias});
  specs.push_back({prefix + "A_log", {heads}, &w.A_log});
  specs.push_back({prefix + "D", {heads}, &w.D});
  if (gated_norm) specs.push_back({prefix + "norm.weight", {dims.intermediate()}, &w.norm});
  specs.push_back({prefix + "out_proj.weight", {hidden, dims.intermediate()}, &w.out_proj});
  if (out_bias) specs.push_back({prefix + "out_proj.bias", {hidden}, &w.out_proj_bias});
}

torch::Tensor causal_depthwise_conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t T = x.size(1), channels = x.size(2);
  const auto w = weight.dim() == 2 ? weight.unsqueeze(1) : weight;  // (C, 1, K)
  const int64_t K = w.size(-1);
  auto y = torch::conv1d(x.transpose(1, 2).to(w.scalar_type()), w, bias, /*stride=*/1, /*padding=*/K - 1,
                         /*dilation=*/1, /*groups=*/channels);  // (B, C, T + K - 1)
  return y.narrow(2, 0, T).transpose(1, 2).to(x.scalar_type());  // (B, T, C)
}

torch::Tensor mamba2_chunk_scan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                                const torch::Tensor& Bm, const torch::Tensor& Cm, const torch::Tensor& D,
                                const torch::Tensor& dt_bias, const Mamba2Dims& dims) {
  const int64_t batch = x.size(0), T = x.size(1), H = x.size(2), P = x.size(3), G = Bm.size(2), N = Bm.size(3);
  // One chunk of T when T is shorter: the same numbers as a zero-padded chunk of Q, less work.
  const int64_t Q = std::min(dims.chunk, T), pad = (Q - T % Q) % Q, chunks = (T + pad) / Q;
  const auto f32 = torch::kFloat32;
  const auto delta = torch::softplus(dt + dt_bias.to(dt.scalar_type())).clamp(dims.dt_min, dims.dt_max).to(f32);  // (B, T, H)
  const auto xf = x.to(f32);
  const auto skip = xf * D.to(f32).view({H, 1});  // the D skip (B, T, H, P)

  const auto X = pad_into_chunks(xf * delta.unsqueeze(-1), pad, Q).permute({0, 3, 1, 2, 4});  // (B, H, c, Q, P)
  const auto a = pad_into_chunks(A.to(f32).view({1, 1, H}) * delta, pad, Q).permute({0, 3, 1, 2});  // (B, H, c, Q)
  const auto a_cum = a.cumsum(-1);
  const auto Bg = pad_into_chunks(Bm.to(f32), pad, Q).permute({0, 3, 1, 2, 4});  // (B, G, c, Q, N)
  const auto Cg = pad_into_chunks(Cm.to(f32), pad, Q).permute({0, 3, 1, 2, 4});  // (B, G, c, Q, N)
  const auto per_head = [&](const torch::Tensor& t) { return t.repeat_interleave(H / G, 1); };  // G -> H

  // 1. Within each chunk: (C_i · B_j) · exp(a_{j+1} + ... + a_i), causal, applied to x·dt.
  const auto L = torch::exp(segment_sum(a)).view({batch, G, H / G, chunks, Q, Q});
  const auto CB = torch::matmul(Cg, Bg.transpose(-1, -2)).unsqueeze(2);  // (B, G, 1, c, Q, Q)
  auto y = torch::matmul((CB * L).view({batch, H, chunks, Q, Q}), X);  // (B, H, c, Q, P)
  // 2. The state each chunk leaves, from its own tokens.
  const auto decay = torch::exp(a_cum.narrow(-1, Q - 1, 1) - a_cum);                  // (B, H, c, Q)
  const auto states = torch::matmul((X * decay.unsqueeze(-1)).transpose(-1, -2), per_head(Bg));  // (B, H, c, P, N)
  // 3. The state entering each chunk: the recurrence over chunks from a zero state.
  const auto decay_chunk = torch::exp(segment_sum(torch::constant_pad_nd(a_cum.select(-1, Q - 1), {1, 0})));
  const auto from_zero = torch::cat({torch::zeros_like(states.narrow(2, 0, 1)), states}, 2);  // (B, H, c+1, P, N)
  const auto entering = torch::matmul(decay_chunk, from_zero.flatten(3)).narrow(2, 0, chunks).view({batch, H, chunks, P, N});
  // 4. What the entering state gives each token of the chunk.
  y = y + torch::matmul(per_head(Cg), entering.transpose(-1, -2)) * torch::exp(a_cum).unsqueeze(-1);
  return y.permute({0, 2, 3, 1, 4}).reshape({batch, T + pad, H, P}).narrow(1, 0, T) + skip;  // (B, T, H, P)
}

torch::Tensor mamba2_mixer(const Mamba2Weights& w, const Mamba2Dims& dims, const Mamba2Options& options,
                           const torch::Tensor& h) {
  RECORD_USER_SCOPE("mamba2");  // a span in bench_scorer --profile traces (bench/profile_kernels.py)
  const int64_t batch = h.size(0), T = h.size(1), I = dims.intermediate(), GN = dims.groups * dims.state;
  auto proj = linear(h, w.in_proj, w.in_proj_bias);  // (B, T, I + conv_dim + H): z, xBC, dt
  if (options.in_proj_scale.defined()) proj = proj * options.in_proj_scale;
  const auto parts = proj.split_with_sizes({I, dims.conv_dim(), dims.heads}, -1);
  const auto xbc = torch::silu(causal_depthwise_conv1d(parts[1], w.conv1d, w.conv1d_bias)).contiguous();  // (B, T, conv_dim)
  const auto pieces = xbc.split_with_sizes({I, GN, GN}, -1);
  const auto A = -torch::exp(w.A_log.to(torch::kFloat32));  // (H)
  auto y = mamba2_chunk_scan(pieces[0].reshape({batch, T, dims.heads, dims.head_dim}), parts[2], A,
                             pieces[1].reshape({batch, T, dims.groups, dims.state}),
                             pieces[2].reshape({batch, T, dims.groups, dims.state}), w.D, w.dt_bias, dims)
               .reshape({batch, T, I});  // fp32
  y = w.norm.defined() ? gated_rms_norm(y, parts[0], w.norm, options) : y * torch::silu(parts[0]);
  return linear(y.to(h.scalar_type()), w.out_proj, w.out_proj_bias);  // (B, T, D)
}

}  // namespace icsweep
