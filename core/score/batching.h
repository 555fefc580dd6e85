// Deterministic token-budgeted batches (docs/design.md §2.2): fixed by the data alone, never by the
// number of ranks, so per-sample results do not depend on how the sweep is launched.
//
// Every way a batch is split, from the plan down to the logits. None changes which samples are scored
// or how a sample's NLL is summed (float64, in token order, per sample); what a split can change is the
// shape of a GEMM, and in bf16/fp16 a GEMM of another shape may round a sample's NLL differently in the
// last bits (docs/design.md §2.2; README "Sweep file"). Only the token budget is in a cell's identity.
//
//   split            where                                  decided by                             results
//   ---------------  -------------------------------------  -------------------------------------  ----------------
//   token budget     plan_batches (here), called by         settings.tokens_per_batch, else        fixed by data +
//                    driver/plan.cpp tokenize_and_batch      default_token_budget: 32768 with a     budget; part of
//                                                            CUDA worker, 4096 without              the identity
//   replica parts    replica_parts, ReplicatedScorer::score  the worker's owned devices / the       last bits only
//                    (core/score/replicated_scorer.h)        model's gpus (core/score/devices.h)    (smaller GEMMs)
//   memory groups    forward_groups, TorchScorer::score      ScorerOptions::max_forward_tokens:     last bits only
//                    (core/score/scorer.h)                   free GPU memory after the load         (smaller GEMMs)
//                                                            (automatic_forward_tokens); CPU: none
//   logit chunks     score_unchecked's lm_head loop          ScorerOptions::logits_chunk_bytes:     none: the rows
//                    (core/score/scorer.cpp)                 256 MiB CPU / 2 GiB CUDA of fp32       per chunk follow
//                                                            logits, over 4 x V_tok per row         from V_tok and
//                                                                                                   the device kind
//   retry halving    Scheduler::retry_in_halves             a failed batch of several samples      last bits only,
//                    (driver/scheduler.h)                    (OOM, a bad sample): halves until      after a failure
//                                                            the failing sample is alone
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
