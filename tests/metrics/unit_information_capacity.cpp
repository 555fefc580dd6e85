// IC arithmetic and the published columns (docs/design.md §1.2, §1.5).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/common/errors.h"
#include "core/metrics/information_capacity.h"

namespace icsweep {
namespace {

TEST(RoundTo2Decimals, MatchesPythonRoundOnExactBinaryValue) {
  // Python's round(x, 2) rounds the exact binary value, ties to even (Python docs, round(): "2.675
  // gives 2.67 ... because most decimal fractions can't be represented exactly as a float").
  EXPECT_EQ(round_to_2_decimals(0.125), 0.12);    // exact tie -> even
  EXPECT_EQ(round_to_2_decimals(0.375), 0.38);    // exact tie -> even
  EXPECT_EQ(round_to_2_decimals(-0.125), -0.12);
  EXPECT_EQ(round_to_2_decimals(2.675), 2.67);    // binary 2.67499999999999982236...
  EXPECT_EQ(round_to_2_decimals(1.005), 1.0);     // binary 1.00499999999999989341...
  EXPECT_EQ(round_to_2_decimals(34.945), 34.95);  // binary 34.94500000000000028421...
  EXPECT_EQ(round_to_2_decimals(34.955), 34.95);  // binary 34.95499999999999829469...
  EXPECT_EQ(round_to_2_decimals(8.345), 8.35);    // binary 8.34500000000000063948...
  EXPECT_EQ(round_to_2_decimals(0.285), 0.28);    // binary 0.28499999999999997557...
  EXPECT_EQ(round_to_2_decimals(34.9451), 34.95);
  EXPECT_EQ(round_to_2_decimals(2.5), 2.5);
  EXPECT_EQ(round_to_2_decimals(1e20), 1e20);
  EXPECT_TRUE(std::isnan(round_to_2_decimals(NAN)));
}

TEST(InformationCapacity, DesignExampleRow) {
  // docs/design.md §1.5: b = -24, constant 34.95, NLL 3.98853, TFLOPs 1.000647688192 (T = 1024) -> ic 0.23311.
  // By hand: N = 1.000647688192e12 / 1024 = 977,195,008; log2 N = 29 + log2(977,195,008 / 2^29)
  //        = 29 + log2(1.82017...) = 29.86407; ic = (34.95 - 3.98853 - 24) / 29.86407 = 6.96147 / 29.86407
  //        = 0.233105; unbiased (34.95 - 3.98853) / 29.86407 = 1.036746.
  const PublishedRow row = make_published_row("Hunyuan-0.5B", "Hunyuan", "0.5B", "mixed_text", 1024, 120818,
                                              34.9512, 3.98853, 1000647688192.0, 1024, -24.0);
  EXPECT_EQ(row.constant, 34.95);
  EXPECT_NEAR(row.ic, 0.23311, 5e-6);
  EXPECT_NEAR(row.information_capacity, 1.036746, 5e-6);
  EXPECT_DOUBLE_EQ(row.entropy_gain, 34.95 - 3.98853);
  EXPECT_DOUBLE_EQ(row.bf16_tflops, 1.000647688192);
  EXPECT_DOUBLE_EQ(row.uniform_entropy, std::log2(120818.0));
  EXPECT_EQ(row.seq_len, 1024);
  EXPECT_EQ(row.data_name, "mixed_text");
  EXPECT_NEAR(information_capacity(34.95, 3.98853, -24, 977195008.0), 0.23311, 5e-6);
}

TEST(InformationCapacity, RejectsNonsenseFlops) {
  EXPECT_THROW(information_capacity(1, 1, 0, 1.0), Error);
  EXPECT_THROW(information_capacity(1, 1, 0, NAN), Error);
  EXPECT_THROW(make_published_row("m", "s", "", "d", 1024, 100, 1, 1, 1e12, 0, -27), Error);
}

TEST(PublishedColumns, AreTheReferenceTableInOrder) {
  int count = 0;
  const char* const* names = published_column_names(&count);
  const char* expected[] = {"model_name", "model_series", "model_size", "data_name", "seq_len",
                            "uniform_entropy", "constant", "conditional_entropy", "entropy_gain",
                            "BF16_TFLOPs", "information_capacity", "ic"};
  ASSERT_EQ(count, 12);
  for (int i = 0; i < count; ++i) EXPECT_EQ(std::string(names[i]), expected[i]) << i;
}

}  // namespace
}  // namespace icsweep
