// Encoding time grows linearly with input size: a 10 MB single text and 1 MB of one
// repeated character. Checked by size scaling, not by absolute time: encoding 16x the input may
// take at most 96x as long (linear gives ~16x; the merge heap is n log n and outgrows the CPU caches,
// measured 20-45x; quadratic would be 256x). Time is this thread's CPU time (a busy machine
// stretches wall time, not CPU time), each input encoded repeatedly until 50 ms of CPU time have
// been spent (short runs are below the clock's resolution), best of two such measurements.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace icsweep {
namespace {

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// CPU seconds of one encode of `text`.
double best_seconds(const Tokenizer& tokenizer, const std::string& text, size_t* tokens) {
  double best = 1e30;
  for (int measurement = 0; measurement < 2; ++measurement) {
    const double start = thread_cpu_seconds();
    int runs = 0;
    double elapsed = 0;
    do {
      *tokens = tokenizer.encode(text, true).size();
      ++runs;
      elapsed = thread_cpu_seconds() - start;
    } while (elapsed < 0.05);
    best = std::min(best, elapsed / runs);
  }
  return best;
}

void expect_linear(const Tokenizer& tokenizer, const std::string& small, const std::string& full,
                   const std::string& what) {
  size_t small_tokens = 0, full_tokens = 0;
  const double t_small = best_seconds(tokenizer, small, &small_tokens);
  const double t_full = best_seconds(tokenizer, full, &full_tokens);
  EXPECT_GT(full_tokens, 0u);
  const double ratio = t_full / t_small;
  std::printf("[linear] %-28s %-10s %9zu B %8.3f s  %9zu B %8.3f s  ratio %.1f\n", what.c_str(),
              tokenizer.source().substr(tokenizer.source().rfind('/') + 1).c_str(), small.size(), t_small,
              full.size(), t_full, ratio);
  EXPECT_LT(ratio, 96.0) << what << " on " << tokenizer.source() << ": " << small.size() << " bytes "
                         << t_small << " s, " << full.size() << " bytes " << t_full << " s";
}

std::string tokenizer_dir(const std::string& name) { return testing::testdata_dir() + "/tokenizers/" + name; }

TEST(LinearTime, OneMegabyteOfOneRepeatedCharacter) {
  for (const std::string name : {"gpt2", "qwen2.5", "phi3"}) {
    const auto tokenizer = load_tokenizer(tokenizer_dir(name));
    for (const char c : {'a', ' ', '\n'}) {
      expect_linear(*tokenizer, std::string(1 << 16, c), std::string(1 << 20, c),
                    std::string("repeated char ") + std::to_string(static_cast<int>(c)));
    }
  }
}

TEST(LinearTime, TenMegabyteSingleText) {
  std::ifstream in(testing::testdata_dir() + "/datasets/multilingual.jsonl");
  std::string corpus, line;
  while (std::getline(in, line)) corpus += nlohmann::json::parse(line).at("text").get<std::string>() + "\n";
  ASSERT_FALSE(corpus.empty());
  std::string full;
  while (full.size() < (10u << 20)) full += corpus;
  full.resize(10u << 20);
  while ((static_cast<unsigned char>(full.back()) & 0xC0) == 0x80 || static_cast<unsigned char>(full.back()) >= 0xC0) {
    full.pop_back();  // keep valid UTF-8 at the cut
  }
  std::string small = full.substr(0, full.size() / 16);
  while ((static_cast<unsigned char>(small.back()) & 0xC0) == 0x80 || static_cast<unsigned char>(small.back()) >= 0xC0) {
    small.pop_back();
  }
  const auto tokenizer = load_tokenizer(tokenizer_dir("qwen2.5"));
  expect_linear(*tokenizer, small, full, "10 MB text");
}

}  // namespace
}  // namespace icsweep
