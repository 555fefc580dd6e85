#include "core/model/gated_deltanet.h"

#include <cmath>
#include <limits>

#include <ATen/record_function.h>

#include "core/model/fused_ops.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

namespace F = torch::nn::functional;

// x * rsqrt(sum(x²) + 1e-6) over the last dim (transformers' l2norm, as the FLA library).
torch::Tensor l2norm(const torch::Tensor& x) { return x * torch::rsqrt((x * x).sum(-1, /*keepdim=*/true) + 1e-6); }

// (B, T, H, D) -> (B, H, T, D) fp32, contiguous.
torch::Tensor heads_first_fp32(const torch::Tensor& x) { return x.transpose(1, 2).to(torch::kFloat32).contiguous(); }

// Qwen3-Next's in_proj_qkvz rows, Hk groups of [q (Dk), k (Dk), v (r·Dv), z (r·Dv)] with r = Hv / Hk, and
// in_proj_ba's Hk groups of [b (r), a (r)], reordered to q | k | v | z | b | a.
torch::Tensor reorder_next_projections(const torch::Tensor& qkvz, const torch::Tensor& ba, const GatedDeltaNetDims& d) {
  const int64_t hk = d.key_heads, r = d.value_heads / d.key_heads, dk = d.key_head_dim, dv = d.value_head_dim;
  const int64_t hidden = qkvz.size(1);
  const auto groups = qkvz.view({hk, 2 * dk + 2 * r * dv, hidden}).split_with_sizes({dk, dk, r * dv, r * dv}, 1);
  const auto gates = ba.view({hk, 2 * r, hidden}).split_with_sizes({r, r}, 1);
  std::vector<torch::Tensor> rows;
  for (const auto& part : groups) rows.push_back(part.reshape({-1, hidden}));
  for (const auto& part : gates) rows.push_back(part.reshape({-1, hidden}));
  return torch::cat(rows, 0);
}

// Qwen3_5RMSNormGated: RMS-normalise x in fp32, cast back, times the weight, times silu(gate) in fp32;
// the result in x's dtype. x, gate: (..., Dv); weight: (Dv).
torch::Tensor gated_rms_norm(const torch::Tensor& x, const torch::Tensor& gate, const torch::Tensor& weight,
                             double eps) {
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  h = weight * h.to(x.scalar_type());
  return (h * torch::silu(gate.to(torch::kFloat32))).to(x.scalar_type());
}

// The chunked rule's sequential part: chunk by chunk, read the state carried in from the earlier chunks,
// add the chunk's own contribution and carry the state on. All (B, H, n, C, ·) fp32; returns
// (B, H, n, C, Dv).
torch::Tensor scan_chunks(const torch::Tensor& q_decayed, const torch::Tensor& k_to_end, const torch::Tensor& new_values,
                          const torch::Tensor& k_cumdecay, const torch::Tensor& intra, const torch::Tensor& chunk_decay) {
  const int64_t n = q_decayed.size(2);
  auto state = torch::zeros({q_decayed.size(0), q_decayed.size(1), q_decayed.size(-1), new_values.size(-1)},
                            new_values.options());  // (B, H, Dk, Dv): zero for every sample
  auto out = torch::zeros_like(new_values);
  for (int64_t i = 0; i < n; ++i) {
    const auto at = [i](const torch::Tensor& t) { return t.select(2, i); };
    auto v_new = at(new_values) - torch::matmul(at(k_cumdecay), state);  // (B, H, C, Dv)
    out.select(2, i).copy_(torch::matmul(at(q_decayed), state) + torch::matmul(at(intra), v_new));
    state = state * at(chunk_decay) + torch::matmul(at(k_to_end).transpose(-1, -2), v_new);
  }
  return out;
}

}  // namespace

