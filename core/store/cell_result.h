// In-memory form of one (model, dataset) cell's results: exactly what a cell HDF5 file holds
// (docs/design.md §4). Written by rank 0 only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/metrics/information_capacity.h"

namespace icsweep {

// Per-sample status codes stored in /samples/status (int8); names in the column's
// attribute "status_names" (comma-separated, index = code).
enum class SampleStatus : int8_t { kOk = 0, kTooShort = 1, kBadRecord = 2, kFailed = 3 };
const char* sample_status_name(SampleStatus status);

// One row of /samples. Columns are equal-length 1-D datasets.
struct SampleRow {
  int64_t sample_index = 0;
  int64_t text_bytes = 0;            // UTF-8 bytes of decode(ids[1:])
  int64_t n_tokens = 0;              // scored tokens = L - 1
  double text_bits = 0;              // 8 * text_bytes
  double nll_bits = 0;               // sum of per-token NLL bits
  double text_bits_per_token = 0;    // text_bits / n_tokens
  double nll_bits_per_token = 0;     // nll_bits / n_tokens
  SampleStatus status = SampleStatus::kOk;
};

// One row of /errors: a bad record, a failed sample/batch, or a cell-level failure.
struct ErrorRow {
  int64_t sample_index = -1;  // -1 for cell-level errors
  int64_t line = 0;           // dataset line, 0 when not applicable
  std::string kind;           // e.g. invalid_json, out_of_memory, model_load
  std::string message;
};

struct CellResult {
  PublishedRow row;                    // the published columns, stored as attributes
  double constant_unrounded = 0;       // plain mean of text bits/token before rounding
  double bias = 0;
  double flops_per_token = 0;          // N of the profile used
  double ic_unrounded_constant = 0;    // biased ic computed with the unrounded constant
  std::string flops_profile;
  int64_t max_sample_length = 0;
  int64_t total_scored_tokens = 0;
  double total_nll_bits = 0;
  int64_t samples_scored = 0;
  int64_t samples_skipped = 0;         // fewer than 2 ids, bad records and failures
  std::string status = "ok";           // ok | failed
  // Provenance and anything else: string attributes on the root group (dtype, devices, hosts,
  // tokenizer/model fingerprints, icsweep version, git commit, config text, timestamps, ...).
  std::map<std::string, std::string> attributes;

  std::vector<SampleRow> samples;      // in sample_index order
  std::vector<ErrorRow> errors;

  // Optional /tokens: nll_bits of every scored token, flat, with CSR offsets (samples.size()+1).
  bool has_tokens = false;
  std::vector<float> token_nll_bits;
  std::vector<int64_t> token_offsets;
};

}  // namespace icsweep
