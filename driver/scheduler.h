// Which batch goes to which worker, and what is left of each cell: the driver's bookkeeping, without a
// transport (the driver's loop, driver/sweep_driver.cpp, sends what it hands out and feeds back what
// comes in; tests/driver/unit_scheduler.cpp drives it with made-up results).
//
// Pull scheduling: a queue of work items in plan order (model-major, so a worker rarely switches
// models), each handed to the least-loaded worker with fewer than kBatchesInFlightPerWorker batches.
// A failed batch of several samples is retried in halves at the front of the queue until the
// failing sample is alone (core/score/batching.h lists every way a batch is split).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driver/cell_assembly.h"
#include "driver/plan.h"
#include "protocol/messages.h"

namespace icsweep {

constexpr int kBatchesInFlightPerWorker = 2;

// Samples of one planned batch still to score (all of them, or a retried half).
struct WorkItem {
  int64_t cell = 0;
  int64_t batch = 0;             // index into the cell's plan batches
  std::vector<int64_t> members;  // record positions
};

struct CellState {
  CellScores scores;
  int64_t remaining = 0;  // members neither scored nor failed
  bool finished = false;  // its file is written (or it was resumed): nothing more is handed out
  std::vector<bool> replayed;  // by record position: scored by a journaled batch of an earlier run
  // This run's sums, for the cross-check against the workers' reduction.
  double run_nll = 0, run_tokens = 0, run_samples = 0;
};

// A work item handed to a worker under a new work id.
struct Dispatch {
  int worker = 0;
  int64_t work_id = 0;
  WorkItem item;
};

// A worker holding batches that has not answered for `waited_seconds`; `oldest` was sent first.
struct HungWorker {
  int worker = 0;
  double waited_seconds = 0;
  WorkItem oldest;
};

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // `workers`: the ranks that score. The plan must outlive the scheduler.
  Scheduler(const SweepPlan& plan, const std::vector<int>& workers);

  // --- cells ---
  // Starts the bookkeeping of a cell to score: nothing scored, every batch member remaining.
  void open_cell(const CellPlan& cell);
  // Queues, batch by batch, the members of the cell not scored yet.
  void queue_unscored(const CellPlan& cell);
  // Records a batch's scores (`this_run`: scored now, not replayed from the journal). A sample
  // already scored or failed is skipped; a non-finite NLL fails the sample.
  void apply_scores(const CellPlan& cell, const ResultMessage& result, bool this_run);
  void fail_sample(int64_t cell, int64_t position, const std::string& error);
  // Forgets the samples the cell took from the journal and queues them again.
  void forget_replayed(const CellPlan& cell);
  // Every member scored or failed, and the cell not finished yet: time to write its file.
  bool ready_to_finish(int64_t cell) const;
  void mark_finished(int64_t cell);
  const CellState& cell(int64_t cell) const { return states_.at(cell); }
  // Scored tokens of the samples the cell still needs (for the progress line's ETA).
  int64_t pending_tokens(const CellPlan& cell) const;

  // --- batches ---
  // The next queued item of an unfinished cell for the least-loaded worker with room; none when
  // the queue is empty or every worker is full.
  std::optional<Dispatch> next_dispatch(Clock::time_point now);
  // The item a worker answered for; its load drops and its clock restarts. Error for an unknown id.
  WorkItem answered(int worker, int64_t work_id, Clock::time_point now);
  // A failed item of several members: both halves go to the front of the queue, first half first.
  void retry_in_halves(WorkItem item);
  // The first worker (by rank) that has held batches for `timeout_seconds` without answering.
  std::optional<HungWorker> hung_worker(Clock::time_point now, double timeout_seconds) const;
  size_t in_flight() const { return in_flight_.size(); }

 private:
  size_t position_of(const CellPlan& cell, int64_t sample_index) const;

  const SweepPlan& plan_;
  std::vector<CellState> states_;  // by cell
  std::deque<WorkItem> queue_;
  std::map<int64_t, std::pair<int, WorkItem>> in_flight_;  // work id -> (worker, item)
  std::map<int, int> load_;                                // worker -> batches in flight
  std::map<int, Clock::time_point> busy_since_;            // since its oldest unanswered batch
  int64_t next_work_id_ = 1;
};

}  // namespace icsweep
