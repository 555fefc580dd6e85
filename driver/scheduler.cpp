#include "driver/scheduler.h"

#include <algorithm>
#include <cmath>

#include "core/common/errors.h"

namespace icsweep {

Scheduler::Scheduler(const SweepPlan& plan, const std::vector<int>& workers)
    : plan_(plan), states_(plan.cells.size()) {
  for (int w : workers) load_[w] = 0;
}

void Scheduler::open_cell(const CellPlan& cell) {
  CellState& state = states_.at(cell.cell);
  state.scores = CellScores(cell.data->ids.size());
  state.replayed.assign(cell.data->ids.size(), false);
  for (const auto& b : cell.batches) state.remaining += static_cast<int64_t>(b.members.size());
}

void Scheduler::queue_unscored(const CellPlan& cell) {
  const CellState& state = states_.at(cell.cell);
  for (size_t b = 0; b < cell.batches.size(); ++b) {
    WorkItem item{cell.cell, static_cast<int64_t>(b), {}};
    for (int64_t m : cell.batches[b].members)
      if (!state.scores.scored[m]) item.members.push_back(m);
    if (!item.members.empty()) queue_.push_back(std::move(item));
  }
}

size_t Scheduler::position_of(const CellPlan& cell, int64_t sample_index) const {
  const auto& records = cell.data->contents->records;
  const auto it = std::lower_bound(records.begin(), records.end(), sample_index,
                                   [](const TextRecord& r, int64_t s) { return r.sample_index < s; });
  if (it == records.end() || it->sample_index != sample_index)
    throw Error("result for unknown sample " + std::to_string(sample_index) + " of cell " + cell.key);
  return static_cast<size_t>(it - records.begin());
}

void Scheduler::apply_scores(const CellPlan& cell, const ResultMessage& result, bool this_run) {
  CellState& state = states_.at(cell.cell);
  if (state.scores.weights_digest.empty()) state.scores.weights_digest = result.weights_digest;
  for (size_t i = 0; i < result.sample_index.size(); ++i) {
    const size_t p = position_of(cell, result.sample_index[i]);
    if (state.scores.scored[p] || state.scores.failed.count(p)) continue;
    if (result.n_tokens[i] != static_cast<int64_t>(cell.data->ids[p].size()) - 1)
      throw Error("result for sample " + std::to_string(result.sample_index[i]) + " of " + cell.key +
                  " scored a different number of tokens than planned");
    if (!std::isfinite(result.nll_bits[i])) {  // never an ok sample: the sample fails, naming the model
      state.scores.failed[p] = "non-finite NLL (" + std::to_string(result.nll_bits[i]) + " bits) from model " +
          cell.model.name + " (" + cell.model.path + ", dtype " + cell.model.dtype + "): its weights or "
          "activations hold NaN/Inf; check the checkpoint, or score float16 models in bfloat16/float32";
      --state.remaining;
      continue;
    }
    state.scores.scored[p] = true;
    state.replayed[p] = !this_run;
    state.scores.n_tokens[p] = result.n_tokens[i];
    state.scores.nll_bits[p] = result.nll_bits[i];
    if (!result.token_offsets.empty())
      state.scores.token_nll_bits[p].assign(result.token_nll_bits.begin() + result.token_offsets[i],
                                            result.token_nll_bits.begin() + result.token_offsets[i + 1]);
    --state.remaining;
    if (this_run) {
      state.run_nll += result.nll_bits[i];
      state.run_tokens += static_cast<double>(result.n_tokens[i]);
      state.run_samples += 1;
    }
  }
}

void Scheduler::fail_sample(int64_t cell, int64_t position, const std::string& error) {
  CellState& state = states_.at(cell);
  state.scores.failed[position] = error;
  --state.remaining;
}

void Scheduler::forget_replayed(const CellPlan& cell) {
  CellState& state = states_.at(cell.cell);
  state.scores.weights_digest.clear();
  for (size_t b = 0; b < cell.batches.size(); ++b) {
    WorkItem item{cell.cell, static_cast<int64_t>(b), {}};
    for (int64_t m : cell.batches[b].members) {
      if (!state.replayed[m]) continue;
      state.replayed[m] = state.scores.scored[m] = false;
      state.scores.token_nll_bits[m].clear();
      ++state.remaining;
      item.members.push_back(m);
    }
    if (!item.members.empty()) queue_.push_back(std::move(item));
  }
}

bool Scheduler::ready_to_finish(int64_t cell) const {
  const CellState& state = states_.at(cell);
  return !state.finished && state.remaining <= 0;
}

void Scheduler::mark_finished(int64_t cell) { states_.at(cell).finished = true; }

int64_t Scheduler::pending_tokens(const CellPlan& cell) const {
  int64_t tokens = 0;
  const CellState& state = states_.at(cell.cell);
  for (size_t i = 0; i < cell.data->ids.size(); ++i)
    if (!state.scores.scored[i] && cell.data->ids[i].size() >= 2) tokens += static_cast<int64_t>(cell.data->ids[i].size()) - 1;
  return tokens;
}

std::optional<Dispatch> Scheduler::next_dispatch(Clock::time_point now) {
  while (!queue_.empty()) {
    int best = -1;
    for (const auto& [worker, load] : load_)
      if (load < kBatchesInFlightPerWorker && (best < 0 || load < load_[best])) best = worker;
    if (best < 0) return std::nullopt;
    WorkItem item = std::move(queue_.front());
    queue_.pop_front();
    if (states_.at(item.cell).finished) continue;  // e.g. its model failed meanwhile
    if (load_[best]++ == 0) busy_since_[best] = now;
    const int64_t work_id = next_work_id_++;
    in_flight_[work_id] = {best, item};
    return Dispatch{best, work_id, std::move(item)};
  }
  return std::nullopt;
}

WorkItem Scheduler::answered(int worker, int64_t work_id, Clock::time_point now) {
  const auto it = in_flight_.find(work_id);
  if (it == in_flight_.end()) throw Error("rank " + std::to_string(worker) + " answered unknown work " + std::to_string(work_id));
  WorkItem item = std::move(it->second.second);
  in_flight_.erase(it);
  --load_[worker];
  busy_since_[worker] = now;  // it answered: the next batch's clock starts
  return item;
}

void Scheduler::retry_in_halves(WorkItem item) {
  const size_t half = item.members.size() / 2;
  WorkItem second{item.cell, item.batch, {item.members.begin() + half, item.members.end()}};
  item.members.resize(half);
  queue_.push_front(std::move(second));
  queue_.push_front(std::move(item));
}

std::optional<HungWorker> Scheduler::hung_worker(Clock::time_point now, double timeout_seconds) const {
  for (const auto& [worker, load] : load_) {
    if (load == 0) continue;
    const double waited = std::chrono::duration<double>(now - busy_since_.at(worker)).count();
    if (waited < timeout_seconds) continue;
    for (const auto& [work_id, entry] : in_flight_)  // lowest work id: sent first
      if (entry.first == worker) return HungWorker{worker, waited, entry.second};
  }
  return std::nullopt;
}

}  // namespace icsweep
