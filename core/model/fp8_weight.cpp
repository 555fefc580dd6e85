#include "core/model/fp8_weight.h"

#include <cmath>
#include <limits>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

[[noreturn]] void fail(const TensorEntry& e, const std::string& what) {
  throw ModelError(*e.file + ": tensor '" + e.name + "' " + what);
}

// A view of the mapped bytes as uint8 (nothing copied).
torch::Tensor bytes_of(const TensorEntry& e) {
  return torch::from_blob(const_cast<uint8_t*>(e.data), e.shape, torch::TensorOptions().dtype(torch::kUInt8));
}

// A scale tensor in fp32 on `device`: F32 / BF16 / F16 as stored, one-byte UE8M0 (F8_E8M0 or U8) as 2^(b-127).
torch::Tensor read_scale(const TensorEntry& e, torch::Device device) {
  switch (e.dtype) {
    case StDtype::kF32:
    case StDtype::kBF16:
    case StDtype::kF16: return tensor_from_entry(e, torch::kFloat32, device);
    case StDtype::kF8E8M0:
    case StDtype::kU8: return torch::pow(2.0, bytes_of(e).to(device, torch::kFloat32) - 127.0);
    default: break;
  }
  fail(e, std::string("has dtype ") + st_dtype_name(e.dtype) +
              "; an FP8 scale is F32, BF16, F16 or UE8M0 (F8_E8M0 / U8)");
}

const TensorEntry& companion(const SafetensorsCheckpoint& checkpoint, const TensorEntry& weight,
                             const std::string& suffix, const std::string& why) {
  const TensorEntry* e = checkpoint.find(fp8_companion(weight.name, suffix));
  if (!e) fail(weight, "is F8_E4M3 but '" + fp8_companion(weight.name, suffix) + "' (" + why + ") is missing");
  return *e;
}

// The block / tensor / channel scale of `w` (stored shape `stored`), checked and cropped to w's grid.
torch::Tensor weight_scale(const TensorEntry& e, const Fp8Weight& w, const std::vector<int64_t>& stored,
                           torch::Device device) {
  auto s = read_scale(e, device);
  const int64_t r = w.rows(), c = w.cols();
  if (w.scales == Fp8Scales::kTensor) {
    if (s.numel() != 1) fail(e, "has shape " + shape_string(e.shape) + "; a per-tensor scale holds one value");
    return s.reshape({});
  }
  if (w.scales == Fp8Scales::kChannel) {
    if (s.numel() != r || (s.dim() == 2 && s.size(1) != 1) || s.dim() > 2)
      fail(e, "has shape " + shape_string(e.shape) + "; a per-channel scale is (" + std::to_string(r) + ", 1)");
    return s.reshape({r, 1});
  }
  const std::vector<int64_t> grid{cdiv(stored[0], w.block_rows), cdiv(stored[1], w.block_cols)};
  if (e.shape != grid)
    fail(e, "has shape " + shape_string(e.shape) + "; blocks of [" + std::to_string(w.block_rows) + ", " +
                std::to_string(w.block_cols) + "] over a " + shape_string(stored) + " weight make a " +
                shape_string(grid) + " grid");
  return s.narrow(0, 0, cdiv(r, w.block_rows)).narrow(1, 0, cdiv(c, w.block_cols)).contiguous();
}

}  // namespace

int64_t Fp8Weight::resident_bytes() const {
  int64_t bytes = codes.numel() + scale.numel() * static_cast<int64_t>(scale.element_size());
  if (activation_scale.defined()) bytes += activation_scale.numel() * activation_scale.element_size();
  return bytes;
}

