#include "driver/plan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/common/errors.h"
#include "core/config/model_dtype.h"
#include "core/metrics/flops.h"
#include "core/store/cell_file.h"
#include "core/tokenizer/tokenizer.h"
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
  const auto start = std::chrono::steady_clock::now();
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
  out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

SweepPlan build_plan(const SweepConfig& config, int64_t token_budget, int threads) {
  SweepPlan plan;
  plan.token_budget = token_budget;
  threads = std::max(1, threads);
  const int64_t max_length = config.settings.max_sample_length;

  std::map<std::string, std::shared_ptr<const DatasetContents>> datasets;  // by dataset name
  std::map<std::string, std::string> dataset_errors;
  for (const auto& d : config.datasets) {
    if (stop_requested()) throw PlanInterrupted("stop requested while reading the datasets");
    try {
      datasets[d.name] = std::make_shared<const DatasetContents>(
          read_jsonl_dataset(d.path, d.text_field, parse_bad_record_policy(d.on_bad_record)));
      if (const auto& bad = datasets[d.name]->bad; !bad.empty()) {
        std::string w = "dataset " + d.name + ": skipped " + std::to_string(bad.size()) + " bad line(s) of " + d.path +
                        " (on_bad_record: skip; each is listed in its cells' errors table):";
        for (size_t i = 0; i < std::min<size_t>(bad.size(), 5); ++i)
          w += "\n  line " + std::to_string(bad[i].line) + ": " + bad[i].reason + " (" + bad[i].message + ")";
        if (bad.size() > 5) w += "\n  ...";
        plan.warnings.push_back(w);
      }
    } catch (const std::exception& e) {
      dataset_errors[d.name] = e.what();
    }
  }

  std::map<std::string, std::shared_ptr<const TokenizedDataset>> tokenized;  // tokenizer dir + dataset
  for (const auto& m : config.models) {
    std::shared_ptr<const Tokenizer> tokenizer;
    std::string model_failure, model_failure_kind;
    HfConfig model_config;
    std::string fingerprint, dates, tokenizer_digest;
    ModelSpec model = m;  // with the dtype resolved
    try {
      const fs::path dir(m.path);
      const std::string text = read_file(dir / "config.json");
      model_config = HfConfig::parse(text, (dir / "config.json").string());
      fingerprint = model_files_digest(m.path, text);
      dates = weights_dates(m.path);
      const ModelDtype dtype = resolve_model_dtype(m.dtype, model_config, m.path);
      model.dtype = dtype.dtype;
      model.dtype_source = dtype.source;
    } catch (const std::exception& e) {
      model_failure = e.what();
      model_failure_kind = "model_config";
    }
    if (model_failure.empty()) {
      // The FLOPs profile must apply before anything is scored: a model it cannot count fails its
      // cells here, not the sweep after scoring (the exact profile's shape does not depend on lengths).
      try {
        const std::string profile = m.flops_profile.empty() ? config.settings.flops_profile : m.flops_profile;
        flops_for_profile(profile, model_config, m.name, max_length, m.attention);
      } catch (const std::exception& e) {
        model_failure = e.what();
        model_failure_kind = "flops";
      }
    }
    if (model_failure.empty()) {
      try {
        tokenizer = load_tokenizer(m.tokenizer.empty() ? m.path : m.tokenizer);
        tokenizer_digest = tokenizer_files_digest(m.tokenizer.empty() ? m.path : m.tokenizer);
      } catch (const std::exception& e) {
        model_failure = e.what();
        model_failure_kind = "tokenizer";
      }
    }
    for (const auto& d : config.datasets) {
      CellPlan cell;
      cell.cell = static_cast<int64_t>(plan.cells.size());
      cell.model = model;
      cell.dataset = d;
      cell.key = cell_stem(m.name, d.name);
      cell.model_config = model_config;
      cell.model_fingerprint = fingerprint;
      if (!model_failure.empty()) {
        cell.failure = model_failure;
        cell.failure_kind = model_failure_kind;
      } else if (dataset_errors.count(d.name)) {
        cell.failure = dataset_errors[d.name];
        cell.failure_kind = "dataset";
      } else {
        const std::string tkey = tokenizer->source() + "\n" + d.name;
        try {
          if (!tokenized.count(tkey))
            tokenized[tkey] = tokenize_dataset(datasets[d.name], *tokenizer, max_length, threads);
          cell.data = tokenized[tkey];
          if (const std::string beyond = ids_beyond_embedding(*cell.data, model_config, m); !beyond.empty())
            throw TokenizerError(beyond);
          std::vector<int64_t> lengths;
          lengths.reserve(cell.data->ids.size());
          for (const auto& ids : cell.data->ids) lengths.push_back(static_cast<int64_t>(ids.size()));
          cell.batches = plan_batches(lengths, token_budget);
        } catch (const PlanInterrupted&) {
          throw;
        } catch (const std::exception& e) {
          cell.failure = e.what();
          cell.failure_kind = "tokenizer";
        }
      }
      cell.identity = cell_identity(fingerprint, dates, model.dtype, tokenizer_digest,
                                    datasets.count(d.name) ? datasets[d.name]->content_digest : "", d,
                                    config.settings, token_budget);
      cell.fingerprint = parts_digest(cell.identity);
      cell.derived = derived_settings(m, d, config.settings);
      plan.cells.push_back(std::move(cell));
    }
  }
  return plan;
}

}  // namespace icsweep
