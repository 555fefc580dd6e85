// One FP8 weight as it stays resident (1 byte per parameter plus its scales), its dequantization, and
// the e4m3 quantization of activations a w8a8 GEMM applies to its input. The formats: fp8_format.h.
//
// e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; normal values 2^(e-7) * (1 + m/8), subnormals
// 2^-6 * m/8, no infinities, 0x7F/0xFF NaN, largest finite 448. Values are held as uint8 codes (the
// libtorch icsweep builds against may lack a float8 dtype) and decoded through a 256-entry table, exact.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config/fp8_format.h"
#include "core/model/fp8_names.h"
#include "core/model/safetensors.h"

namespace icsweep {

inline constexpr double kE4m3Max = 448.0;

struct Fp8Weight {
  std::string name;              // "<m>.weight", for messages
  torch::Tensor codes;           // (R, C) uint8 e4m3fn codes
  torch::Tensor scale;           // fp32: (ceil(R/br), ceil(C/bc)) block, () tensor, (R, 1) channel
  Fp8Scales scales = Fp8Scales::kBlock;
  int64_t block_rows = 128, block_cols = 128;
  torch::Tensor activation_scale;  // () fp32 for static activations; undefined otherwise

  int64_t rows() const { return codes.size(0); }
  int64_t cols() const { return codes.size(1); }
  int64_t resident_bytes() const;  // codes + scale (+ activation scale) as held
};

// The fp32 value of every e4m3fn code: (256) on `device`.
torch::Tensor e4m3_table(torch::Device device);

// codes (any shape) uint8 -> fp32 values, exactly.
torch::Tensor decode_e4m3(const torch::Tensor& codes);

// x (fp32, |x| <= 448) rounded to the nearest e4m3fn value (ties to even), in fp32: what
// `x.to(torch.float8_e4m3fn).float()` gives, without a float8 dtype.
torch::Tensor round_to_e4m3(const torch::Tensor& x);

// fp8 value x its scale, per block (partial edge blocks), per tensor or per row, computed in fp32
// and cast to `dtype`: (R, C) on the codes' device.
torch::Tensor dequantize_fp8(const Fp8Weight& w, torch::ScalarType dtype);

// What a w8a8 FP8 linear does to its input x (..., K) before the GEMM, emulated in fp32 and returned
// in x's dtype (quantize, then dequantize): kGroup per token and `group` channels (the last group
// partial), s = max(amax, 1e-10) / 448; kToken per token, s = amax / 448 (1/448 for a zero row);
// kStatic s = `static_scale`; each x / s rounded to e4m3 (clamped to +-448), times s. kNone: x.
torch::Tensor quantize_activations(const torch::Tensor& x, Fp8Activations how, int64_t group,
                                   const torch::Tensor& static_scale);

// Reads `weight` (F8_E4M3 (R', C')) with its companions from the checkpoint per `format`:
// <m>.<format.scale_name> (required), the activation scale (static formats) and
// <m>.weight_shape_original (a padded compressed-tensors block weight: cropped to that shape).
// ModelError naming the file and tensor for a missing scale, a scale of the wrong shape or dtype.
Fp8Weight read_fp8_weight(const SafetensorsCheckpoint& checkpoint, const TensorEntry& weight,
                          const Fp8Format& format, torch::Device device);

}  // namespace icsweep
