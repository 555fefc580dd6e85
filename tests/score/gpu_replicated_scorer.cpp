// Replicas on CUDA: two copies of a tiny model on cuda:0 (the one GPU of the test machine),
// scored from two threads at once, give what one copy on cuda:0 gives, in the batch's order. This is
// the threading path a worker owning several GPUs takes, with the copies' devices made equal.
#include <gtest/gtest.h>

#include "core/score/replicated_scorer.h"
#include "demo_tools/tiny_model.h"
#include "score/random_sequences.h"
#include "test_paths.h"

namespace icsweep {
namespace {

using testing::random_sequences;

TEST(GpuReplicatedScorer, TwoCopiesOnOneGpuScoreAsOneCopy) {
  TinyModelOptions tiny;
  tiny.out_dir = testing::scratch_dir("gpu_replicated_scorer_model");
  tiny.seed = 5;
  make_tiny_model(tiny);
  for (const std::string dtype : {"float32", "bfloat16"}) {
    ScorerOptions options;
    options.model_dir = tiny.out_dir;
    options.dtype = dtype;
    options.device = "cuda:0";
    auto one = Scorer::create(options);
    auto two = create_replicated_scorer(options, {"cuda:0", "cuda:0"});
    ASSERT_EQ(two->model_info().replicas, 2);
    // A part is a smaller batch than the whole (and a lone sequence an unpadded one), so GEMMs of other
    // shapes may round differently: bits per token, far below what another sequence's score differs by.
    const double per_token = dtype == "float32" ? 1e-5 : 2e-2;
    const auto batch = random_sequences(std::vector<int>(8, 33), one->options().vocab_limit, 1);
    for (int repeat = 0; repeat < 3; ++repeat) {  // several rounds of concurrent forwards
      const auto a = one->score(batch), b = two->score(batch);
      ASSERT_EQ(b.size(), batch.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(b[i].n_tokens, 32) << dtype << " " << i;
        EXPECT_NEAR(a[i].nll_bits, b[i].nll_bits, per_token * 32) << dtype << " " << i;
      }
    }
    // Distinct lengths: each result is its own sequence's.
    const auto mixed = random_sequences({40, 31, 20, 12, 9, 4}, one->options().vocab_limit, 2);
    const auto got = two->score(mixed);
    ASSERT_EQ(got.size(), mixed.size());
    for (size_t i = 0; i < mixed.size(); ++i) {
      EXPECT_EQ(got[i].n_tokens, static_cast<int64_t>(mixed[i].size()) - 1) << dtype << " " << i;
      EXPECT_NEAR(got[i].nll_bits, one->score({mixed[i]})[0].nll_bits, per_token * got[i].n_tokens) << dtype << " " << i;
    }
  }
}

}  // namespace
}  // namespace icsweep
