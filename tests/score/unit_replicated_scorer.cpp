// Replicas: which devices each copy of a model gets, how a batch is shared among the copies
// (hand values), and that copies on the CPU score a batch as one scorer does, in the batch's order.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <unistd.h>

#include "core/common/errors.h"
#include "core/score/devices.h"
#include "core/score/replicated_scorer.h"
#include "demo_tools/tiny_model.h"
#include "score/random_sequences.h"
#include "test_paths.h"

namespace icsweep {
namespace {

using Parts = std::vector<std::pair<size_t, size_t>>;
using Lists = std::vector<std::string>;

TEST(ReplicaDevices, ConsecutiveGroupsOfOwnedDevices) {
  const Lists owned = {"cuda:1", "cuda:3", "cuda:5", "cuda:7"};  // worker 1 of 2 on 8 GPUs
  EXPECT_EQ(replica_devices(owned, 1, 8), owned);
  EXPECT_EQ(replica_devices(owned, 2, 8), (Lists{"cuda:1,cuda:3", "cuda:5,cuda:7"}));
  EXPECT_EQ(replica_devices(owned, 4, 8), (Lists{"cuda:1,cuda:3,cuda:5,cuda:7"}));
  // 3 owned, gpus 2: one copy on the first two, cuda:6 idle.
  EXPECT_EQ(replica_devices({"cuda:0", "cuda:3", "cuda:6"}, 2, 8), (Lists{"cuda:0,cuda:3"}));
  EXPECT_EQ(replica_devices({"cuda:0", "cuda:3", "cuda:6"}, 3, 8), (Lists{"cuda:0,cuda:3,cuda:6"}));
}

TEST(ReplicaDevices, FewerOwnedThanNeededBorrowsTheNextGpusAsBefore) {
  EXPECT_EQ(replica_devices({"cuda:1"}, 2, 2), (Lists{"cuda:1,cuda:0"}));
  EXPECT_EQ(replica_devices({"cuda:1", "cuda:3"}, 3, 8), (Lists{"cuda:1,cuda:2,cuda:3"}));
  EXPECT_THROW(replica_devices({"cuda:0"}, 3, 2), UsageError);
  EXPECT_THROW(replica_devices({}, 1, 0), Error);
}

TEST(ReplicaDevices, ACpuWorkerRunsOneCopy) {
  EXPECT_EQ(replica_devices({"cpu"}, 1, 0), (Lists{"cpu"}));
  EXPECT_EQ(replica_devices({"cpu"}, 3, 0), (Lists{"cpu,cpu,cpu"}));
}

TEST(ReplicaCount, OwnedDevicesPerCopy) {
  EXPECT_EQ(replica_count(4, 2), 2);
  EXPECT_EQ(replica_count(8, 3), 2);
  EXPECT_EQ(replica_count(3, 2), 1);
  EXPECT_EQ(replica_count(1, 2), 1);
  EXPECT_EQ(replica_count(5, 1), 5);
  EXPECT_EQ(replica_count(1, 1), 1);
}

TEST(ReplicaParts, CutsNearEqualTokenShares) {
  EXPECT_EQ(replica_parts({10, 10, 10, 10}, 2), (Parts{{0, 2}, {2, 4}}));
  // Longest first (as batches are): 20 ids, cut after 8 (|8 - 10| < |14 - 10|).
  EXPECT_EQ(replica_parts({8, 6, 4, 2}, 2), (Parts{{0, 1}, {1, 4}}));
  // Shares 10 and 20 of 30: cuts after 8+3 = 11 and 8+3+3+3+3 = 20.
  EXPECT_EQ(replica_parts({8, 3, 3, 3, 3, 3, 3, 2, 2}, 3), (Parts{{0, 2}, {2, 5}, {5, 9}}));
  // One long sequence: every later part still gets one.
  EXPECT_EQ(replica_parts({100, 1, 1, 1}, 4), (Parts{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  EXPECT_EQ(replica_parts({100, 1, 1, 1}, 2), (Parts{{0, 1}, {1, 4}}));
}

TEST(ReplicaParts, NoMorePartsThanSequences) {
  EXPECT_EQ(replica_parts({5, 4}, 4), (Parts{{0, 1}, {1, 2}}));
  EXPECT_EQ(replica_parts({5}, 4), (Parts{{0, 1}}));
  EXPECT_EQ(replica_parts({5, 4, 3}, 1), (Parts{{0, 3}}));
  EXPECT_TRUE(replica_parts({}, 3).empty());
}

// A replica that records the ids it was given and waits (up to 10 s) until every replica of the
// batch is inside score(): a combination that scored the parts one after another would time out.
// Its score of a sequence: n_tokens = length - 1, nll_bits = 1000 * replica + the first id.
struct Rendezvous {
  std::mutex mutex;
  std::condition_variable all_in;
  int inside = 0, expected = 0;
};

class FakeReplica final : public Scorer {
 public:
  FakeReplica(int index, Rendezvous* rendezvous, std::vector<std::vector<int32_t>>* seen)
      : index_(index), rendezvous_(rendezvous), seen_(seen) {
    info_.load_seconds = 1.0 + index;
  }

  std::vector<SequenceScore> score(const std::vector<std::vector<int32_t>>& sequences) override {
    *seen_ = sequences;
    {
      std::unique_lock<std::mutex> lock(rendezvous_->mutex);
      ++rendezvous_->inside;
      rendezvous_->all_in.notify_all();
      if (!rendezvous_->all_in.wait_for(lock, std::chrono::seconds(10),
                                        [&] { return rendezvous_->inside >= rendezvous_->expected; }))
        throw ScoreError("replica " + std::to_string(index_) + " scored alone: the parts did not run concurrently", false);
    }
    if (fail_with_out_of_memory_) throw ScoreError("replica " + std::to_string(index_) + " out of memory", true);
    std::vector<SequenceScore> out;
    for (const auto& s : sequences) {
      SequenceScore score;
      score.n_tokens = static_cast<int64_t>(s.size()) - 1;
      score.nll_bits = 1000.0 * index_ + s.front();
      out.push_back(score);
    }
    return out;
  }
  void set_per_token(bool) override {}
  const ScorerModelInfo& model_info() const override { return info_; }
  const ScorerOptions& options() const override { return options_; }

  bool fail_with_out_of_memory_ = false;

 private:
  int index_;
  Rendezvous* rendezvous_;
  std::vector<std::vector<int32_t>>* seen_;
  ScorerModelInfo info_;
  ScorerOptions options_;
};

TEST(CombinedReplicas, EachReplicaScoresItsPartConcurrently) {
  Rendezvous rendezvous;
  rendezvous.expected = 3;
  std::vector<std::vector<std::vector<int32_t>>> seen(3);
  std::vector<std::unique_ptr<Scorer>> replicas;
  for (int i = 0; i < 3; ++i) replicas.push_back(std::make_unique<FakeReplica>(i, &rendezvous, &seen[i]));
  auto combined = combine_replicas(std::move(replicas));
  EXPECT_EQ(combined->model_info().replicas, 3);
  EXPECT_EQ(combined->model_info().load_seconds, 3.0) << "the longest of the concurrent loads";
  // Six sequences of 3 ids: two per replica.
  const std::vector<std::vector<int32_t>> batch = {{10, 0, 0}, {11, 0, 0}, {12, 0, 0}, {13, 0, 0}, {14, 0, 0}, {15, 0, 0}};
  const auto got = combined->score(batch);
  EXPECT_EQ(seen[0], (std::vector<std::vector<int32_t>>{batch[0], batch[1]}));
  EXPECT_EQ(seen[1], (std::vector<std::vector<int32_t>>{batch[2], batch[3]}));
  EXPECT_EQ(seen[2], (std::vector<std::vector<int32_t>>{batch[4], batch[5]}));
  std::vector<double> bits;
  for (const auto& s : got) bits.push_back(s.nll_bits);
  EXPECT_EQ(bits, (std::vector<double>{10, 11, 1012, 1013, 2014, 2015}));
}

TEST(CombinedReplicas, TheLowestFailingReplicasErrorIsRethrownAfterAllEnded) {
  Rendezvous rendezvous;
  rendezvous.expected = 3;
  std::vector<std::vector<std::vector<int32_t>>> seen(3);
  std::vector<std::unique_ptr<Scorer>> replicas;
  for (int i = 0; i < 3; ++i) {
    auto fake = std::make_unique<FakeReplica>(i, &rendezvous, &seen[i]);
    fake->fail_with_out_of_memory_ = i >= 1;
    replicas.push_back(std::move(fake));
  }
  auto combined = combine_replicas(std::move(replicas));
  try {
    combined->score({{1, 2}, {3, 4}, {5, 6}});
    ADD_FAILURE() << "two replicas failed, the batch did not";
  } catch (const ScoreError& e) {
    EXPECT_TRUE(e.out_of_memory());
    EXPECT_STREQ(e.what(), "replica 1 out of memory");
  }
  EXPECT_THROW(combine_replicas({}), Error);
}

class ReplicatedScorerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TinyModelOptions tiny;
    // ctest runs this suite's tests as parallel processes: each its own copy, or one process's setup
    // deletes the model another is loading.
    tiny.out_dir = testing::scratch_dir("replicated_scorer_model." + std::to_string(::getpid()));
    tiny.seed = 11;
    make_tiny_model(tiny);
    model_dir_ = new std::string(tiny.out_dir);
  }
  static void TearDownTestSuite() { delete model_dir_; }

  static ScorerOptions options() {
    ScorerOptions o;
    o.model_dir = *model_dir_;
    o.dtype = "float32";
    o.per_token = true;
    return o;
  }

  static std::vector<std::vector<int32_t>> sequences(const std::vector<int>& lengths, int64_t vocab, unsigned seed) {
    return testing::random_sequences(lengths, vocab, seed);
  }

  static std::string* model_dir_;
};
std::string* ReplicatedScorerTest::model_dir_ = nullptr;

// fp32 on the CPU: a part is a smaller (B, T) batch than the whole, and GEMMs of other shapes may
// sum in another order (blocking, threads), so per-sequence sums may differ in the last bits. 1e-4
// bits per sequence is far below what a wrong sequence or order changes (bits per token).
constexpr double kBitsTolerance = 1e-4;

TEST_F(ReplicatedScorerTest, TwoCopiesScoreEqualLengthSequencesAsOneScorer) {
  auto one = Scorer::create(options());
  auto two = create_replicated_scorer(options(), {"cpu", "cpu"});
  EXPECT_EQ(two->model_info().replicas, 2);
  EXPECT_EQ(one->model_info().replicas, 1);
  // Equal lengths: each part is padded to the same T as the whole batch.
  const auto batch = sequences({9, 9, 9, 9, 9, 9}, one->options().vocab_limit, 1);
  const auto a = one->score(batch), b = two->score(batch);
  ASSERT_EQ(a.size(), batch.size());
  ASSERT_EQ(b.size(), batch.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].n_tokens, 8) << i;
    EXPECT_NEAR(a[i].nll_bits, b[i].nll_bits, kBitsTolerance) << i;
    ASSERT_EQ(b[i].token_nll_bits.size(), 8u) << i;
    for (size_t t = 0; t < 8; ++t) EXPECT_NEAR(a[i].token_nll_bits[t], b[i].token_nll_bits[t], kBitsTolerance) << i << "," << t;
  }
}

TEST_F(ReplicatedScorerTest, ResultsKeepTheBatchOrder) {
  auto one = Scorer::create(options());
  auto three = create_replicated_scorer(options(), {"cpu", "cpu", "cpu"});
  // Distinct lengths (longest first, as batches are): n_tokens alone shows where each result came from.
  const auto batch = sequences({17, 13, 11, 8, 6, 5, 3, 2}, one->options().vocab_limit, 2);
  const auto got = three->score(batch);
  ASSERT_EQ(got.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto alone = one->score({batch[i]});
    EXPECT_EQ(got[i].n_tokens, static_cast<int64_t>(batch[i].size()) - 1) << i;
    EXPECT_NEAR(got[i].nll_bits, alone[0].nll_bits, kBitsTolerance) << i;
    EXPECT_EQ(got[i].token_nll_bits.size(), batch[i].size() - 1) << i;
  }
  // Fewer sequences than copies, and one.
  const auto pair = three->score({batch[3], batch[0]});
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_EQ(pair[0].n_tokens, 7);
  EXPECT_EQ(pair[1].n_tokens, 16);
  ASSERT_EQ(three->score({batch[1]}).size(), 1u);
}

TEST_F(ReplicatedScorerTest, PerTokenReachesEveryCopy) {
  auto two = create_replicated_scorer(options(), {"cpu", "cpu"});
  const auto batch = sequences({6, 6, 6, 6}, two->options().vocab_limit, 3);
  two->set_per_token(false);
  for (const auto& s : two->score(batch)) EXPECT_TRUE(s.token_nll_bits.empty());
  two->set_per_token(true);
  for (const auto& s : two->score(batch)) EXPECT_EQ(s.token_nll_bits.size(), 5u);
}

TEST_F(ReplicatedScorerTest, ACopysFailureIsRethrownAsItWasThrown) {
  auto two = create_replicated_scorer(options(), {"cpu", "cpu"});
  // The one-id sequence lands in the second copy's part.
  auto batch = sequences({6, 6, 6, 6}, two->options().vocab_limit, 4);
  batch[3].resize(1);
  EXPECT_THROW(two->score(batch), ScoreError);
  // Loading: a bad device list in the second copy, a model directory that is not one.
  EXPECT_THROW(create_replicated_scorer(options(), {"cpu", "cpu,gpu7"}), ScoreError);
  ScorerOptions missing = options();
  missing.model_dir = testing::scratch_dir("replicated_scorer_no_model");
  EXPECT_THROW(create_replicated_scorer(missing, {"cpu", "cpu"}), ModelError);
  EXPECT_THROW(create_replicated_scorer(options(), {}), Error);
}

TEST_F(ReplicatedScorerTest, OneDeviceListGivesAPlainScorer) {
  auto one = create_replicated_scorer(options(), {"cpu"});
  EXPECT_EQ(one->model_info().replicas, 1);
  EXPECT_EQ(one->options().device, "cpu");
}

}  // namespace
}  // namespace icsweep
