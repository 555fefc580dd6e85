// `icsweep tokenize --tokenizer DIR [FILE.jsonl|-]`: token ids of every JSONL text, or with --stats
// the dataset's text size per token (docs/design.md §1.2) as the reference computes it.
#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/common/errors.h"
#include "core/store/text_table.h"
#include "core/tokenizer/tokenizer.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;
namespace {

struct TokenizedLine {
  int64_t line = 0;  // 1-based line number in the input
  std::vector<int32_t> ids;
  int64_t tail_bytes = 0;
};

// Non-empty lines with their numbers; a bad record is an error naming FILE:LINE.
std::vector<std::pair<int64_t, std::string>> read_texts(std::istream& in, const std::string& name,
                                                         const std::string& field) {
  std::vector<std::pair<int64_t, std::string>> texts;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw DataError(name, number, std::string("invalid JSON: ") + e.what());
    }
    if (!record.is_object() || !record.contains(field) || !record.at(field).is_string()) {
      throw DataError(name, number, "field '" + field + "' is missing or not a string");
    }
    texts.emplace_back(number, record.at(field).get<std::string>());
  }
  return texts;
}

std::vector<TokenizedLine> tokenize_all(const Tokenizer& tokenizer,
                                        const std::vector<std::pair<int64_t, std::string>>& texts,
                                        const std::string& name, bool special, int64_t max_length, bool tails,
                                        int threads) {
  std::vector<TokenizedLine> out(texts.size());
  std::atomic<size_t> next{0};
  std::string first_error;
  int64_t first_error_line = 0;
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  auto work = [&] {
    for (size_t i; !failed && (i = next.fetch_add(1)) < texts.size();) {
      try {
        TokenizedLine& result = out[i];
        result.line = texts[i].first;
        result.ids = tokenizer.encode(texts[i].second, special);
        if (max_length > 0 && static_cast<int64_t>(result.ids.size()) > max_length) result.ids.resize(max_length);
        if (tails) result.tail_bytes = tail_text_bytes(tokenizer, result.ids);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) {
          first_error = e.what();
          first_error_line = texts[i].first;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (failed) throw DataError(name, first_error_line, first_error);
  return out;
}

// docs/design.md §1.2: per sample 8 * bytes(decode(ids[1:])) / (L - 1); plain mean over samples with L >= 2.
// One row: dataset, max_length, samples, skipped, scored_tokens, text_bytes, bits_per_token, constant.
TextTable stats_table(const std::vector<TokenizedLine>& lines, const std::string& name, int64_t max_length) {
  double sum_bits_per_token = 0;
  int64_t samples = 0, skipped = 0, scored_tokens = 0, text_bytes = 0;
  for (const TokenizedLine& line : lines) {
    const int64_t n = static_cast<int64_t>(line.ids.size());
    if (n < 2) {
      ++skipped;
      continue;
    }
    sum_bits_per_token += 8.0 * static_cast<double>(line.tail_bytes) / static_cast<double>(n - 1);
    scored_tokens += n - 1;
    text_bytes += line.tail_bytes;
    ++samples;
  }
  const double mean = samples > 0 ? sum_bits_per_token / static_cast<double>(samples) : 0.0;
  const double constant = std::round(mean * 100.0) / 100.0;
  char mean_text[32], constant_text[32];
  std::snprintf(mean_text, sizeof mean_text, "%.6f", mean);
  std::snprintf(constant_text, sizeof constant_text, "%.2f", constant);
  TextTable table;
  table.add_column("dataset", true);
  for (const char* c : {"max_length", "samples", "skipped", "scored_tokens", "text_bytes", "bits_per_token", "constant"})
    table.add_column(c, false);
  const std::string short_name = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
  table.rows.push_back({text_cell(short_name), integer_cell(max_length), integer_cell(samples), integer_cell(skipped), integer_cell(scored_tokens),
                        integer_cell(text_bytes), number_cell(mean, mean_text), number_cell(constant, constant_text)});
  return table;
}

// --format table: a comment line naming the tokenizer and max_length above the table; others: the table alone.
void print_stats(const std::vector<TokenizedLine>& lines, const std::string& name, const Tokenizer& tokenizer,
                 int64_t max_length, TableFormat format) {
  if (format == TableFormat::kTable)
    std::printf("# icsweep tokenize --stats  tokenizer %s (len %lld, fingerprint %s)  max_length %lld\n",
                tokenizer.source().c_str(), static_cast<long long>(tokenizer.size()), tokenizer.fingerprint().c_str(),
                static_cast<long long>(max_length));
  std::fputs(render_table(stats_table(lines, name, max_length), format).c_str(), stdout);
}

}  // namespace

int cmd_tokenize(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep tokenize --tokenizer DIR [--special] [-l N] [--decode-tail] [--text-field text] [--threads N]\n"
      "                        [--stats [--format table|csv|json|markdown]] [FILE.jsonl|-]\n\n"
      "Tokenizes the text field of every JSONL line (stdin when FILE is - or absent) exactly as Hugging Face\n"
      "transformers' AutoTokenizer does, and writes one JSON object per line: {\"line\", \"ids\"} plus, with\n"
      "--decode-tail, \"tail_tokens\" (len(ids) - 1) and \"tail_bytes\" (UTF-8 bytes of decode(ids[1:]), the\n"
      "reference text size). --stats prints instead the dataset's mean text bits per token (docs/design.md 1.2):\n"
      "special tokens on and --max-length 1024 unless given, mean over samples of 8*tail_bytes/tail_tokens,\n"
      "and `constant`, that mean rounded to 2 decimals, as a table (--format).\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("tokenizer", po::value<std::string>(), "tokenizer directory (tokenizer.json or tokenizer.model)")
      ("special", po::bool_switch(), "add the tokenizer's special tokens (BOS/EOS) as transformers does")
      ("max-length,l", po::value<int64_t>(),
       "truncate each text's ids to the first N tokens, as max_sample_length (0: no truncation; --stats: 1024 "
       "unless given)")
      ("decode-tail", po::bool_switch(), "add tail_tokens and tail_bytes to every output line")
      ("stats", po::bool_switch(), "print the text bits per token summary instead of ids")
      ("format,f", po::value<std::string>()->default_value("table"), "--stats' table: table | csv | json | markdown")
      ("text-field", po::value<std::string>()->default_value("text"), "JSON field holding the text")
      ("threads", po::value<int>()->default_value(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
       "encoding threads");
  po::variables_map vm;
  if (!parse_command_line("tokenize", args, options, "input", &vm)) return kExitOk;
  if (!vm.count("tokenizer")) {
    std::cerr << "icsweep tokenize: --tokenizer DIR is required (see icsweep tokenize --help)\n";
    return kExitUsage;
  }
  const bool stats = vm["stats"].as<bool>();
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());
  if (!stats && !vm["format"].defaulted()) throw UsageError("tokenize: --format applies to --stats only (ids are JSONL)");
  const bool special = vm["special"].as<bool>() || stats;
  const bool tails = vm["decode-tail"].as<bool>() || stats;
  const int64_t max_length = vm.count("max-length") ? vm["max-length"].as<int64_t>() : (stats ? 1024 : 0);
  const int threads = std::max(1, vm["threads"].as<int>());
  const std::string input = vm.count("input") ? vm["input"].as<std::string>() : "-";
  if (max_length < 0) {
    std::cerr << "icsweep tokenize: --max-length must be >= 0\n";
    return kExitUsage;
  }
  try {
    const auto tokenizer = load_tokenizer(vm["tokenizer"].as<std::string>());
    std::vector<std::pair<int64_t, std::string>> texts;
    const std::string name = input == "-" ? "<stdin>" : input;
    if (input == "-") {
      texts = read_texts(std::cin, name, vm["text-field"].as<std::string>());
    } else {
      std::ifstream in(input, std::ios::binary);
      if (!in) throw DataError(input, 0, "cannot open");
      texts = read_texts(in, name, vm["text-field"].as<std::string>());
    }
    const auto lines = tokenize_all(*tokenizer, texts, name, special, max_length, tails, threads);
    if (stats) {
      print_stats(lines, name, *tokenizer, max_length, format);
      return kExitOk;
    }
    for (const TokenizedLine& line : lines) {
      nlohmann::json out = {{"line", line.line}, {"ids", line.ids}};
      if (tails) {
        out["tail_tokens"] = line.ids.empty() ? 0 : static_cast<int64_t>(line.ids.size()) - 1;
        out["tail_bytes"] = line.tail_bytes;
      }
      std::cout << out.dump() << '\n';
    }
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "icsweep tokenize: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace icsweep
