// The one place that knows libtorch versions differ: Debian's 1.13 (CPU, CI) and 2.x with CUDA
// (GPU machine). Everything else calls these wrappers.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <limits>
#include <optional>

namespace icsweep::compat {

// (B, Hkv, T, Dh) -> (B, Hkv * n_rep, T, Dh): each kv head repeated n_rep times in a row.
inline torch::Tensor repeat_heads(const torch::Tensor& x, int64_t n_rep) {
  if (n_rep == 1) return x;
  const auto b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3);
  return x.unsqueeze(2).expand({b, h, n_rep, t, d}).reshape({b, h * n_rep, t, d});
}

// Attention over (B, H, Tq, Dh) x (B, Hkv, Tk, Dh) -> (B, H, Tq, Dh) with softmax scale 1/sqrt(Dh);
// Hkv divides H (grouped-query attention: query head i uses kv head i / (H / Hkv)).
// `mask`: undefined for plain causal, else a bool (Tq, Tk) "may attend" mask. Softmax runs in fp32
// on the fallback path, as transformers' eager attention does.
// `scale` replaces 1/sqrt(Dh) when set.
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k_in, const torch::Tensor& v_in,
                               const torch::Tensor& mask, std::optional<double> scale = std::nullopt) {
  const int64_t n_rep = q.size(1) / k_in.size(1);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
  // Causal without a mask: the flash kernel reads the shared kv heads itself (no repeated copies).
  if (!mask.defined()) return at::scaled_dot_product_attention(q, k_in, v_in, {}, 0.0, true, scale, n_rep > 1);
#endif
  const auto k = repeat_heads(k_in, n_rep), v = repeat_heads(v_in, n_rep);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  if (mask.defined()) return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale);
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, scale);
#else
  const int64_t tq = q.size(-2), tk = k.size(-2);
  const double factor = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat32) * factor;  // (B, H, Tq, Tk)
  torch::Tensor allowed = mask;
  if (!allowed.defined())
    allowed = torch::ones({tq, tk}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril(tk - tq);
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto probs = torch::softmax(scores, -1).to(q.scalar_type());
  return torch::matmul(probs, v);
#endif
}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 8)
#define ICSWEEP_HAS_GROUPED_MM 1
#endif

// True when grouped_mm() runs on rows like `a`: torch >= 2.8 (at::_grouped_mm), CUDA, bf16.
inline bool grouped_mm_supported(const torch::Tensor& a) {
#ifdef ICSWEEP_HAS_GROUPED_MM
  return a.is_cuda() && a.scalar_type() == torch::kBFloat16;
#else
  (void)a;
  return false;
#endif
}

// One grouped GEMM over G groups of rows: rows offsets[g-1] <= r < offsets[g] of a (M, K) times
// b[g] (K, N) -> (M, N); offsets (G) int32 cumulative row ends on a's device (a group may be empty).
// Only where grouped_mm_supported(a).
inline torch::Tensor grouped_mm(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& offsets) {
#ifdef ICSWEEP_HAS_GROUPED_MM
  return at::_grouped_mm(a, b, offsets);
#else
  (void)b, (void)offsets;
  TORCH_CHECK(false, "grouped_mm needs libtorch >= 2.8 (this is ", TORCH_VERSION, ")");
  return a;
#endif
}

// True when this libtorch was built with CUDA and a device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

}  // namespace icsweep::compat
