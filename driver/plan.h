// The sweep plan (rank 0): cells = model x dataset in model-major order; every dataset read once,
// tokenized once per distinct tokenizer, truncated to max_sample_length; token-budgeted batches.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/hf_config.h"
#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "core/data/jsonl_dataset.h"
#include "core/score/batching.h"
#include "driver/cell_identity.h"

namespace icsweep {

// One dataset tokenized by one tokenizer. Vectors are indexed by record position (file order).
struct TokenizedDataset {
  std::shared_ptr<const DatasetContents> contents;
  std::vector<std::vector<int32_t>> ids;  // truncated ids with special tokens, per good record
  std::vector<int64_t> tail_bytes;        // UTF-8 bytes of decode(ids[1:]), per good record
  std::string tokenizer_fingerprint;
  int64_t tokenizer_size = 0;             // V_tok
};

struct CellPlan {
  int64_t cell = 0;              // position in model-major order
  ModelSpec model;               // dtype resolved (model.dtype_source says why)
  DatasetSpec dataset;
  std::string key;               // "<model>__<dataset>", also the cell file's stem
  std::string failure;           // non-empty: the cell cannot run (message for its errors table)
  std::string failure_kind;      // e.g. model_config, tokenizer, dataset
  HfConfig model_config;         // config.json
  std::string model_fingerprint;  // config.json + weights headers and sizes (model_files_digest)
  std::shared_ptr<const TokenizedDataset> data;
  std::vector<BatchPlan> batches;  // members index data->ids
  IdentityParts identity;        // every input that affects a sample's NLL (driver/cell_identity.h)
  std::string fingerprint;       // parts_digest(identity): the key of its journal records
  IdentityParts derived;         // settings that change only derived numbers (re-derived on resume)
};

struct SweepPlan {
  std::vector<CellPlan> cells;
  std::vector<std::string> warnings;  // for the log: e.g. bad dataset lines that were skipped
};

// A stop request (signal or stop file, driver/signals.h) arrived while planning: nothing to resume.
struct PlanInterrupted : Error {
  using Error::Error;
};

// Builds the plan. Per-cell problems (unreadable model config, tokenizer, dataset) become
// CellPlan::failure instead of exceptions, so one bad model never stops the sweep.
// `token_budget` > 0: padded tokens per batch. `threads`: tokenizer threads.
SweepPlan build_plan(const SweepConfig& config, int64_t token_budget, int threads);

// Rows of the model's input embedding per config.json (vocab_size, or text_config.vocab_size); 0
// when the config does not say.
int64_t embedding_rows(const HfConfig& model_config);

// Default token budget per batch when the sweep does not set one.
int64_t default_token_budget(bool workers_use_cuda);

// Forward FLOPs of scoring all of the cell's samples of 2 or more ids: the exact profile over their
// lengths (docs/design.md §1.4), or, where it does not apply (TorchScript), the cell's profile's N
// times their tokens. 0 for a failed cell. For estimates and the progress ETA.
double cell_scoring_flops(const CellPlan& cell, const std::string& default_profile, int64_t max_length);
// Samples of 2 or more ids and their scored tokens (L - 1 each) in the plan.
int64_t cell_scored_samples(const CellPlan& cell);
int64_t cell_scored_tokens(const CellPlan& cell);

}  // namespace icsweep
