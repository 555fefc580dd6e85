// Tokenizer throughput: MB/s and tokens/s of icsweep's encode(text, add_special_tokens=true) on
// the JSONL datasets, per tokenizer and dataset, with 1..N threads. bench_tokenizer.py measures
// Hugging Face `tokenizers` on the same files for the side-by-side comparison (target
// >= 2x HF per core).
//
//   bench_tokenizer [--tokenizers DIR] [--datasets DIR] [--tokenizer NAME]... [--threads 1,16]
//                   [--repeat 3] [--json]
//
// Built by bench/CMakeLists.txt; standalone (e.g. on a machine without the full build):
//   g++ -O2 -std=c++17 -I. bench/bench_tokenizer.cpp core/tokenizer/*.cpp -lonig -lutf8proc -lsentencepiece \
//       -lpthread -o bench_tokenizer
// Side by side with HF: bench_tokenizer --json > ours.json; python3 bench/bench_tokenizer.py --icsweep-json ours.json
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace fs = std::filesystem;

namespace {

struct Row {
  std::string tokenizer, dataset;
  int threads = 1;
  double megabytes = 0, seconds = 0;
  int64_t tokens = 0;
  double mb_per_s() const { return megabytes / seconds; }
  double tokens_per_s() const { return static_cast<double>(tokens) / seconds; }
};

std::vector<std::string> read_texts(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> texts;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line);
    if (json.contains("text") && json.at("text").is_string()) texts.push_back(json.at("text").get<std::string>());
  }
  return texts;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown cpu";
}

// Encodes all texts `repeat` times with `threads` workers pulling texts from a shared counter.
Row measure(const icsweep::Tokenizer& tokenizer, const std::vector<std::string>& texts, int threads, int repeat) {
  Row row;
  row.threads = threads;
  size_t bytes = 0;
  for (const auto& text : texts) bytes += text.size();
  std::atomic<int64_t> tokens{0};
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeat; ++r) {
    std::atomic<size_t> next{0};
    auto work = [&] {
      int64_t local = 0;
      for (size_t i; (i = next.fetch_add(1)) < texts.size();) local += tokenizer.encode(texts[i], true).size();
      tokens += local;
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& thread : pool) thread.join();
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  row.megabytes = static_cast<double>(bytes) * repeat / 1e6;
  row.tokens = tokens;
  return row;
}

struct Args {
  std::string tokenizers_dir, datasets_dir;
  std::vector<std::string> names;  // empty: every tokenizer under tokenizers_dir
  std::string thread_list = "1";
  int repeat = 3;
  bool json_output = false;
};

// Plain argument parsing keeps this bench buildable without Boost (device machines lack its dev link).
// Returns the exit code when main should stop (--help, a bad argument).
std::optional<int> parse_args(int argc, char** argv, Args* args) {
  // Default data: $ICSWEEP_TESTDATA, else the vendored data unpacked in build/testdata (cwd: the repository root).
  const char* env = std::getenv("ICSWEEP_TESTDATA");
  const fs::path default_testdata = env ? fs::path(env) : fs::path("build") / "testdata";
  args->tokenizers_dir = (default_testdata / "tokenizers").string();
  args->datasets_dir = (default_testdata / "datasets").string();
  const std::string usage =
      "usage: bench_tokenizer [--tokenizers DIR] [--datasets DIR] [--tokenizer NAME]... [--threads 1,16]\n"
      "                       [--repeat N] [--json]\n";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench_tokenizer: " << arg << " needs a value\n" << usage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    } else if (arg == "--tokenizers") {
      args->tokenizers_dir = value();
    } else if (arg == "--datasets") {
      args->datasets_dir = value();
    } else if (arg == "--tokenizer") {
      args->names.push_back(value());
    } else if (arg == "--threads") {
      args->thread_list = value();
    } else if (arg == "--repeat") {
      args->repeat = std::stoi(value());
    } else if (arg == "--json") {
      args->json_output = true;
    } else {
      std::cerr << "bench_tokenizer: unknown argument " << arg << "\n" << usage;
      return 2;
    }
  }
  return std::nullopt;
}

std::vector<int> parse_thread_counts(const std::string& thread_list) {  // "1,16" -> {1, 16}
  std::vector<int> thread_counts;
  std::stringstream list(thread_list);
  for (std::string item; std::getline(list, item, ',');) thread_counts.push_back(std::stoi(item));
  return thread_counts;
}

