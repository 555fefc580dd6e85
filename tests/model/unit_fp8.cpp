// FP8 weights (core/model/fp8_weight.h, fp8_store.h) on hand-made tensors; every expected value below
// is worked out by hand from the e4m3fn definition (sign, 4 exponent bits with bias 7, 3 mantissa bits).
#include <gtest/gtest.h>

#include <cmath>

#include "core/common/errors.h"
#include "core/model/fp8_store.h"
#include "core/model/fp8_weight.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

torch::Tensor codes(int64_t rows, int64_t cols, uint8_t fill) {
  return torch::full({rows, cols}, static_cast<int64_t>(fill), torch::kInt64).to(torch::kUInt8);
}

Fp8Weight block_weight(const std::string& name, int64_t rows, int64_t cols, std::vector<float> grid) {
  Fp8Weight w;
  w.name = name;
  w.codes = codes(rows, cols, 0x38);  // 1.0 everywhere
  const int64_t gr = (rows + 127) / 128, gc = (cols + 127) / 128;
  w.scale = torch::tensor(grid).view({gr, gc});
  return w;
}

float at(const torch::Tensor& t, int64_t r, int64_t c) { return t[r][c].item<float>(); }

TEST(Fp8, DecodesE4m3Codes) {
  auto v = decode_e4m3(torch::tensor({0x00, 0x01, 0x08, 0x38, 0x3C, 0x40, 0x7E, 0xB8, 0xC0}, torch::kInt64)
                           .to(torch::kUInt8));
  const float want[] = {0.0f, std::ldexp(1.0f, -9), std::ldexp(1.0f, -6), 1.0f, 1.5f, 2.0f, 448.0f, -1.0f, -2.0f};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(v[i].item<float>(), want[i]) << "code " << i;
  EXPECT_TRUE(std::isnan(decode_e4m3(torch::tensor({0x7F}, torch::kInt64).to(torch::kUInt8))[0].item<float>()));
}

TEST(Fp8, RoundsToNearestE4m3TiesToEven) {
  // 0.3 = 1.2 x 2^-2: step 2^-5, 9.6 steps -> 10 -> 0.3125; 1.0625 halfway 1 | 1.125 -> 1 (even);
  // 1.1875 halfway 1.125 | 1.25 -> 1.25; 17 (step 2) -> 8.5 steps -> 8 -> 16; 2^-10 halfway 0 | 2^-9 -> 0;
  // 3 x 2^-10 = 1.5 subnormal steps -> 2 -> 2^-8; 448 stays.
  auto x = torch::tensor({0.3f, 1.0625f, 1.1875f, 17.0f, std::ldexp(1.0f, -10), 3 * std::ldexp(1.0f, -10), 448.0f,
                          -0.3f, 0.0f});
  auto r = round_to_e4m3(x);
  const float want[] = {0.3125f, 1.0f, 1.25f, 16.0f, 0.0f, std::ldexp(1.0f, -8), 448.0f, -0.3125f, 0.0f};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(r[i].item<float>(), want[i]) << "x = " << x[i].item<float>();
}

TEST(Fp8, DequantizesBlocksWithPartialEdgeBlocks) {
  // 130 x 130 of 1.0 with a [128, 128] grid [[1, 2], [4, 8]]; one -2.0 (0xC0) in the bottom-right block.
  auto w = block_weight("m.weight", 130, 130, {1, 2, 4, 8});
  w.codes[129][128] = 0xC0;
  auto d = dequantize_fp8(w, torch::kFloat32);
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{130, 130}));
  EXPECT_EQ(at(d, 0, 0), 1.0f);
  EXPECT_EQ(at(d, 127, 127), 1.0f);
  EXPECT_EQ(at(d, 0, 128), 2.0f);
  EXPECT_EQ(at(d, 128, 127), 4.0f);
  EXPECT_EQ(at(d, 129, 129), 8.0f);
  EXPECT_EQ(at(d, 129, 128), -16.0f);
  EXPECT_EQ(d.sum().item<double>(), 128 * 128 * 1 + 128 * 2 * 2 + 2 * 128 * 4 + (2 * 2 - 1) * 8 - 16);
}

