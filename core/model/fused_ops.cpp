#include "core/model/fused_ops.h"

#include <cstdlib>
#include <sstream>
#include <string>

#include "core/common/errors.h"

#ifdef ICSWEEP_FUSED_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "core/model/cuda/fused_kernels.h"
#endif
#include "core/model/cuda/gated_delta_rule.h"  // torch- and CUDA-free: its supports() is asked in any build

namespace icsweep::fused {
namespace {

const char* kernel_name(Kernel kernel) {
  switch (kernel) {
    case Kernel::kNorm: return "norm";
    case Kernel::kRope: return "rope";
    case Kernel::kSilu: return "silu";
    case Kernel::kNll: return "nll";
    case Kernel::kExperts: return "experts";
    case Kernel::kDeltaRule: return "deltarule";
  }
  return "?";
}

// ICSWEEP_FUSED, read once: unset, "" or "1" -> all on; "0" -> all off; else the listed ones on.
bool switched_on(Kernel kernel) {
  static const std::string setting = [] {
    const char* value = std::getenv("ICSWEEP_FUSED");
    return std::string(value ? value : "1");
  }();
  // The delta-rule kernel has not yet run on a GPU (tests/model/gpu_gated_delta_rule.cpp is written, not
  // yet passed): on only where ICSWEEP_FUSED lists it, until that test and the hybrid bf16 parity pass.
  const bool opt_in = kernel == Kernel::kDeltaRule;
  if (setting.empty() || setting == "1") return !opt_in;
  if (setting == "0") return false;
  std::stringstream list(setting);
  for (std::string item; std::getline(list, item, ',');)
    if (item == kernel_name(kernel)) return true;
  return false;
}

[[maybe_unused, noreturn]] void not_built(const char* what) {
  throw ModelError(std::string("fused ") + what + " called in a build without the CUDA kernels");
}

#ifdef ICSWEEP_FUSED_CUDA
cuda_kernels::DType kernel_dtype(const torch::Tensor& x) {
  switch (x.scalar_type()) {
    case torch::kBFloat16: return cuda_kernels::DType::kBFloat16;
    case torch::kHalf: return cuda_kernels::DType::kFloat16;
    default: return cuda_kernels::DType::kFloat32;
  }
}

void* stream_of(const torch::Tensor& x) { return c10::cuda::getCurrentCUDAStream(x.device().index()).stream(); }

void check(const char* error, const char* what) {
  if (error)
    throw ModelError(std::string("fused CUDA kernel ") + what + " failed: " + error +
                     " (built for the GPU architectures in ICSWEEP_CUDA_ARCHITECTURES; rebuild with this GPU's, "
                     "or set ICSWEEP_FUSED=0 to run the eager ops)");
}
#endif

}  // namespace

bool enabled(Kernel kernel, const torch::Tensor& x) {
#ifdef ICSWEEP_FUSED_CUDA
  const auto dtype = x.scalar_type();
  return x.is_cuda() && (dtype == torch::kFloat32 || dtype == torch::kBFloat16 || dtype == torch::kHalf) &&
         !(x.requires_grad() && torch::GradMode::is_enabled()) && switched_on(kernel);
#else
  (void)switched_on;
  return false;
#endif
}

torch::Tensor rms_norm(const torch::Tensor& x_in, const torch::Tensor& weight, double eps) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(x_in.device());
  const auto x = x_in.contiguous();
  const auto w = weight.to(x.scalar_type()).contiguous();
  auto out = torch::empty_like(x);
  const int64_t width = x.size(-1);
  check(cuda_kernels::rms_norm(kernel_dtype(x), x.data_ptr(), nullptr, nullptr, w.data_ptr(), out.data_ptr(),
                               x.numel() / width, width, static_cast<float>(eps), stream_of(x)),
        "rms_norm");
  return out;
#else
  not_built("rms_norm");
#endif
}

std::pair<torch::Tensor, torch::Tensor> add_rms_norm(const torch::Tensor& x_in, const torch::Tensor& delta_in,
                                                     const torch::Tensor& weight, double eps) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(x_in.device());
  const auto x = x_in.contiguous(), delta = delta_in.contiguous();
  const auto w = weight.to(x.scalar_type()).contiguous();
  auto sum = torch::empty_like(x), out = torch::empty_like(x);
  const int64_t width = x.size(-1);
  check(cuda_kernels::rms_norm(kernel_dtype(x), x.data_ptr(), delta.data_ptr(), sum.data_ptr(), w.data_ptr(),
                               out.data_ptr(), x.numel() / width, width, static_cast<float>(eps), stream_of(x)),
        "add_rms_norm");
  return {sum, out};
