// The driver's scheduling without a transport: which worker gets which batch, retries in halves,
// hung workers, and each cell's bookkeeping (scored, failed, replayed from the journal, finished).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "core/common/errors.h"
#include "driver/scheduler.h"

namespace icsweep {
namespace {

using Clock = Scheduler::Clock;

// One cell of `lengths.size()` samples (sample_index 10, 11, ...; ids of those lengths), planned
// as `batches` (record positions).
CellPlan make_cell(int64_t index, const std::vector<size_t>& lengths, const std::vector<std::vector<int64_t>>& batches) {
  auto contents = std::make_shared<DatasetContents>();
  auto data = std::make_shared<TokenizedDataset>();
  for (size_t i = 0; i < lengths.size(); ++i) {
    contents->records.push_back({static_cast<int64_t>(10 + i), static_cast<int64_t>(i + 1), 0, "text"});
    data->ids.push_back(std::vector<int32_t>(lengths[i], 1));
  }
  data->contents = contents;
  CellPlan cell;
  cell.cell = index;
  cell.key = "m__d" + std::to_string(index);
  cell.model.name = "m";
  cell.data = data;
  for (const auto& members : batches) cell.batches.push_back(BatchPlan{members, 0});
  return cell;
}

// A result scoring these record positions of `cell`, every sample at `bits` bits.
ResultMessage result_for(const CellPlan& cell, const std::vector<int64_t>& positions, double bits = 2.0) {
  ResultMessage r;
  for (int64_t p : positions) {
    r.sample_index.push_back(cell.data->contents->records[p].sample_index);
    r.n_tokens.push_back(static_cast<int64_t>(cell.data->ids[p].size()) - 1);
    r.nll_bits.push_back(bits);
  }
  return r;
}

TEST(Scheduler, HandsOutToTheLeastLoadedWorkerAtMostTwoEach) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 3, 3, 3, 3, 3}, {{0}, {1}, {2}, {3}, {4}, {5}}));
  Scheduler s(plan, {1, 2});
  s.open_cell(plan.cells[0]);
  s.queue_unscored(plan.cells[0]);
  const auto now = Clock::now();
  std::vector<int> workers;
  std::vector<int64_t> batches;
  while (auto d = s.next_dispatch(now)) {
    workers.push_back(d->worker);
    batches.push_back(d->item.batch);
  }
  EXPECT_EQ(workers, (std::vector<int>{1, 2, 1, 2}));     // least loaded, lowest rank on ties
  EXPECT_EQ(batches, (std::vector<int64_t>{0, 1, 2, 3}));  // plan order
  EXPECT_EQ(s.in_flight(), 4u);
  const WorkItem item = s.answered(2, 2, now);  // worker 2's first batch (work id 2) answered
  EXPECT_EQ(item.batch, 1);
  const auto next = s.next_dispatch(now);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->worker, 2);
  EXPECT_EQ(next->item.batch, 4);
  EXPECT_EQ(next->work_id, 5);  // a new id for every dispatch
  EXPECT_THROW(s.answered(1, 99, now), Error);
}

TEST(Scheduler, ACellFinishesWhenEverySampleIsScoredOrFailed) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {4, 3, 2}, {{0, 1}, {2}}));
  Scheduler s(plan, {1});
  const CellPlan& cell = plan.cells[0];
  s.open_cell(cell);
  EXPECT_EQ(s.cell(0).remaining, 3);
  EXPECT_EQ(s.pending_tokens(cell), 3 + 2 + 1);
  s.apply_scores(cell, result_for(cell, {0, 1}, 5.0), /*this_run=*/true);
  EXPECT_FALSE(s.ready_to_finish(0));
  s.fail_sample(0, 2, "boom");
  EXPECT_TRUE(s.ready_to_finish(0));
  EXPECT_EQ(s.cell(0).scores.failed.at(2), "boom");
  EXPECT_EQ(s.cell(0).run_nll, 10.0);
  EXPECT_EQ(s.cell(0).run_tokens, 5.0);
  EXPECT_EQ(s.cell(0).run_samples, 2.0);
  s.mark_finished(0);
  EXPECT_FALSE(s.ready_to_finish(0));
}

TEST(Scheduler, AFailedBatchIsRetriedInHalvesFirst) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 3, 3, 3, 3, 3}, {{0, 1, 2, 3, 4}, {5}}));
  Scheduler s(plan, {1});
  s.open_cell(plan.cells[0]);
  s.queue_unscored(plan.cells[0]);
  const auto now = Clock::now();
  const auto first = s.next_dispatch(now);
  ASSERT_TRUE(first);
  s.retry_in_halves(s.answered(1, first->work_id, now));
  const auto a = s.next_dispatch(now), b = s.next_dispatch(now);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->item.members, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(b->item.members, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(a->item.batch, 0);
  EXPECT_EQ(b->item.batch, 0);
}