TEST(Fp8, DequantizesPerTensorAndPerChannel) {
  Fp8Weight t;
  t.codes = codes(2, 3, 0x40);  // 2.0
  t.scale = torch::tensor(0.5f).reshape({});
  t.scales = Fp8Scales::kTensor;
  EXPECT_TRUE(dequantize_fp8(t, torch::kFloat32).eq(1.0f).all().item<bool>());
  Fp8Weight c = t;
  c.scale = torch::tensor({3.0f, 0.25f}).view({2, 1});
  c.scales = Fp8Scales::kChannel;
  auto d = dequantize_fp8(c, torch::kBFloat16);
  EXPECT_EQ(d.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(at(d, 0, 2), 6.0f);
  EXPECT_EQ(at(d, 1, 0), 0.5f);
}

TEST(Fp8, QuantizesActivationsPerTokenGroup) {
  // Row 0: group 1 (128 channels) has amax 448 -> s = 1; group 2 (2 channels, partial) amax 896 -> s = 2.
  auto x = torch::zeros({2, 130});
  x[0][0] = 448.0f, x[0][1] = 0.3f, x[0][2] = 17.0f, x[0][128] = 896.0f, x[0][129] = 0.3f;
  x[1][5] = -0.3f;  // row 1: one value, its own amax: s = 0.3 / 448, x / s = -448 exactly representable
  auto q = quantize_activations(x, Fp8Activations::kGroup, 128, {});
  EXPECT_EQ(at(q, 0, 0), 448.0f);
  EXPECT_EQ(at(q, 0, 1), 0.3125f);
  EXPECT_EQ(at(q, 0, 2), 16.0f);
  EXPECT_EQ(at(q, 0, 128), 896.0f);
  EXPECT_EQ(at(q, 0, 129), 0.3125f);  // 0.15 -> 0.15625 (step 2^-6), x 2
  EXPECT_NEAR(at(q, 1, 5), -0.3f, 1e-7);
  EXPECT_EQ(at(q, 1, 0), 0.0f);
}

TEST(Fp8, QuantizesActivationsPerTokenAndStatic) {
  auto x = torch::tensor({448.0f, 0.3f, 0.0f, 0.0f}).view({2, 2});
  auto token = quantize_activations(x, Fp8Activations::kToken, 0, {});
  EXPECT_EQ(at(token, 0, 1), 0.3125f);
  EXPECT_EQ(at(token, 1, 0), 0.0f);  // an all-zero row stays zero
  auto fixed = quantize_activations(x, Fp8Activations::kStatic, 0, torch::tensor(0.5f));
  EXPECT_EQ(at(fixed, 0, 1), 0.3125f);  // 0.6 -> 0.625 (step 2^-4), x 0.5
  EXPECT_EQ(at(fixed, 0, 0), 224.0f);   // 896 clamped to 448, x 0.5
  EXPECT_TRUE(quantize_activations(x, Fp8Activations::kNone, 0, {}).equal(x));
}

TEST(Fp8, LayerOfTensorName) {
  EXPECT_EQ(layer_of_tensor("model.layers.12.mlp.experts.3.up_proj.weight"), 12);
  EXPECT_EQ(layer_of_tensor("transformer.h.3.attn.c_attn.weight"), 3);
  EXPECT_EQ(layer_of_tensor("lm_head.weight"), -1);
}

Fp8Format block_format() { return Fp8Format{"fp8", "weight_scale_inv"}; }

TEST(Fp8Store, PlaceholdersHoldNoMemoryUntilTheirLayerRuns) {
  Fp8Store store(block_format(), Fp8Mode::kDequant);
  auto w = store.add(block_weight("model.layers.3.self_attn.o_proj.weight", 130, 130, {1, 2, 4, 8}), torch::kFloat32);
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{130, 130}));
  EXPECT_EQ(w.data_ptr(), nullptr);
  auto row = w[129];  // a view taken at load (as unstacked experts are) sees the data later
  store.finish_loading();
  EXPECT_EQ(store.resident_bytes(), 130 * 130 + 4 * 4);
  {
    Fp8LayerScope scope(&store, 3);
    EXPECT_EQ(at(w, 129, 129), 8.0f);
    EXPECT_EQ(row[0].item<float>(), 4.0f);
  }
  EXPECT_EQ(w.data_ptr(), nullptr);
  EXPECT_EQ(Fp8Store::input_quantization(w), nullptr);  // dequant mode: inputs as they are
}

TEST(Fp8Store, FusesPartsWhoseBlocksDoNotAlign) {
  // q (130 rows) and k (70 rows) fused: k's blocks start at row 130, not on the 128-row grid.
  Fp8Store store(block_format(), Fp8Mode::kW8a8);
  auto q = store.add(block_weight("model.layers.0.self_attn.q_proj.weight", 130, 130, {1, 2, 4, 8}), torch::kFloat32);
  auto k = store.add(block_weight("model.layers.0.self_attn.k_proj.weight", 70, 130, {16, 32}), torch::kFloat32);
  torch::Tensor fused;
  fuse_rows({&q, &k}, fused);
  EXPECT_FALSE(q.defined());
  ASSERT_EQ(fused.sizes(), (std::vector<int64_t>{200, 130}));
  store.finish_loading();
  EXPECT_EQ(store.num_weights(), 2);
  EXPECT_EQ(store.resident_bytes(), 200 * 130 + 4 * 4 + 2 * 4);
  Fp8LayerScope scope(&store, 0);
  EXPECT_EQ(at(fused, 129, 0), 4.0f);
  EXPECT_EQ(at(fused, 130, 0), 16.0f);
  EXPECT_EQ(at(fused, 199, 129), 32.0f);
  const Fp8InputQuant* quant = Fp8Store::input_quantization(fused);
  ASSERT_NE(quant, nullptr);
  EXPECT_EQ(quant->how, Fp8Activations::kGroup);
  // linear() quantizes the input of an FP8 weight in w8a8 mode: 0.3 -> 0.3125 (amax 448 -> s = 1).
  auto x = torch::zeros({1, 130});
  x[0][0] = 448.0f, x[0][1] = 0.3f;
  auto y = linear(x, fused, torch::Tensor());
  EXPECT_EQ(y[0][0].item<float>(), 448.3125f);
}

}  // namespace
}  // namespace icsweep
