#include "core/model/mxfp4.h"

#include <vector>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

torch::Tensor dequantize_mxfp4(const torch::Tensor& blocks, const torch::Tensor& scales, torch::ScalarType dtype,
                               torch::Device device) {
  TORCH_CHECK(blocks.dim() == 4 && blocks.size(3) == 16 && scales.dim() == 3 &&
                  blocks.sizes().slice(0, 3).equals(scales.sizes()),
              "dequantize_mxfp4: blocks (E, R, G, 16) and scales (E, R, G) expected");
  const int64_t experts = blocks.size(0), rows = blocks.size(1), groups = blocks.size(2);
  auto lut = torch::from_blob(const_cast<float*>(kE2m1Values), {16}, torch::kFloat32).to(device);  // (16)
  auto out = torch::empty({experts, groups * 32, rows}, torch::TensorOptions().dtype(dtype).device(device));
  for (int64_t e = 0; e < experts; ++e) {
    auto codes = blocks[e].to(device).to(torch::kInt64);                          // (R, G, 16)
    auto lo = lut.index_select(0, codes.bitwise_and(15).reshape({-1}));           // (R*G*16)
    auto hi = lut.index_select(0, codes.div(16, "floor").reshape({-1}));          // (R*G*16)
    auto values = torch::stack({lo, hi}, -1).view({rows, groups, 32});            // (R, G, 32), low nibble first
    // e8m0: 2^(s - 127) in fp32, as torch.ldexp computes it; the products are exact.
    auto scale = torch::pow(2.0, scales[e].to(device).to(torch::kFloat32) - 127.0);  // (R, G)
    values = (values * scale.unsqueeze(-1)).view({rows, groups * 32});             // (R, C)
    out[e].copy_(values.t());                                                      // (C, R)
  }
  return out;
}

torch::Tensor dequantize_mxfp4(const TensorEntry& blocks, const TensorEntry& scales, torch::ScalarType dtype,
                               torch::Device device) {
  for (const TensorEntry* e : {&blocks, &scales})
    if (e->dtype != StDtype::kU8)
      throw ModelError(*e->file + ": tensor '" + e->name + "' has dtype " + st_dtype_name(e->dtype) +
                       "; MXFP4 blocks and scales must be U8");
  const std::vector<int64_t> lead(blocks.shape.begin(), blocks.shape.end() - (blocks.shape.empty() ? 0 : 1));
  if (blocks.shape.size() != 4 || blocks.shape[3] != 16 || scales.shape != lead)
    throw ModelError(*blocks.file + ": MXFP4 tensors '" + blocks.name + "' " + shape_string(blocks.shape) + " and '" +
                     scales.name + "' " + shape_string(scales.shape) +
                     " do not pair up (expected (E, R, G, 16) blocks and (E, R, G) scales)");
  // Views of the read-only mapping; dequantize_mxfp4 only reads them.
  auto view = [](const TensorEntry& e) {
    return torch::from_blob(const_cast<uint8_t*>(e.data), e.shape, torch::TensorOptions().dtype(torch::kUInt8));
  };
  return dequantize_mxfp4(view(blocks), view(scales), dtype, device);
}

}  // namespace icsweep