// `dir`'s entries (extension "": all of them), sorted.
std::vector<fs::path> sorted_entries(const std::string& dir, const std::string& extension) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (extension.empty() || entry.path().extension() == extension) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Every (tokenizer, dataset, thread count) measured, in that nesting order.
std::vector<Row> measure_all(const Args& args, const std::vector<std::string>& names,
                             const std::vector<fs::path>& datasets, const std::vector<int>& thread_counts) {
  std::vector<Row> rows;
  for (const auto& name : names) {
    const auto tokenizer = icsweep::load_tokenizer((fs::path(args.tokenizers_dir) / name).string());
    for (const auto& dataset : datasets) {
      const auto texts = read_texts(dataset);
      for (int threads : thread_counts) {
        Row row = measure(*tokenizer, texts, threads, args.repeat);
        row.tokenizer = name;
        row.dataset = dataset.stem().string();
        rows.push_back(row);
      }
    }
  }
  return rows;
}

void print_json(const std::vector<Row>& rows, const char* host, int repeat) {
  nlohmann::json out = {{"host", host}, {"cpu", cpu_model()}, {"cores", std::thread::hardware_concurrency()},
                        {"repeat", repeat}, {"rows", nlohmann::json::array()}};
  for (const Row& r : rows) {
    out["rows"].push_back({{"tokenizer", r.tokenizer}, {"dataset", r.dataset}, {"threads", r.threads},
                           {"mb_per_s", r.mb_per_s()}, {"tokens_per_s", r.tokens_per_s()},
                           {"megabytes", r.megabytes}, {"tokens", r.tokens}, {"seconds", r.seconds}});
  }
  std::cout << out.dump(2) << "\n";
}

// Verdict: slowest single-thread tokenizer (all datasets pooled) against 2x the HF reference
// measured on the GPU machine (1.35 MB/s was HF's best single-thread figure).
void print_verdict(const std::vector<Row>& rows, const std::vector<std::string>& names) {
  double worst = 1e30;
  std::string worst_name;
  for (const auto& name : names) {
    double mb = 0, s = 0;
    for (const Row& r : rows) {
      if (r.tokenizer == name && r.threads == 1) {
        mb += r.megabytes;
        s += r.seconds;
      }
    }
    if (s > 0 && mb / s < worst) {
      worst = mb / s;
      worst_name = name;
    }
  }
  if (!worst_name.empty()) {
    std::printf("verdict: slowest single-thread %s %.2f MB/s -> %s the 2x target (2.70 MB/s vs HF 1.35 MB/s)\n",
                worst_name.c_str(), worst, worst >= 2.7 ? "meets" : "misses");
  }
}

void print_table(const std::vector<Row>& rows, const std::vector<std::string>& names, const char* host, int repeat) {
  std::printf("# icsweep tokenizer throughput  host %s  cpu %s  cores %u  repeat %d\n", host, cpu_model().c_str(),
              std::thread::hardware_concurrency(), repeat);
  std::printf("%-12s %-18s %10s %14s %8s\n", "tokenizer", "dataset", "MB/s", "tokens/s", "threads");
  for (const Row& r : rows) {
    std::printf("%-12s %-18s %10.2f %14.0f %8d\n", r.tokenizer.c_str(), r.dataset.c_str(), r.mb_per_s(),
                r.tokens_per_s(), r.threads);
  }
  print_verdict(rows, names);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (const std::optional<int> exit_code = parse_args(argc, argv, &args)) return *exit_code;
  const std::vector<int> thread_counts = parse_thread_counts(args.thread_list);
  std::vector<std::string> names = args.names;
  if (names.empty()) {
    for (const auto& path : sorted_entries(args.tokenizers_dir, "")) names.push_back(path.filename().string());
  }
  const std::vector<fs::path> datasets = sorted_entries(args.datasets_dir, ".jsonl");
  const std::vector<Row> rows = measure_all(args, names, datasets, thread_counts);

  char host[256] = "unknown";
  gethostname(host, sizeof(host) - 1);
  if (args.json_output) {
    print_json(rows, host, args.repeat);
  } else {
    print_table(rows, names, host, args.repeat);
  }
  return 0;
}
