#include <gtest/gtest.h>

#include <cmath>

#include "core/common/errors.h"
#include "core/model/mxfp4.h"
#include "core/model/safetensors.h"

namespace icsweep {
namespace {

torch::Tensor u8(std::vector<int64_t> shape, std::vector<int64_t> values) {
  return torch::tensor(values, torch::kInt64).to(torch::kUInt8).view(shape);
}

// One block of 32 codes: bytes 0x21, 0xF9, 0x07, 0x8A, then zeros.
std::vector<int64_t> one_block() {
  std::vector<int64_t> bytes(16, 0);
  bytes[0] = 0x21;  // low nibble first: code 1 (+0.5), code 2 (+1.0)
  bytes[1] = 0xF9;  // code 9 (-0.5), code 15 (-6.0)
  bytes[2] = 0x07;  // code 7 (+6.0), code 0 (+0.0)
  bytes[3] = 0x8A;  // code 10 (-1.0), code 8 (-0.0)
  return bytes;
}

TEST(Mxfp4, DecodesNibblesLowFirstTimesTheE8m0Scale) {
  auto out = dequantize_mxfp4(u8({1, 1, 1, 16}, one_block()), u8({1, 1, 1}, {128}), torch::kFloat32, torch::kCPU);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, 32, 1}));
  const std::vector<float> expected = {1.0f, 2.0f, -1.0f, -12.0f, 12.0f, 0.0f, -2.0f, -0.0f};  // x 2^(128-127)
  for (int64_t c = 0; c < 32; ++c) {
    const float want = c < 8 ? expected[c] : 0.0f;
    EXPECT_EQ(out[0][c][0].item<float>(), want) << "column " << c;
  }
  EXPECT_TRUE(std::signbit(out[0][7][0].item<float>())) << "code 8 is -0.0";
}

TEST(Mxfp4, TransposesRowsIntoColumnsPerExpert) {
  // 2 experts x 2 rows x 2 groups: every byte 0x22 (both nibbles +1.0), so each value is its scale.
  std::vector<int64_t> bytes(2 * 2 * 2 * 16, 0x22);
  auto scales = u8({2, 2, 2}, {127, 126, 125, 130, 0, 127, 254, 128});
  auto out = dequantize_mxfp4(u8({2, 2, 2, 16}, bytes), scales, torch::kFloat32, torch::kCPU);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 64, 2}));  // (E, G*32, R)
  const double expect[2][2][2] = {{{1.0, 0.5}, {0.25, 8.0}},
                                  {{std::ldexp(1.0, -127), 1.0}, {std::ldexp(1.0, 127), 2.0}}};
  for (int64_t e = 0; e < 2; ++e)
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t c = 0; c < 64; ++c)
        ASSERT_EQ(out[e][c][r].item<float>(), static_cast<float>(expect[e][r][c / 32])) << e << " " << r << " " << c;
}

TEST(Mxfp4, ConvertsStraightToTheModelDtype) {
  auto out = dequantize_mxfp4(u8({1, 1, 1, 16}, one_block()), u8({1, 1, 1}, {126}), torch::kBFloat16, torch::kCPU);
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(out[0][3][0].item<float>(), -3.0f);  // -6.0 x 2^-1
}

TEST(Mxfp4, ReadsSafetensorsEntriesAndRejectsOtherDtypes) {
  std::string block_bytes;
  for (int64_t b : one_block()) block_bytes.push_back(static_cast<char>(b));
  const std::string bytes = safetensors_bytes({{"w_blocks", StDtype::kU8, {1, 1, 1, 16}, block_bytes},
                                               {"w_scales", StDtype::kU8, {1, 1, 1}, std::string(1, '\x7f')},
                                               {"f_scales", StDtype::kI8, {1, 1, 1}, std::string(1, '\x7f')},
                                               {"w_short", StDtype::kU8, {1, 2, 1}, std::string(2, '\x7f')}});
  auto entries = parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.safetensors");
  std::map<std::string, TensorEntry> by_name;
  const std::string file = "x.safetensors";
  for (auto& e : entries) {
    e.file = &file;
    by_name[e.name] = e;
  }
  auto out = dequantize_mxfp4(by_name["w_blocks"], by_name["w_scales"], torch::kFloat32, torch::kCPU);
  EXPECT_EQ(out[0][3][0].item<float>(), -6.0f);
  EXPECT_EQ(out[0][4][0].item<float>(), 6.0f);
  EXPECT_THROW(dequantize_mxfp4(by_name["w_blocks"], by_name["f_scales"], torch::kFloat32, torch::kCPU), ModelError);
  try {
    dequantize_mxfp4(by_name["w_blocks"], by_name["w_short"], torch::kFloat32, torch::kCPU);
    FAIL() << "mismatched scales accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("w_short"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep
