#include "driver/plan.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/common/errors.h"
#include "core/config/fp8_format.h"
#include "core/config/model_dtype.h"
#include "core/metrics/flops.h"
#include "core/store/cell_file.h"
#include "core/tokenizer/tokenizer.h"
#include "driver/model_check.h"
#include "driver/signals.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path.string() + ": cannot be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::shared_ptr<const TokenizedDataset> tokenize_dataset(const std::shared_ptr<const DatasetContents>& contents,
                                                         const Tokenizer& tokenizer, int64_t max_length,
                                                         int threads) {
  auto out = std::make_shared<TokenizedDataset>();
  out->contents = contents;
  out->tokenizer_fingerprint = tokenizer.fingerprint();
  out->tokenizer_size = tokenizer.size();
  const size_t n = contents->records.size();
  out->ids.resize(n);
  out->tail_bytes.resize(n);
  std::atomic<size_t> next{0};
  std::vector<std::string> errors(std::max(1, threads));
  auto work = [&](int worker) {
    try {
      for (size_t i = next++; i < n; i = next++) {
        if (i % 256 == 0 && stop_requested()) throw PlanInterrupted("stop requested while tokenizing");
        auto ids = tokenizer.encode(contents->records[i].text, /*add_special_tokens=*/true);
        if (static_cast<int64_t>(ids.size()) > max_length) ids.resize(max_length);
        out->tail_bytes[i] = tail_text_bytes(tokenizer, ids);
        out->ids[i] = std::move(ids);
      }
    } catch (const std::exception& e) {
      errors[worker] = e.what();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
  if (stop_requested()) throw PlanInterrupted("stop requested while tokenizing");
  for (const auto& e : errors)
    if (!e.empty()) throw TokenizerError(e);
  return out;
}

// A token id at or past the embedding's rows would index past it (samples failing one by one, or
// garbage on a GPU): the cell fails up front, with the numbers.
std::string ids_beyond_embedding(const TokenizedDataset& data, const HfConfig& model_config,
                                 const ModelSpec& m) {
  const int64_t rows = embedding_rows(model_config);
  if (rows <= 0) return "";
  for (size_t i = 0; i < data.ids.size(); ++i)
    for (const int32_t id : data.ids[i])
      if (id >= rows)
        return "the tokenizer of " + m.name + " (" + std::to_string(data.tokenizer_size) + " tokens) gives id " +
               std::to_string(id) + " in line " + std::to_string(data.contents->records[i].line) + " of " +
               data.contents->path + ", but the model's embedding has " + std::to_string(rows) +
               " rows (config.json vocab_size): use the tokenizer that belongs to " + m.path;
  return "";
}

}  // namespace

int64_t embedding_rows(const HfConfig& config) {
  return config.json().contains("vocab_size") ? config.get_int("vocab_size", 0) : config.text().get_int("vocab_size", 0);
}

int64_t default_token_budget(bool workers_use_cuda) { return workers_use_cuda ? 32768 : 4096; }

int64_t cell_scored_samples(const CellPlan& cell) {
  int64_t n = 0;
  if (cell.failure.empty() && cell.data)
    for (const auto& ids : cell.data->ids) n += ids.size() >= 2;
  return n;
}

int64_t cell_scored_tokens(const CellPlan& cell) {
  int64_t n = 0;
  if (cell.failure.empty() && cell.data)
    for (const auto& ids : cell.data->ids) n += ids.size() >= 2 ? static_cast<int64_t>(ids.size()) - 1 : 0;
  return n;
}

double cell_scoring_flops(const CellPlan& cell, const std::string& default_profile, int64_t max_length) {
  if (!cell.failure.empty() || !cell.data) return 0;
  std::vector<int64_t> lengths;
  for (const auto& ids : cell.data->ids)
    if (ids.size() >= 2) lengths.push_back(static_cast<int64_t>(ids.size()));
  if (lengths.empty()) return 0;
  try {
    return exact_flops(cell.model_config, lengths).total_flops;
  } catch (const std::exception&) {  // a TorchScript model: the profile the cell uses, per token
    double tokens = 0;
    for (int64_t L : lengths) tokens += static_cast<double>(L);
    const std::string profile = cell.model.flops_profile.empty() ? default_profile : cell.model.flops_profile;
    return tokens * flops_for_profile(profile, cell.model_config, cell.model.name, max_length, cell.model.attention).flops_per_token;
  }
}

namespace {

// Every dataset read once, by name; a dataset that cannot be read fails its cells (errors, by name).
struct Datasets {
  std::map<std::string, std::shared_ptr<const DatasetContents>> contents;
  std::map<std::string, std::string> errors;
};

// `limit` > 0 (a trial, --limit): only the records (good and bad) of the first `limit` non-blank lines.
DatasetContents first_records(DatasetContents contents, int64_t limit) {
  if (limit <= 0) return contents;
  auto beyond = [limit](const auto& r) { return r.sample_index >= limit; };
  contents.records.erase(std::remove_if(contents.records.begin(), contents.records.end(), beyond), contents.records.end());
  contents.bad.erase(std::remove_if(contents.bad.begin(), contents.bad.end(), beyond), contents.bad.end());
  return contents;
}

Datasets read_datasets(const SweepConfig& config, std::vector<std::string>* warnings) {
  Datasets datasets;
  for (const auto& d : config.datasets) {
    if (stop_requested()) throw PlanInterrupted("stop requested while reading the datasets");
    try {
      const auto& contents = datasets.contents[d.name] = std::make_shared<const DatasetContents>(first_records(
          read_jsonl_dataset(d.path, d.text_field, parse_bad_record_policy(d.on_bad_record)), config.settings.sample_limit));
      if (const auto& bad = contents->bad; !bad.empty()) {
        std::string w = "dataset " + d.name + ": skipped " + std::to_string(bad.size()) + " bad line(s) of " + d.path +
                        " (on_bad_record: skip; each is listed in its cells' errors table):";
        for (size_t i = 0; i < std::min<size_t>(bad.size(), 5); ++i)
          w += "\n  line " + std::to_string(bad[i].line) + ": " + bad[i].reason + " (" + bad[i].message + ")";
        if (bad.size() > 5) w += "\n  ...";
        warnings->push_back(w);
      }
    } catch (const std::exception& e) {
      datasets.errors[d.name] = e.what();
    }
  }
  return datasets;
}

// What the cells of one model share, or why they all fail.
struct ModelInputs {
  ModelSpec model;  // with the dtype resolved
  HfConfig config;
  std::string fingerprint, dates, tokenizer_digest;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::string failure, failure_kind;
};

ModelInputs read_model_inputs(const ModelSpec& m, const Settings& settings) {
  ModelInputs in;
  in.model = m;
  try {
    const fs::path dir(m.path);
    const std::string text = read_file(dir / "config.json");
    in.config = HfConfig::parse(text, (dir / "config.json").string());
    in.fingerprint = model_files_digest(m.path, text);
    in.dates = weights_dates(m.path);
    const ModelDtype dtype = resolve_model_dtype(m.dtype, in.config, m.path);
    in.model.dtype = dtype.dtype;
    in.model.dtype_source = dtype.source;
    if (const auto fp8 = read_fp8_format(in.config)) {
      in.model.fp8_format = fp8->describe();
      in.model.resident_bytes =
          resident_weight_bytes(m.path, in.model.dtype, true, in.config.text().get_int("num_hidden_layers", -1));
    }
  } catch (const std::exception& e) {
    in.failure = e.what();
    in.failure_kind = "model_config";
    return in;
  }
  // The FLOPs profile must apply before anything is scored: a model it cannot count fails its
  // cells here, not the sweep after scoring (the exact profile's shape does not depend on lengths).
  try {
    const std::string profile = m.flops_profile.empty() ? settings.flops_profile : m.flops_profile;
    flops_for_profile(profile, in.config, m.name, settings.max_sample_length, m.attention);
  } catch (const std::exception& e) {
    in.failure = e.what();
    in.failure_kind = "flops";
    return in;
  }
  try {
    in.tokenizer = load_tokenizer(m.tokenizer.empty() ? m.path : m.tokenizer);
    in.tokenizer_digest = tokenizer_files_digest(m.tokenizer.empty() ? m.path : m.tokenizer);
  } catch (const std::exception& e) {
    in.failure = e.what();
    in.failure_kind = "tokenizer";
  }
  return in;
}

// The cell's tokenized data (shared by the cells of one tokenizer and dataset) and its batches.
void tokenize_and_batch(const ModelInputs& in, const std::shared_ptr<const DatasetContents>& contents,
                        const Settings& settings, int64_t token_budget, int threads,
                        std::map<std::string, std::shared_ptr<const TokenizedDataset>>* tokenized, CellPlan* cell) {
  const std::string key = in.tokenizer->source() + "\n" + cell->dataset.name;
  if (!tokenized->count(key))
    (*tokenized)[key] = tokenize_dataset(contents, *in.tokenizer, settings.max_sample_length, threads);
  cell->data = (*tokenized)[key];
  if (const std::string beyond = ids_beyond_embedding(*cell->data, in.config, in.model); !beyond.empty())
    throw TokenizerError(beyond);
  std::vector<int64_t> lengths;
  lengths.reserve(cell->data->ids.size());
  for (const auto& ids : cell->data->ids) lengths.push_back(static_cast<int64_t>(ids.size()));
  cell->batches = plan_batches(lengths, token_budget);
}

}  // namespace

SweepPlan build_plan(const SweepConfig& config, int64_t token_budget, int threads) {
  SweepPlan plan;
  threads = std::max(1, threads);
  const Datasets datasets = read_datasets(config, &plan.warnings);
  std::map<std::string, std::shared_ptr<const TokenizedDataset>> tokenized;  // tokenizer dir + dataset
  for (const auto& m : config.models) {
    const ModelInputs in = read_model_inputs(m, config.settings);
    for (const auto& d : config.datasets) {
      CellPlan cell;
      cell.cell = static_cast<int64_t>(plan.cells.size());
      cell.model = in.model;
      cell.dataset = d;
      cell.key = cell_stem(m.name, d.name);
      cell.model_config = in.config;
      cell.model_fingerprint = in.fingerprint;
      const auto contents = datasets.contents.find(d.name);
      if (!in.failure.empty()) {
        cell.failure = in.failure;
        cell.failure_kind = in.failure_kind;
      } else if (datasets.errors.count(d.name)) {
        cell.failure = datasets.errors.at(d.name);
        cell.failure_kind = "dataset";
      } else {
        try {
          tokenize_and_batch(in, contents->second, config.settings, token_budget, threads, &tokenized, &cell);
        } catch (const PlanInterrupted&) {
          throw;
        } catch (const std::exception& e) {
          cell.failure = e.what();
          cell.failure_kind = "tokenizer";
        }
      }
      // An FP8 checkpoint's numbers depend on how its linears compute (fp8_mode) too.
      const std::string dtype =
          in.model.fp8_format.empty() ? in.model.dtype : in.model.dtype + ", fp8_mode " + in.model.fp8_mode;
      cell.identity = cell_identity(in.fingerprint, in.dates, dtype, in.tokenizer_digest,
                                    contents != datasets.contents.end() ? contents->second->content_digest : "", d,
                                    config.settings, token_budget);
      cell.fingerprint = parts_digest(cell.identity);
      cell.derived = derived_settings(m, d, config.settings);
      plan.cells.push_back(std::move(cell));
    }
  }
  return plan;
}

}  // namespace icsweep
