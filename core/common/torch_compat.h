// The one place that knows libtorch versions differ: Debian's 1.13 (CPU, CI) and 2.x with CUDA
// (GPU machine). Everything else calls these wrappers.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <limits>

namespace icsweep::compat {

inline constexpr bool kHasSdpa = TORCH_VERSION_MAJOR >= 2;

// Attention over (B, H, Tq, Dh) x (B, H, Tk, Dh) -> (B, H, Tq, Dh) with softmax scale 1/sqrt(Dh).
// `mask`: undefined for plain causal, else a bool (Tq, Tk) "may attend" mask. Softmax runs in fp32
// on the fallback path, as transformers' eager attention does.
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
  if (mask.defined()) return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false);
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
#else
  const int64_t tq = q.size(-2), tk = k.size(-2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat32) * scale;  // (B, H, Tq, Tk)
  torch::Tensor allowed = mask;
  if (!allowed.defined())
    allowed = torch::ones({tq, tk}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril(tk - tq);
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto probs = torch::softmax(scores, -1).to(q.scalar_type());
  return torch::matmul(probs, v);
#endif
}

// True when this libtorch was built with CUDA and a device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

}  // namespace icsweep::compat
