// Token sequences of given lengths with random ids below `vocab` (reproducible per seed), for the
// scorer tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace icsweep::testing {

inline std::vector<std::vector<int32_t>> random_sequences(const std::vector<int>& lengths, int64_t vocab,
                                                          unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
  std::vector<std::vector<int32_t>> out;
  for (int length : lengths) {
    out.emplace_back(length);
    for (auto& id : out.back()) id = token(rng);
  }
  return out;
}

}  // namespace icsweep::testing
