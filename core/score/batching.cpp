#include "core/score/batching.h"

#include <algorithm>
#include <numeric>

#include "core/common/errors.h"

namespace icsweep {

std::vector<BatchPlan> plan_batches(const std::vector<int64_t>& lengths, int64_t token_budget) {
  if (token_budget < 2) throw UsageError("token budget per batch must be at least 2, got " + std::to_string(token_budget));
  std::vector<int64_t> order;
  order.reserve(lengths.size());
  for (int64_t i = 0; i < static_cast<int64_t>(lengths.size()); ++i)
    if (lengths[i] >= 2) order.push_back(i);
  // Longest first keeps padding small: every later member is no longer than the first.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });

  std::vector<BatchPlan> batches;
  for (int64_t index : order) {
    if (!batches.empty()) {
      BatchPlan& open = batches.back();
      if (open.max_length * static_cast<int64_t>(open.members.size() + 1) <= token_budget) {
        open.members.push_back(index);
        continue;
      }
    }
    batches.push_back(BatchPlan{{index}, lengths[index]});
  }
  return batches;
}

}  // namespace icsweep
