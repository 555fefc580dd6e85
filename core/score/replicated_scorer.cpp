#include "core/score/replicated_scorer.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <thread>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// Runs task(0..count-1), task 0 on the calling thread and the others on threads of their own; waits
// for all, then rethrows the lowest-numbered task's exception, if any.
void run_concurrently(size_t count, const std::function<void(size_t)>& task) {
  std::vector<std::exception_ptr> errors(count);
  auto guarded = [&](size_t i) {
    try {
      task(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < count; ++i) threads.emplace_back(guarded, i);
  guarded(0);
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

class ReplicatedScorer final : public Scorer {
 public:
  explicit ReplicatedScorer(std::vector<std::unique_ptr<Scorer>> replicas) : replicas_(std::move(replicas)) {
    info_ = replicas_.front()->model_info();
    for (const auto& r : replicas_) info_.load_seconds = std::max(info_.load_seconds, r->model_info().load_seconds);
    info_.replicas = static_cast<int>(replicas_.size());
  }

  std::vector<SequenceScore> score(const std::vector<std::vector<int32_t>>& sequences) override {
    std::vector<int64_t> lengths;
    for (const auto& s : sequences) lengths.push_back(static_cast<int64_t>(s.size()));
    const auto parts = replica_parts(lengths, static_cast<int>(replicas_.size()));
    if (parts.size() <= 1) return replicas_.front()->score(sequences);
    std::vector<std::vector<SequenceScore>> part_scores(parts.size());
    run_concurrently(parts.size(), [&](size_t i) {
      const auto [begin, end] = parts[i];
      const std::vector<std::vector<int32_t>> part(sequences.begin() + begin, sequences.begin() + end);
      part_scores[i] = replicas_[i]->score(part);
    });
    std::vector<SequenceScore> out;
    out.reserve(sequences.size());
    for (auto& scores : part_scores)
      for (auto& s : scores) out.push_back(std::move(s));
    return out;
  }

  void set_per_token(bool per_token) override {
    for (auto& r : replicas_) r->set_per_token(per_token);
  }
  const ScorerModelInfo& model_info() const override { return info_; }
  const ScorerOptions& options() const override { return replicas_.front()->options(); }

 private:
  std::vector<std::unique_ptr<Scorer>> replicas_;
  ScorerModelInfo info_;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> replica_parts(const std::vector<int64_t>& lengths, int replicas) {
  const size_t count = lengths.size();
  const size_t parts = std::min(count, static_cast<size_t>(std::max(1, replicas)));
  std::vector<int64_t> prefix(count + 1, 0);  // prefix[i]: ids in sequences [0, i)
  for (size_t i = 0; i < count; ++i) prefix[i + 1] = prefix[i] + lengths[i];
  std::vector<std::pair<size_t, size_t>> out;
  size_t begin = 0;
  for (size_t j = 1; j < parts; ++j) {
    const double share = static_cast<double>(prefix[count]) * j / parts;  // ids before the j-th cut
    size_t end = begin + 1;
    while (end < count && prefix[end] < share) ++end;
    if (end > begin + 1 && share - prefix[end - 1] < prefix[end] - share) --end;  // the nearer cut
    end = std::min(end, count - (parts - j));  // leave one sequence for each later part
    out.emplace_back(begin, end);
    begin = end;
  }
  if (count > 0) out.emplace_back(begin, count);
  return out;
}

std::unique_ptr<Scorer> combine_replicas(std::vector<std::unique_ptr<Scorer>> replicas) {
  if (replicas.empty()) throw Error("combine_replicas: no scorer to combine");
  for (const auto& r : replicas)
    if (!r) throw Error("combine_replicas: a replica is missing");
  if (replicas.size() == 1) return std::move(replicas.front());
  return std::make_unique<ReplicatedScorer>(std::move(replicas));
}

std::unique_ptr<Scorer> create_replicated_scorer(const ScorerOptions& options, const std::vector<std::string>& devices) {
  if (devices.empty()) throw Error("create_replicated_scorer: no device list for " + options.model_dir);
  std::vector<std::unique_ptr<Scorer>> replicas(devices.size());
  run_concurrently(devices.size(), [&](size_t i) {
    ScorerOptions replica = options;
    replica.device = devices[i];
    replicas[i] = Scorer::create(replica);
  });
  return combine_replicas(std::move(replicas));
}

}  // namespace icsweep
