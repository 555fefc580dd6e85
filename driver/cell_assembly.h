// Turns a cell's per-sample scores into its CellResult: per-sample rows in sample order, aggregates
// in float64 in sample order (bit-identical for any rank count), the published columns (§1.5).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/store/cell_result.h"
#include "driver/plan.h"

namespace icsweep {

// Scores of one cell, indexed by record position (same indexing as TokenizedDataset::ids).
struct CellScores {
  std::vector<bool> scored;              // true once the sample's result arrived
  std::vector<int64_t> n_tokens;
  std::vector<double> nll_bits;
  std::vector<std::vector<float>> token_nll_bits;  // only with per_token
  std::map<size_t, std::string> failed;  // record position -> error message
  std::string weights_digest;            // of the weights the results were scored with (worker)

  explicit CellScores(size_t samples = 0)
      : scored(samples, false), n_tokens(samples, 0), nll_bits(samples, 0.0), token_nll_bits(samples) {}
};

struct SweepProvenance {
  std::map<std::string, std::string> attributes;  // version, commit, hosts, devices, config text, ...
};

// Builds the finished cell's result. Samples with < 2 ids are status too_short, bad records
// bad_record, failed ones failed; only ok samples enter the aggregates.
CellResult assemble_cell(const CellPlan& cell, const CellScores& scores, const Settings& settings,
                         const SweepProvenance& provenance);

// The published columns, aggregates, bias and FLOPs of `out` from its /samples rows (ok rows only, in
// sample order) and the plan's derived settings; status failed (no_samples) when no row is ok.
void derive_published(const CellPlan& cell, const Settings& settings, CellResult* out);

// A finished cell whose derived settings changed (bias, series, size, FLOPs profile or attention):
// its published numbers recomputed from the stored rows, without scoring.
void rederive_cell(const CellPlan& cell, const Settings& settings, CellResult* stored);

// Stores the plan's identity (and fingerprint) in the cell's attributes.
void set_identity_attributes(const CellPlan& cell, CellResult* out);

// A cell that could not run at all (model/tokenizer/dataset failure): status failed, errors table.
CellResult assemble_failed_cell(const CellPlan& cell, const std::string& kind, const std::string& message,
                                const Settings& settings, const SweepProvenance& provenance);

}  // namespace icsweep
