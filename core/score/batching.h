// Deterministic token-budgeted batches (docs/design.md §2): fixed by the data alone, never by the number
// of ranks, so per-sample results do not depend on how the sweep is launched.
#pragma once

#include <cstdint>
#include <vector>

namespace icsweep {

struct BatchPlan {
  std::vector<int64_t> members;  // positions into the caller's sample list, longest first
  int64_t max_length = 0;        // T of the padded (B, T) batch
  int64_t padded_tokens() const { return max_length * static_cast<int64_t>(members.size()); }
};

// Sorts samples by length (longest first, ties by position) and packs them greedily so that
// B * T_max <= token_budget; a sample longer than the budget gets a batch of its own. Samples with
// length < 2 (nothing to score) are left out. lengths[i] is sample i's number of ids.
std::vector<BatchPlan> plan_batches(const std::vector<int64_t>& lengths, int64_t token_budget);

}  // namespace icsweep
