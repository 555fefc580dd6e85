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
#include "core/tokenizer/tokenizer.h"

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

// Fingerprint of a model directory: config.json plus each safetensors file's name, size and header
// (which holds every tensor's name, dtype, shape and offsets), without reading the weights; for a
// TorchScript model.torchscript.pt its size and first and last 64 KiB.
std::string model_fingerprint(const fs::path& dir, const std::string& config_text) {
  std::string material = config_text;
  std::vector<fs::path> weights;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors" || entry.path().extension() == ".pt") weights.push_back(entry.path());
  std::sort(weights.begin(), weights.end());
  for (const auto& path : weights) {
    material += "\n" + path.filename().string() + " " + std::to_string(fs::file_size(path)) + "\n";
    std::ifstream in(path, std::ios::binary);
    uint64_t header_length = 0;
    in.read(reinterpret_cast<char*>(&header_length), 8);
    if (path.extension() == ".pt") {  // TorchScript: a zip archive; its first and last 64 KiB (central directory)
      const auto size = fs::file_size(path);
      std::string head(std::min<uintmax_t>(size, 65536), '\0'), tail(head.size(), '\0');
      in.seekg(0);
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      in.seekg(static_cast<std::streamoff>(size - tail.size()));
      in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
      material += head + tail;
    } else if (in && header_length < (64u << 20)) {
      std::string header(header_length, '\0');
      in.read(header.data(), static_cast<std::streamsize>(header_length));
      material += header;
    }
  }
  return hex_digest(material);
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
  for (const auto& e : errors)
    if (!e.empty()) throw TokenizerError(e);
  out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace

std::string hex_digest(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
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
    std::string fingerprint;
    ModelSpec model = m;  // with the dtype resolved
    try {
      const fs::path dir(m.path);
      const std::string text = read_file(dir / "config.json");
      model_config = HfConfig::parse(text, (dir / "config.json").string());
      fingerprint = model_fingerprint(dir, text);
      const ModelDtype dtype = resolve_model_dtype(m.dtype, model_config, m.path);
      model.dtype = dtype.dtype;
      model.dtype_source = dtype.source;
    } catch (const std::exception& e) {
      model_failure = e.what();
      model_failure_kind = "model_config";
    }
    if (model_failure.empty()) {
      try {
        tokenizer = load_tokenizer(m.tokenizer.empty() ? m.path : m.tokenizer);
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
      cell.key = m.name + "__" + d.name;
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
          std::vector<int64_t> lengths;
          lengths.reserve(cell.data->ids.size());
          for (const auto& ids : cell.data->ids) lengths.push_back(static_cast<int64_t>(ids.size()));
          cell.batches = plan_batches(lengths, token_budget);
        } catch (const std::exception& e) {
          cell.failure = e.what();
          cell.failure_kind = "tokenizer";
        }
      }
      std::ostringstream material;
      material << "model " << fingerprint << " dtype " << model.dtype << " tokenizer "
               << (cell.data ? cell.data->tokenizer_fingerprint : "-") << " dataset " << d.path << " "
               << (datasets.count(d.name) ? datasets[d.name]->file_bytes : 0) << " field " << d.text_field
               << " max_len " << max_length << " budget " << token_budget;
      cell.fingerprint = hex_digest(material.str());
      plan.cells.push_back(std::move(cell));
    }
  }
  return plan;
}

}  // namespace icsweep
