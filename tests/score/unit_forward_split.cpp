// Batches larger than the scorer's forward token limit are scored as consecutive forwards with the
// same results; the automatic limit follows its documented formula (hand-computed values).
#include <gtest/gtest.h>

#include <random>

#include "core/common/errors.h"
#include "core/score/scorer.h"
#include "demo_tools/tiny_model.h"
#include "test_paths.h"

namespace icsweep {
namespace {

TEST(ForwardSplit, SplitBatchGivesTheSameScoresAsOneForward) {
  TinyModelOptions tiny;
  tiny.out_dir = testing::scratch_dir("forward_split_model");
  tiny.seed = 5;
  make_tiny_model(tiny);
  ScorerOptions options;
  options.model_dir = tiny.out_dir;
  options.dtype = "float32";
  options.per_token = true;
  auto whole = Scorer::create(options);
  options.max_forward_tokens = 20;  // lengths 3..11: groups of one to six sequences, one alone over the limit
  auto split = Scorer::create(options);
  EXPECT_EQ(split->model_info().forward_token_limit, 20);
  EXPECT_EQ(whole->model_info().forward_token_limit, 0) << "no automatic limit on the CPU";

  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(whole->options().vocab_limit - 1));
  std::vector<std::vector<int32_t>> sequences;
  for (int length : {3, 4, 3, 11, 25, 5, 3, 9, 2, 6}) {
    sequences.emplace_back(length);
    for (auto& id : sequences.back()) id = token(rng);
  }
  const auto a = whole->score(sequences), b = split->score(sequences);
  ASSERT_EQ(a.size(), sequences.size());
  ASSERT_EQ(b.size(), sequences.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].n_tokens, b[i].n_tokens) << i;
    EXPECT_NEAR(a[i].nll_bits, b[i].nll_bits, 1e-4) << i;
    ASSERT_EQ(a[i].token_nll_bits.size(), b[i].token_nll_bits.size()) << i;
  }
}

TEST(ForwardSplit, ScorerOnACpuListedTwiceScoresAsOnOne) {
  TinyModelOptions tiny;
  tiny.out_dir = testing::scratch_dir("forward_split_devices_model");
  tiny.layers = 3;
  make_tiny_model(tiny);
  ScorerOptions options;
  options.model_dir = tiny.out_dir;
  options.dtype = "float32";
  auto one = Scorer::create(options);
  options.device = "cpu,cpu";
  auto two = Scorer::create(options);
  const std::vector<std::vector<int32_t>> sequences = {{1, 2, 3, 4, 5}, {7, 8, 9}};
  const auto a = one->score(sequences), b = two->score(sequences);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].nll_bits, b[i].nll_bits) << i;
  options.device = "cpu,gpu7";
  EXPECT_THROW(Scorer::create(options), ScoreError);
}

TEST(ForwardSplit, GroupsByHand) {
  // limit 20: 3,4,3 (3 x 4 = 12; adding 11 would make 4 x 11 = 44) | 11 | 25 alone | 5,3 (adding 9:
  // 3 x 9 = 27) | 9,2 (2 x 9 = 18; adding 6: 27) | 6.
  const std::vector<std::pair<size_t, size_t>> want = {{0, 3}, {3, 4}, {4, 5}, {5, 7}, {7, 9}, {9, 10}};
  EXPECT_EQ(forward_groups({3, 4, 3, 11, 25, 5, 3, 9, 2, 6}, 20), want);
  EXPECT_TRUE(forward_groups({}, 20).empty());
  EXPECT_EQ(forward_groups({1024, 1024}, 32768), (std::vector<std::pair<size_t, size_t>>{{0, 2}}));
}

TEST(ForwardSplit, AutomaticLimitByHand) {
  // 80 GiB free, hidden 3584, bf16, 2 GiB logits chunk: (80 - 2 - 0.5) GiB / (32 * 3584 * 2 B)
  // = 83,214,991,360 / 229,376 = 362,788 tokens (rounded down).
  EXPECT_EQ(automatic_forward_tokens(int64_t{80} << 30, 3584, 2, int64_t{2} << 30), 362788);
  // Nearly no room left: never below 2 tokens (one pair to score).
  EXPECT_EQ(automatic_forward_tokens(int64_t{1} << 30, 4096, 2, int64_t{2} << 30), 2);
}

}  // namespace
}  // namespace icsweep