#else
  not_built("add_rms_norm");
#endif
}

torch::Tensor rotary(const torch::Tensor& x_in, const torch::Tensor& cos_in, const torch::Tensor& sin_in) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(x_in.device());
  const auto x = x_in.stride(3) == 1 ? x_in : x_in.contiguous();
  const auto cos = cos_in.to(x.scalar_type()).contiguous(), sin = sin_in.to(x.scalar_type()).contiguous();
  // Written as (B, T, H, Dh) in memory, as eager torch writes x * cos + rotate_half(x) * sin for the
  // usual x (a view of the (B, T, H*Dh) projection): attention then returns its output in that layout
  // too, and the heads concatenate for o_proj without a copy.
  auto out = torch::empty({x.size(0), x.size(2), x.size(1), x.size(3)}, x.options()).transpose(1, 2);
  check(cuda_kernels::rotary(kernel_dtype(x), x.data_ptr(), x.stride(0), x.stride(1), x.stride(2), cos.data_ptr(),
                             sin.data_ptr(), out.data_ptr(), out.stride(0), out.stride(1), out.stride(2), x.size(0),
                             x.size(1), x.size(2), x.size(3), cos.size(-1), stream_of(x)),
        "rotary");
  return out;  // (B, H, T, Dh) view
#else
  not_built("rotary");
#endif
}

torch::Tensor silu_mul(const torch::Tensor& gate_up_in) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(gate_up_in.device());
  const auto gate_up = gate_up_in.contiguous();
  const int64_t f = gate_up.size(-1) / 2;
  auto sizes = gate_up.sizes().vec();
  sizes.back() = f;
  auto out = torch::empty(sizes, gate_up.options());
  check(cuda_kernels::silu_mul(kernel_dtype(gate_up), gate_up.data_ptr(), out.data_ptr(), gate_up.numel() / (2 * f), f,
                               stream_of(gate_up)),
        "silu_mul");
  return out;
#else
  not_built("silu_mul");
#endif
}

torch::Tensor nll_bits(const torch::Tensor& logits_in, const torch::Tensor& targets) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(logits_in.device());
  const auto logits = logits_in.stride(1) == 1 ? logits_in : logits_in.contiguous();
  const auto target = targets.to(torch::kInt64).contiguous();
  auto out = torch::empty({logits.size(0)}, logits.options().dtype(torch::kFloat32));
  check(cuda_kernels::nll_bits(kernel_dtype(logits), logits.data_ptr(), logits.stride(0), target.data_ptr<int64_t>(),
                               out.data_ptr<float>(), logits.size(0), logits.size(1), stream_of(logits)),
        "nll_bits");
  return out;
#else
  not_built("nll_bits");
#endif
}

bool gated_delta_rule_supports(int64_t key_dim, int64_t value_dim) {
  return cuda_kernels::gated_delta_rule_supports(key_dim, value_dim);
}

torch::Tensor gated_delta_rule(const torch::Tensor& qkv_in, const torch::Tensor& g_in, const torch::Tensor& beta_in,
                               int64_t key_heads, int64_t value_heads, int64_t key_dim, int64_t value_dim) {
#ifdef ICSWEEP_FUSED_CUDA
  const c10::cuda::CUDAGuard guard(qkv_in.device());
  const auto qkv = qkv_in.contiguous();
  const int64_t b = qkv.size(0), t = qkv.size(1);
  if (qkv.size(2) != 2 * key_heads * key_dim + value_heads * value_dim)
    throw ModelError("fused gated_delta_rule: qkv has " + std::to_string(qkv.size(2)) + " channels, not 2·Hk·Dk + Hv·Dv");
  const auto g = g_in.to(torch::kFloat32).contiguous(), beta = beta_in.to(torch::kFloat32).contiguous();
  auto out = torch::empty({b, t, value_heads, value_dim}, qkv.options());
  check(cuda_kernels::gated_delta_rule(kernel_dtype(qkv), qkv.data_ptr(), g.data_ptr<float>(), beta.data_ptr<float>(),
                                       out.data_ptr(), b, t, key_heads, value_heads, key_dim, value_dim, stream_of(qkv)),
        "gated_delta_rule");
  return out;
#else
  (void)qkv_in, (void)g_in, (void)beta_in, (void)key_heads, (void)value_heads, (void)key_dim, (void)value_dim;
  not_built("gated_delta_rule");
#endif
}

}  // namespace icsweep::fused
