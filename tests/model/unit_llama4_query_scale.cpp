// llama4_query_scale (core/model/attention.h): transformers' get_llama_4_attn_scale by position.
// Expected values by hand: 1 + beta * ln(1 + floor(p / original)).
#include <gtest/gtest.h>

#include "core/model/attention.h"

namespace icsweep {
namespace {

TEST(Llama4QueryScale, OneBelowTheOriginalLengthThenLogarithmicPerBlock) {
  const auto scale = llama4_query_scale(20, 0.1, 8, torch::kCPU);  // (20)
  ASSERT_EQ(scale.sizes(), torch::IntArrayRef({20}));
  EXPECT_EQ(scale.scalar_type(), torch::kFloat32);
  for (int64_t p = 0; p < 8; ++p) EXPECT_EQ(scale[p].item<float>(), 1.0f) << p;
  // Positions 8..15: 1 + 0.1 ln 2 = 1.0693147; 16..19: 1 + 0.1 ln 3 = 1.1098612.
  for (int64_t p = 8; p < 16; ++p) EXPECT_NEAR(scale[p].item<float>(), 1.0693147, 1e-6) << p;
  for (int64_t p = 16; p < 20; ++p) EXPECT_NEAR(scale[p].item<float>(), 1.1098612, 1e-6) << p;
  // beta 0: no scaling anywhere.
  EXPECT_TRUE(torch::equal(llama4_query_scale(20, 0.0, 8, torch::kCPU), torch::ones({20})));
}

}  // namespace
}  // namespace icsweep
