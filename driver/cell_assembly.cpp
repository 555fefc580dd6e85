#include "driver/cell_assembly.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/metrics/flops.h"
#include "core/metrics/information_capacity.h"

namespace icsweep {
namespace {

std::string utc_now() {
  char text[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

// The settings that only change derived numbers, from the plan (re-derivation reuses this).
void set_derived_fields(const CellPlan& cell, const Settings& settings, CellResult* out) {
  out->bias = cell.dataset.bias;
  out->flops_profile = cell.model.flops_profile.empty() ? settings.flops_profile : cell.model.flops_profile;
  out->row.model_name = cell.model.name;
  out->row.model_series = cell.model.series;
  out->row.model_size = cell.model.size;
  out->row.data_name = cell.dataset.name;
  out->row.seq_len = settings.max_sample_length;
  out->attributes["derived_settings"] = parts_to_json(cell.derived);
}

void fill_common(const CellPlan& cell, const Settings& settings, const SweepProvenance& provenance,
                 CellResult* out) {
  out->max_sample_length = settings.max_sample_length;
  out->attributes = provenance.attributes;
  out->attributes["model_path"] = cell.model.path;
  out->attributes["dataset_path"] = cell.dataset.path;
  out->attributes["text_field"] = cell.dataset.text_field;
  out->attributes["dtype"] = cell.model.dtype;
  out->attributes["dtype_source"] = cell.model.dtype_source;
  if (!cell.model.fp8_format.empty()) {  // an FP8 checkpoint: its format, how it computed, what it holds
    out->attributes["fp8_format"] = cell.model.fp8_format;
    out->attributes["fp8_mode"] = cell.model.fp8_mode;
    out->attributes["resident_weight_bytes"] = std::to_string(cell.model.resident_bytes);
  }
  out->attributes["model_fingerprint"] = cell.model_fingerprint;
  out->attributes["tokenizer_fingerprint"] = cell.data ? cell.data->tokenizer_fingerprint : "";
  out->attributes["finished_at"] = utc_now();
  // A trial (--limit N) scored only the first N records: "partial" keeps it from passing for a full cell.
  out->attributes["sample_limit"] = std::to_string(settings.sample_limit);
  out->attributes["partial"] = settings.sample_limit > 0 ? "true" : "false";
  set_identity_attributes(cell, out);
  set_derived_fields(cell, settings, out);
}

// The ok rows' sums in sample order (float64): the constant, NLL and FLOPs inputs.
struct OkSums {
  double text_bits_per_token = 0, nll_bits = 0;
  int64_t tokens = 0, samples = 0;
  std::vector<int64_t> scored_lengths;  // ids per scored sample (n_tokens + 1)
};

OkSums sum_ok_rows(const std::vector<SampleRow>& rows) {
  OkSums sums;
  for (const auto& row : rows) {
    if (row.status != SampleStatus::kOk) continue;
    sums.text_bits_per_token += row.text_bits_per_token;
    sums.nll_bits += row.nll_bits;
    sums.tokens += row.n_tokens;
    ++sums.samples;
    sums.scored_lengths.push_back(row.n_tokens + 1);
  }
  return sums;
}

// Bad records in /errors: the first kListedBadRecords in full, the rest as one row per reason with
// their count and line ranges (a million bad lines made a 232 MB cell file). Every bad record keeps
// its /samples row (status bad_record) either way.
constexpr size_t kListedBadRecords = 1000;
constexpr size_t kListedRanges = 50;

void append_bad_record_errors(const std::vector<BadRecord>& bad, std::vector<ErrorRow>* errors) {
  struct Rest {
    int64_t count = 0, first_sample = 0;
    std::vector<std::pair<int64_t, int64_t>> ranges;  // consecutive lines, in file order
  };
  std::map<std::string, Rest> rest;  // by reason
  for (size_t i = 0; i < bad.size(); ++i) {
    const BadRecord& b = bad[i];
    if (i < kListedBadRecords) {
      errors->push_back({b.sample_index, b.line, b.reason, b.message});
      continue;
    }
    Rest& r = rest[b.reason];
    if (r.count++ == 0) r.first_sample = b.sample_index;
    if (!r.ranges.empty() && r.ranges.back().second + 1 == b.line) r.ranges.back().second = b.line;
    else r.ranges.emplace_back(b.line, b.line);
  }
  for (const auto& [reason, r] : rest) {
    std::string lines;
    for (size_t k = 0; k < std::min(r.ranges.size(), kListedRanges); ++k) {
      const auto [first, last] = r.ranges[k];
      lines += (k ? ", " : "") + std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
    }
    if (r.ranges.size() > kListedRanges) lines += ", ... (" + std::to_string(r.ranges.size() - kListedRanges) + " more ranges)";
    errors->push_back({r.first_sample, r.ranges.front().first, reason,
                       std::to_string(r.count) + " more bad records of this kind after the first " +
                           std::to_string(kListedBadRecords) + " listed, on lines " + lines});
  }
}

// A cell without a single ok sample has no published numbers: NaN, as docs/design.md §4 says.
void set_not_a_number(CellResult* out) {
  const double nan = std::nan("");
  out->row.constant = out->row.conditional_entropy = out->row.entropy_gain = nan;
  out->row.information_capacity = out->row.ic = nan;
  out->constant_unrounded = out->ic_unrounded_constant = nan;
}

}  // namespace

CellResult assemble_cell(const CellPlan& cell, const CellScores& scores, const Settings& settings,
                         const SweepProvenance& provenance) {
  CellResult out;
  fill_common(cell, settings, provenance, &out);
  const TokenizedDataset& data = *cell.data;
  const auto& records = data.contents->records;
  const auto& bad = data.contents->bad;

  // Rows for good records and bad ones, merged in sample_index order.
  std::vector<SampleRow> rows;
  rows.reserve(records.size() + bad.size());
  for (size_t i = 0; i < records.size(); ++i) {
    SampleRow row;
    row.sample_index = records[i].sample_index;
    const int64_t length = static_cast<int64_t>(data.ids[i].size());
    if (length < 2) {
      row.status = SampleStatus::kTooShort;
    } else if (scores.failed.count(i) || !scores.scored[i]) {
      row.status = SampleStatus::kFailed;
      const auto it = scores.failed.find(i);
      out.errors.push_back({row.sample_index, records[i].line, "sample_failed",
                            it != scores.failed.end() ? it->second : "no result"});
    } else {
      row.text_bytes = data.tail_bytes[i];
      row.n_tokens = scores.n_tokens[i];
      row.text_bits = 8.0 * static_cast<double>(row.text_bytes);
      row.nll_bits = scores.nll_bits[i];
      row.text_bits_per_token = row.text_bits / static_cast<double>(row.n_tokens);
      row.nll_bits_per_token = row.nll_bits / static_cast<double>(row.n_tokens);
    }
    rows.push_back(row);
  }
  for (const auto& b : bad) {
    SampleRow row;
    row.sample_index = b.sample_index;
    row.status = SampleStatus::kBadRecord;
    rows.push_back(row);
  }
  append_bad_record_errors(bad, &out.errors);
  std::stable_sort(rows.begin(), rows.end(), [](const SampleRow& a, const SampleRow& b) { return a.sample_index < b.sample_index; });
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const ErrorRow& a, const ErrorRow& b) { return a.sample_index < b.sample_index; });

