#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/score/batching.h"

namespace icsweep {
namespace {

TEST(Batching, LongestFirstWithinTokenBudget) {
  // lengths: 0:5 1:9 2:1 3:9 4:3 5:4; budget 20 -> [1,3] (2*9=18), [0,5] (2*5=10, +4 -> 15), ...
  const auto batches = plan_batches({5, 9, 1, 9, 3, 4}, 20);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].members, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(batches[0].max_length, 9);
  // 5 first, then 4 and 3: 3 * 5 = 15 <= 20; sample 2 (length 1) is never scored.
  EXPECT_EQ(batches[1].members, (std::vector<int64_t>{0, 5, 4}));
  EXPECT_EQ(batches[1].padded_tokens(), 15);
}

TEST(Batching, SampleLongerThanBudgetGetsItsOwnBatch) {
  const auto batches = plan_batches({100, 2, 2}, 10);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].members, (std::vector<int64_t>{0}));
  EXPECT_EQ(batches[1].members, (std::vector<int64_t>{1, 2}));
}

TEST(Batching, SameDataSameBatchesWhateverTheCaller) {
  const std::vector<int64_t> lengths = {7, 3, 7, 2, 8, 8, 1, 5};
  const auto a = plan_batches(lengths, 16);
  const auto b = plan_batches(lengths, 16);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].members, b[i].members);
  // Ties keep file order: 4 before 5, 0 before 2.
  EXPECT_EQ(a[0].members, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(a[1].members, (std::vector<int64_t>{0, 2}));
}

TEST(Batching, RejectsBudgetBelowTwo) { EXPECT_THROW(plan_batches({3}, 1), UsageError); }

}  // namespace
}  // namespace icsweep