void GatedDeltaNetWeights::fuse(const GatedDeltaNetDims& dims) {
  if (in_proj_qkvz.defined()) {
    in_proj = reorder_next_projections(in_proj_qkvz, in_proj_ba, dims);
    in_proj_qkvz = in_proj_ba = torch::Tensor();
  } else {
    fuse_rows({&in_proj_qkv, &in_proj_z, &in_proj_b, &in_proj_a}, in_proj);
  }
}

void add_gated_deltanet_specs(std::vector<WeightSpec>& specs, const std::string& p, int64_t hidden,
                              const GatedDeltaNetDims& d, bool next_layout, GatedDeltaNetWeights& w) {
  const int64_t hv = d.value_heads;
  if (next_layout) {
    specs.push_back({p + "in_proj_qkvz.weight", {d.conv_dim() + d.value_dim(), hidden}, &w.in_proj_qkvz});
    specs.push_back({p + "in_proj_ba.weight", {2 * hv, hidden}, &w.in_proj_ba});
  } else {
    specs.push_back({p + "in_proj_qkv.weight", {d.conv_dim(), hidden}, &w.in_proj_qkv});
    specs.push_back({p + "in_proj_z.weight", {d.value_dim(), hidden}, &w.in_proj_z});
    specs.push_back({p + "in_proj_b.weight", {hv, hidden}, &w.in_proj_b});
    specs.push_back({p + "in_proj_a.weight", {hv, hidden}, &w.in_proj_a});
  }
  specs.push_back({p + "conv1d.weight", {d.conv_dim(), 1, d.conv_kernel}, &w.conv1d});
  specs.push_back({p + "dt_bias", {hv}, &w.dt_bias});
  specs.push_back({p + "A_log", {hv}, &w.A_log});
  specs.push_back({p + "norm.weight", {d.value_head_dim}, &w.norm});
  specs.push_back({p + "out_proj.weight", {hidden, d.value_dim()}, &w.out_proj});
}

torch::Tensor chunk_gated_delta_rule(const torch::Tensor& q_in, const torch::Tensor& k_in, const torch::Tensor& v_in,
                                     const torch::Tensor& g_in, const torch::Tensor& beta_in, int64_t chunk) {
  const int64_t b = v_in.size(0), t = v_in.size(1), h = v_in.size(2), dv = v_in.size(3), dk = k_in.size(3);
  const int64_t pad = (chunk - t % chunk) % chunk, n = (t + pad) / chunk;
  auto q = l2norm(heads_first_fp32(q_in)) * std::pow(static_cast<double>(dk), -0.5);  // (B, H, T, Dk)
  auto k = l2norm(heads_first_fp32(k_in));                                               // (B, H, T, Dk)
  auto v = heads_first_fp32(v_in);                                                       // (B, H, T, Dv)
  auto beta = beta_in.transpose(1, 2).to(torch::kFloat32);                               // (B, H, T)
  auto g = g_in.transpose(1, 2).to(torch::kFloat32);                                     // (B, H, T)
  // Zeros after the end, to whole chunks; (B, H, n, C, ·) and (B, H, n, C).
  const auto chunked = [&](const torch::Tensor& x) {
    return F::pad(x, F::PadFuncOptions({0, 0, 0, pad})).reshape({b, h, n, chunk, x.size(-1)});
  };
  const auto chunked_row = [&](const torch::Tensor& x) {
    return F::pad(x, F::PadFuncOptions({0, pad})).reshape({b, h, n, chunk});
  };
  auto k_beta = chunked(k * beta.unsqueeze(-1)), v_beta = chunked(v * beta.unsqueeze(-1));
  q = chunked(q);
  k = chunked(k);
  const auto cum = chunked_row(g).cumsum(-1);  // log of the decay from the chunk's start to each position
  const auto upper = torch::ones({chunk, chunk}, torch::dtype(torch::kBool).device(q.device())).triu(1);
  // decay[i][j] = exp(cum_i - cum_j) for j <= i, 0 above the diagonal: (B, H, n, C, C)
  const auto decay =
      (cum.unsqueeze(-1) - cum.unsqueeze(-2)).masked_fill(upper, -std::numeric_limits<float>::infinity()).exp();
  const auto kt = k.transpose(-1, -2);
  const auto system = torch::matmul(k_beta, kt) * decay;  // its strict lower part; unit diagonal in the solves
  const auto intra = torch::matmul(q, kt) * decay;
  const auto new_values = torch::linalg_solve_triangular(system, v_beta, /*upper=*/false, /*left=*/true,
                                                         /*unitriangular=*/true);
  const auto k_cumdecay = torch::linalg_solve_triangular(system, k_beta * cum.exp().unsqueeze(-1), /*upper=*/false,
                                                         /*left=*/true, /*unitriangular=*/true);
  const auto last = cum.narrow(-1, chunk - 1, 1);  // (B, H, n, 1): the log-decay over each whole chunk
  const auto out = scan_chunks(q * cum.exp().unsqueeze(-1), k * (last - cum).exp().unsqueeze(-1), new_values,
                               k_cumdecay, intra, last.exp().unsqueeze(-1));  // (B, H, n, C, Dv)
  return out.reshape({b, h, n * chunk, dv}).narrow(2, 0, t).transpose(1, 2).contiguous().to(v_in.scalar_type());
}