torch::Tensor e4m3_table(torch::Device device) {
  float values[256];
  for (int code = 0; code < 256; ++code) {
    const int exponent = (code >> 3) & 15, mantissa = code & 7;
    float v = exponent == 0 ? std::ldexp(mantissa / 8.0f, -6) : std::ldexp(1.0f + mantissa / 8.0f, exponent - 7);
    if (exponent == 15 && mantissa == 7) v = std::numeric_limits<float>::quiet_NaN();
    values[code] = (code & 128) ? -v : v;
  }
  return torch::from_blob(values, {256}, torch::kFloat32)
      .to(device, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
}

torch::Tensor decode_e4m3(const torch::Tensor& codes) {
  auto flat = codes.reshape({-1}).to(torch::kInt64);
  return e4m3_table(codes.device()).index_select(0, flat).view(codes.sizes());
}

torch::Tensor round_to_e4m3(const torch::Tensor& x) {
  auto a = x.abs();
  auto exponent = std::get<1>(torch::frexp(a)) - 1;               // floor(log2 |x|) for x != 0
  auto step = torch::pow(2.0, (exponent.clamp_min(-6) - 3).to(torch::kFloat32));  // 3 mantissa bits; subnormals 2^-9
  return torch::copysign(torch::round(a / step) * step, x);       // round half to even, sign kept
}

torch::Tensor dequantize_fp8(const Fp8Weight& w, torch::ScalarType dtype) {
  auto v = decode_e4m3(w.codes);  // (R, C) fp32
  if (w.scales == Fp8Scales::kBlock) {
    auto s = w.scale.repeat_interleave(w.block_rows, 0).repeat_interleave(w.block_cols, 1);
    v = v * s.narrow(0, 0, w.rows()).narrow(1, 0, w.cols());
  } else {
    v = v * w.scale;  // () or (R, 1)
  }
  return v.to(dtype);
}

torch::Tensor quantize_activations(const torch::Tensor& x, Fp8Activations how, int64_t group,
                                   const torch::Tensor& static_scale) {
  if (how == Fp8Activations::kNone) return x;
  const int64_t k = x.size(-1);
  auto xf = x.to(torch::kFloat32).reshape({-1, k});  // (N, K)
  torch::Tensor q;
  if (how == Fp8Activations::kGroup) {
    const int64_t n = xf.size(0), pad = (group - k % group) % group;
    auto g = (pad ? torch::constant_pad_nd(xf, {0, pad}, 0) : xf).view({n, -1, group});  // (N, G, group)
    auto s = std::get<0>(g.abs().max(-1, /*keepdim=*/true)).clamp_min(1e-10) / kE4m3Max;  // (N, G, 1)
    q = (round_to_e4m3((g / s).clamp(-kE4m3Max, kE4m3Max)) * s).view({n, -1}).narrow(1, 0, k);
  } else if (how == Fp8Activations::kToken) {
    auto amax = std::get<0>(xf.abs().max(-1, /*keepdim=*/true));  // (N, 1)
    auto s = torch::where(amax > 0, amax, torch::ones_like(amax)) / kE4m3Max;
    q = round_to_e4m3((xf / s).clamp(-kE4m3Max, kE4m3Max)) * s;
  } else {
    auto s = static_scale.to(xf.device(), torch::kFloat32);
    q = round_to_e4m3((xf / s).clamp(-kE4m3Max, kE4m3Max)) * s;
  }
  return q.reshape(x.sizes()).to(x.scalar_type());
}

Fp8Weight read_fp8_weight(const SafetensorsCheckpoint& checkpoint, const TensorEntry& weight,
                          const Fp8Format& format, torch::Device device) {
  if (weight.dtype != StDtype::kF8E4M3)
    fail(weight, std::string("is ") + st_dtype_name(weight.dtype) + ", not F8_E4M3");
  if (weight.shape.size() != 2)
    fail(weight, "is an F8_E4M3 tensor of shape " + shape_string(weight.shape) + "; icsweep reads 2-D FP8 weights");
  Fp8Weight w;
  w.name = weight.name;
  w.scales = format.scales;
  w.block_rows = format.block_rows, w.block_cols = format.block_cols;
  const auto shape = fp8_logical_shape(checkpoint, weight);
  w.codes = bytes_of(weight).narrow(0, 0, shape[0]).narrow(1, 0, shape[1]).to(device, torch::kUInt8, false, true)
                .contiguous();  // (R, C)
  w.scale = weight_scale(companion(checkpoint, weight, format.scale_name, "its scale"), w, weight.shape, device);
  if (format.activations == Fp8Activations::kStatic) {
    const TensorEntry& a = companion(checkpoint, weight, format.act_scale_name, "its static activation scale");
    auto s = read_scale(a, device);
    if (s.numel() != 1) fail(a, "has shape " + shape_string(a.shape) + "; an activation scale holds one value");
    w.activation_scale = s.reshape({});
  }
  return w;
}

}  // namespace icsweep
