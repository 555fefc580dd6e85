// MXFP4 (OCP microscaling FP4) expert matrices as the published gpt-oss checkpoints store them:
// `<name>_blocks` uint8 (E, R, G, 16) holds 32 e2m1 codes per (expert, row, group), two per
// byte with the low nibble first; `<name>_scales` uint8 (E, R, G) holds one e8m0 exponent per
// group (2^(s - 127)). Dequantized exactly as transformers' convert_moe_packed_tensors
// (integrations/mxfp4.py): value = e2m1 * 2^(s - 127), then the last two dims transposed, so a
// checkpoint row r becomes column r of the (E, G*32, R) result.
#pragma once

#include <torch/torch.h>

#include "core/model/safetensors.h"

namespace icsweep {

// The 16 e2m1 code points, code = sign << 3 | exponent << 1 | mantissa.
inline constexpr float kE2m1Values[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                          -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

// blocks: (E, R, G, 16) uint8, scales: (E, R, G) uint8, on any device -> (E, G*32, R) in `dtype`
// on `device`. Works one expert at a time, so the only temporaries are one expert's codes.
torch::Tensor dequantize_mxfp4(const torch::Tensor& blocks, const torch::Tensor& scales, torch::ScalarType dtype,
                               torch::Device device);

// The same from two safetensors entries (read in place from the mapping, no host copy); ModelError
// naming the tensor when either is not U8 or the shapes do not pair up.
torch::Tensor dequantize_mxfp4(const TensorEntry& blocks, const TensorEntry& scales, torch::ScalarType dtype,
                               torch::Device device);

}  // namespace icsweep
