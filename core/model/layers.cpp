#include "core/model/layers.h"

#include <cmath>
#include <limits>

#include "core/common/errors.h"
#include "core/common/torch_compat.h"
#include "core/model/fp8_store.h"
#include "core/model/fused_ops.h"

namespace icsweep {

namespace {

// The fused rotary kernel's shapes: x (B, H, T, Dh), cos/sin (T, Dr) with even Dr <= Dh, one dtype.
bool fused_rotary_applies(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return x.dim() == 4 && cos.dim() == 2 && sin.sizes() == cos.sizes() && cos.size(0) == x.size(2) &&
         cos.size(1) <= x.size(3) && cos.size(1) % 2 == 0 && cos.scalar_type() == x.scalar_type() &&
         sin.scalar_type() == x.scalar_type() && fused::enabled(fused::Kernel::kRope, x);
}

bool fused_norm_applies(const torch::Tensor& x, const torch::Tensor& weight) {
  return weight.scalar_type() == x.scalar_type() && weight.dim() == 1 && weight.size(0) == x.size(-1) &&
         fused::enabled(fused::Kernel::kNorm, x);
}

}  // namespace

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (fused_norm_applies(x, weight)) return fused::rms_norm(x, weight, eps);
  auto h = x.to(torch::kFloat32);
  auto variance = h.pow(2).mean(-1, /*keepdim=*/true);
  h = h * torch::rsqrt(variance + eps);
  return weight * h.to(x.scalar_type());
}

torch::Tensor rope_inv_freq(const RopeConfig& rope, int64_t seq_len) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const double dim = static_cast<double>(rope.dim);
  auto exponents = torch::arange(0, rope.dim, 2, torch::TensorOptions().dtype(torch::kInt64)).to(torch::kFloat32) / dim;
  double base = rope.theta;
  if (rope.type == "dynamic") {
    // NTK-aware: grow the base once the sequence is longer than the trained context.
    const int64_t max_pos = rope.original_max_position_embeddings;
    const double len = static_cast<double>(std::max(seq_len, max_pos));
    base = base * std::pow(rope.factor * len / static_cast<double>(max_pos) - (rope.factor - 1.0), dim / (dim - 2.0));
  }
  auto inv_freq = 1.0 / torch::pow(base, exponents);  // (dim / 2)
  if (rope.type == "linear") return inv_freq / rope.factor;
  if (rope.type == "llama3") {
    const double old_len = static_cast<double>(rope.original_max_position_embeddings);
    const double low_freq_wavelen = old_len / rope.low_freq_factor;
    const double high_freq_wavelen = old_len / rope.high_freq_factor;
    auto wavelen = 2.0 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
    auto smooth = (old_len / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
    auto is_medium = (wavelen < high_freq_wavelen).logical_not() & (wavelen > low_freq_wavelen).logical_not();
    return torch::where(is_medium, smoothed, scaled);
  }
  if (rope.type == "yarn") {
    auto pos_freqs = torch::pow(base, torch::arange(0, rope.dim, 2, f32) / dim);
    auto extrapolation = 1.0 / pos_freqs;
    auto interpolation = 1.0 / (rope.factor * pos_freqs);
    auto correction_dim = [&](double rotations) {
      return dim * std::log(static_cast<double>(rope.original_max_position_embeddings) / (rotations * 2 * M_PI)) /
             (2 * std::log(base));
    };
    double low = correction_dim(rope.beta_fast), high = correction_dim(rope.beta_slow);
    if (rope.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, dim - 1);
    if (low == high) high += 0.001;  // transformers' singularity guard
    auto ramp = ((torch::arange(rope.dim / 2, f32) - low) / (high - low)).clamp(0, 1);
    auto extrapolation_factor = 1 - ramp;
    return interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
  return inv_freq;
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const RopeConfig& rope, int64_t seq_len,
                                                     torch::ScalarType dtype, torch::Device device) {
  auto inv_freq = rope_inv_freq(rope, seq_len).to(device);                                      // (dim / 2)
  auto positions = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  auto freqs = torch::outer(positions, inv_freq);                                               // (T, dim / 2)
  auto emb = torch::cat({freqs, freqs}, -1);                                                    // (T, dim)
  auto cos = emb.cos() * rope.attention_factor;
  auto sin = emb.sin() * rope.attention_factor;
  return {cos.to(dtype), sin.to(dtype)};
}

std::pair<torch::Tensor, torch::Tensor> add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                     const torch::Tensor& weight, double eps) {
  if (fused_norm_applies(x, weight) && delta.sizes() == x.sizes() && delta.scalar_type() == x.scalar_type())
    return fused::add_rms_norm(x, delta, weight, eps);
  auto sum = x + delta;
  return {sum, rms_norm(sum, weight, eps)};
}

torch::Tensor silu_mul(const torch::Tensor& gate_up) {
  if (gate_up.size(-1) % 2 == 0 && fused::enabled(fused::Kernel::kSilu, gate_up)) return fused::silu_mul(gate_up);
  auto parts = gate_up.chunk(2, -1);  // gate, up
  return torch::silu(parts[0]) * parts[1];
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (fused_rotary_applies(x, cos, sin)) return fused::rotary(x, cos, sin);
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, x.size(-1) - half);
  auto rotated = torch::cat({-x2, x1}, -1);
  return x * cos + rotated * sin;
}

torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep) { return compat::repeat_heads(x, n_rep); }

torch::Tensor attention_mask(int64_t seq_len, int64_t window, torch::Device device) {
  if (window <= 0 || seq_len <= window) return {};
  auto i = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
  auto j = i.transpose(0, 1);
  return (j <= i) & (j > i - window);  // (T, T)
}

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, std::optional<double> scale) {
  return compat::attention(q, k, v, mask, scale);
}

void fuse_rows(std::initializer_list<torch::Tensor*> parts, torch::Tensor& fused) {
  if (!(*parts.begin())->defined()) return;
  if (Fp8Store::fuse(parts, fused)) return;  // FP8 weights: fused at dequantization (fp8_store.h)
  std::vector<torch::Tensor> tensors;
  for (auto* p : parts) tensors.push_back(*p);
  fused = torch::cat(tensors, 0);
  for (auto* p : parts) *p = torch::Tensor();
}

torch::Tensor linear(const torch::Tensor& x_in, const torch::Tensor& weight, const torch::Tensor& bias) {
  // An FP8 weight of a w8a8 model: its input quantized to e4m3 first (the seam of a real FP8 GEMM).
  const Fp8InputQuant* fp8 = Fp8Store::input_quantization(weight);
  const torch::Tensor x = fp8 ? quantize_activations(x_in, fp8->how, fp8->group, fp8->static_scale) : x_in;
  if (!bias.defined()) return torch::matmul(x, weight.t());
  // addmm over the flattened rows: on CUDA the bias is added inside the GEMM (cuBLASLt epilogue, one
  // rounding, as nn.Linear in transformers) instead of by a second pass over the output.
  auto shape = x.sizes().vec();
  shape.back() = weight.size(0);
  return torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight.t()).view(shape);
}

torch::Tensor rms_norm_weight_fp32(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (weight * h).to(x.scalar_type());
}

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  return torch::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

torch::Tensor apply_partial_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t rotary = cos.size(-1), dh = x.size(-1);
  if (fused_rotary_applies(x, cos, sin)) return fused::rotary(x, cos, sin);
  if (rotary == dh) return apply_rotary(x, cos, sin);
  auto rotated = apply_rotary(x.narrow(-1, 0, rotary), cos, sin);
  return torch::cat({rotated, x.narrow(-1, rotary, dh - rotary)}, -1);
}

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
  if (name == "silu" || name == "swish") return torch::silu(x);
  if (name == "gelu") return torch::gelu(x);
  if (name == "gelu_pytorch_tanh") return torch::gelu(x, "tanh");
  if (name == "gelu_new" || name == "gelu_fast") {
    // NewGELUActivation / FastGELUActivation: the tanh approximation written out, as in GPT-2.
    const double k = std::sqrt(2.0 / M_PI);
    return 0.5 * x * (1.0 + torch::tanh(k * (x + 0.044715 * torch::pow(x, 3.0))));
  }
  if (name == "relu") return torch::relu(x);
  throw ModelError("activation '" + name + "' is not supported (supported: gelu, gelu_new, gelu_fast, " +
                   "gelu_pytorch_tanh, silu, swish, relu)");
}

torch::Tensor scaled_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, double scale, double softcap) {
  // Soft-capping needs the scores, so it stays eager.
  if (softcap <= 0) return compat::attention(q, k, v, mask, scale);
  const int64_t tq = q.size(-2), tk = k.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;  // (B, H, Tq, Tk)
  if (softcap > 0) scores = torch::tanh(scores / softcap) * softcap;
  torch::Tensor allowed = mask;
  if (!allowed.defined())
    allowed = torch::ones({tq, tk}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril(tk - tq);
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto probs = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
  return torch::matmul(probs, v);
}

torch::Tensor apply_interleaved_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t rotary = cos.size(-1), dh = x.size(-1);
  auto c = cos.narrow(-1, 0, rotary / 2).repeat_interleave(2, -1);  // (T, Dr): f0 f0 f1 f1 ...
  auto s = sin.narrow(-1, 0, rotary / 2).repeat_interleave(2, -1);
  auto xr = x.narrow(-1, 0, rotary);
  auto even = xr.slice(-1, 0, rotary, 2), odd = xr.slice(-1, 1, rotary, 2);  // (B, H, T, Dr / 2)
  auto rotated = torch::stack({-odd, even}, -1).flatten(-2);                // (-x1, x0, -x3, x2, ...)
  auto out = xr * c + rotated * s;
  if (rotary == dh) return out;
  return torch::cat({out, x.narrow(-1, rotary, dh - rotary)}, -1);
}

torch::Tensor apply_interleaved_rotary_fp32(const torch::Tensor& x, const torch::Tensor& cos,
                                            const torch::Tensor& sin) {
  return apply_interleaved_rotary(x.to(torch::kFloat32), cos, sin).to(x.scalar_type());
}

}  // namespace icsweep