  // Per-token output follows the same sample order (CSR offsets).
  std::map<int64_t, size_t> position_of;  // sample_index -> record position
  for (size_t i = 0; i < records.size(); ++i) position_of[records[i].sample_index] = i;
  out.has_tokens = settings.per_token;
  if (out.has_tokens) out.token_offsets.push_back(0);
  for (const auto& row : rows) {
    if (row.status == SampleStatus::kOk && out.has_tokens) {
      const auto& t = scores.token_nll_bits[position_of[row.sample_index]];
      out.token_nll_bits.insert(out.token_nll_bits.end(), t.begin(), t.end());
    }
    if (out.has_tokens) out.token_offsets.push_back(static_cast<int64_t>(out.token_nll_bits.size()));
  }
  out.samples = std::move(rows);
  out.attributes["weights_bytes"] = scores.weights_digest;
  derive_published(cell, settings, &out);
  return out;
}

void derive_published(const CellPlan& cell, const Settings& settings, CellResult* out) {
  const OkSums sums = sum_ok_rows(out->samples);
  out->total_nll_bits = sums.nll_bits;
  out->total_scored_tokens = sums.tokens;
  out->samples_scored = sums.samples;
  out->samples_skipped = static_cast<int64_t>(out->samples.size()) - sums.samples;
  if (sums.samples == 0) {
    std::string first_error;
    for (const auto& e : out->errors)
      if (e.kind == "sample_failed") { first_error = "; the first failure: " + e.message; break; }
    out->status = "failed";
    out->errors.push_back({-1, 0, "no_samples", "no sample of " + cell.dataset.path + " could be scored with " +
                                                   cell.model.name + first_error});
    set_not_a_number(out);
    return;
  }
  out->constant_unrounded = sums.text_bits_per_token / static_cast<double>(sums.samples);
  const double conditional_entropy = sums.nll_bits / static_cast<double>(sums.tokens);

  const int64_t T = settings.max_sample_length;
  FlopsEstimate flops = out->flops_profile == "exact"
                            ? exact_flops(cell.model_config, sums.scored_lengths)
                            : reference_flops(cell.model_config, cell.model.name, T, cell.model.attention);
  out->flops_per_token = flops.flops_per_token;
  // The published BF16_TFLOPs column is the cost of T tokens in the chosen profile (for `reference`
  // exactly the formula's total, so the column matches the leaderboard to the last bit).
  const double total_for_T =
      out->flops_profile == "exact" ? flops.flops_per_token * static_cast<double>(T) : flops.total_flops;
  out->row = make_published_row(cell.model.name, cell.model.series, cell.model.size, cell.dataset.name, T,
                                embedding_rows(cell.model_config), out->constant_unrounded,
                                conditional_entropy, total_for_T, T, cell.dataset.bias);
  out->ic_unrounded_constant =
      information_capacity(out->constant_unrounded, conditional_entropy, cell.dataset.bias, out->flops_per_token);
  std::string notes;
  for (const auto& n : flops.notes) notes += (notes.empty() ? "" : "; ") + n;
  out->attributes["flops_notes"] = notes;
}

void rederive_cell(const CellPlan& cell, const Settings& settings, CellResult* stored) {
  set_derived_fields(cell, settings, stored);
  derive_published(cell, settings, stored);
}

void set_identity_attributes(const CellPlan& cell, CellResult* out) {
  out->attributes["identity"] = parts_to_json(cell.identity);
  out->attributes["cell_fingerprint"] = cell.fingerprint;
}

CellResult assemble_failed_cell(const CellPlan& cell, const std::string& kind, const std::string& message,
                                const Settings& settings, const SweepProvenance& provenance) {
  CellResult out;
  fill_common(cell, settings, provenance, &out);
  out.status = "failed";
  set_not_a_number(&out);
  out.errors.push_back({-1, 0, kind, message});
  return out;
}

}  // namespace icsweep