torch::Tensor gated_deltanet(const GatedDeltaNetWeights& w, const GatedDeltaNetDims& d, const torch::Tensor& x,
                             double eps) {
  RECORD_USER_SCOPE("gated_deltanet");  // a span in bench_scorer --profile traces (bench/profile_kernels.py)
  const int64_t b = x.size(0), t = x.size(1), hv = d.value_heads, r = d.value_heads / d.key_heads;
  const auto proj = torch::matmul(x, w.in_proj.t());  // (B, T, 2K + 2V + 2Hv)
  const auto parts = proj.split_with_sizes({d.conv_dim(), d.value_dim(), hv, hv}, -1);
  // Depthwise causal conv over each channel's past (zeros before position 0), then SiLU: (B, T, 2K + V).
  auto qkv = torch::conv1d(parts[0].transpose(1, 2), w.conv1d, {}, 1, d.conv_kernel - 1, 1, d.conv_dim());
  qkv = torch::silu(qkv.narrow(2, 0, t)).transpose(1, 2);
  const auto beta = torch::sigmoid(parts[2]);  // (B, T, Hv)
  // The log-decay per step, in fp32: -exp(A_log) * softplus(a + dt_bias).
  const auto g = -w.A_log.to(torch::kFloat32).exp() * F::softplus(parts[3].to(torch::kFloat32) + w.dt_bias);
  torch::Tensor core;  // (B, T, Hv, Dv)
  if (fused::enabled(fused::Kernel::kDeltaRule, qkv) && fused::gated_delta_rule_supports(d.key_head_dim, d.value_head_dim)) {
    core = fused::gated_delta_rule(qkv, g, beta, d.key_heads, hv, d.key_head_dim, d.value_head_dim);
  } else {
    const auto qkv_parts = qkv.split_with_sizes({d.key_dim(), d.key_dim(), d.value_dim()}, -1);
    auto q = qkv_parts[0].reshape({b, t, d.key_heads, d.key_head_dim}).repeat_interleave(r, 2);  // (B, T, Hv, Dk)
    auto k = qkv_parts[1].reshape({b, t, d.key_heads, d.key_head_dim}).repeat_interleave(r, 2);  // (B, T, Hv, Dk)
    const auto v = qkv_parts[2].reshape({b, t, hv, d.value_head_dim});                         // (B, T, Hv, Dv)
    core = chunk_gated_delta_rule(q, k, v, g, beta, GatedDeltaNetDims::kChunk);
  }
  const auto z = parts[1].reshape({b, t, hv, d.value_head_dim});
  const auto normed = gated_rms_norm(core, z, w.norm, eps).reshape({b, t, d.value_dim()});
  return torch::matmul(normed, w.out_proj.t());  // (B, T, D)
}

}  // namespace icsweep