TEST(Scheduler, ItemsOfAFinishedCellAreNotHandedOut) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 3}, {{0}, {1}}));
  plan.cells.push_back(make_cell(1, {3}, {{0}}));
  Scheduler s(plan, {1});
  for (const auto& c : plan.cells) {
    s.open_cell(c);
    s.queue_unscored(c);
  }
  s.mark_finished(0);  // e.g. its model failed
  const auto d = s.next_dispatch(Clock::now());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->item.cell, 1);
}

TEST(Scheduler, ReplayedSamplesAreNotQueuedUntilForgotten) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 4, 5}, {{0, 1, 2}}));
  const CellPlan& cell = plan.cells[0];
  Scheduler s(plan, {1});
  s.open_cell(cell);
  ResultMessage replayed = result_for(cell, {0, 2});
  replayed.weights_digest = "old";
  s.apply_scores(cell, replayed, /*this_run=*/false);
  EXPECT_EQ(s.cell(0).remaining, 1);
  EXPECT_EQ(s.cell(0).run_samples, 0.0);  // not this run's: not in the cross-check sums
  EXPECT_EQ(s.cell(0).scores.weights_digest, "old");
  s.queue_unscored(cell);
  const auto d = s.next_dispatch(Clock::now());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->item.members, std::vector<int64_t>{1});
  s.answered(1, d->work_id, Clock::now());

  s.forget_replayed(cell);  // their weights bytes changed
  EXPECT_EQ(s.cell(0).remaining, 3);
  EXPECT_EQ(s.cell(0).scores.weights_digest, "");
  const auto again = s.next_dispatch(Clock::now());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->item.members, (std::vector<int64_t>{0, 2}));
}

TEST(Scheduler, NonFiniteNllFailsTheSampleAndWrongTokenCountsAreErrors) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 3}, {{0, 1}}));
  const CellPlan& cell = plan.cells[0];
  Scheduler s(plan, {1});
  s.open_cell(cell);
  ResultMessage r = result_for(cell, {0, 1});
  r.nll_bits[1] = std::numeric_limits<double>::quiet_NaN();
  s.apply_scores(cell, r, /*this_run=*/true);
  EXPECT_TRUE(s.cell(0).scores.scored[0]);
  EXPECT_EQ(s.cell(0).scores.failed.count(1), 1u);
  EXPECT_EQ(s.cell(0).run_samples, 1.0);
  EXPECT_TRUE(s.ready_to_finish(0));

  Scheduler t(plan, {1});
  t.open_cell(cell);
  ResultMessage wrong = result_for(cell, {0});
  wrong.n_tokens[0] = 7;
  EXPECT_THROW(t.apply_scores(cell, wrong, true), Error);
  ResultMessage unknown = result_for(cell, {0});
  unknown.sample_index[0] = 99;
  EXPECT_THROW(t.apply_scores(cell, unknown, true), Error);
}

TEST(Scheduler, AWorkerSilentPastTheTimeoutIsHungWithItsOldestBatch) {
  SweepPlan plan;
  plan.cells.push_back(make_cell(0, {3, 3, 3}, {{0}, {1}, {2}}));
  Scheduler s(plan, {1, 2});
  s.open_cell(plan.cells[0]);
  s.queue_unscored(plan.cells[0]);
  const auto start = Clock::now();
  while (s.next_dispatch(start)) {
  }
  // Worker 1 holds batches 0 and 2, worker 2 batch 1; worker 1 answers batch 0 after 50 s.
  s.answered(1, 1, start + std::chrono::seconds(50));
  EXPECT_FALSE(s.hung_worker(start + std::chrono::seconds(59), 60));
  const auto hung = s.hung_worker(start + std::chrono::seconds(60), 60);
  ASSERT_TRUE(hung);
  EXPECT_EQ(hung->worker, 2);
  EXPECT_EQ(hung->oldest.batch, 1);
  const auto both = s.hung_worker(start + std::chrono::seconds(200), 60);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->worker, 1);  // the lowest rank first
  EXPECT_EQ(both->oldest.batch, 2);
  EXPECT_DOUBLE_EQ(both->waited_seconds, 150.0);
}

}  // namespace
}  // namespace icsweep
