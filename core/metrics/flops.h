// FLOPs profiles (design.md §1.4). `reference`: the leaderboard's decode-cost formula with its
// name-keyed quirks, exactly. `exact`: true forward FLOPs of scoring (prefill of actual lengths).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace icsweep {

struct FlopsEstimate {
  std::string profile;            // "reference" | "exact"
  double total_flops = 0;         // decode (reference) or prefill (exact) FLOPs for `tokens` tokens
  int64_t tokens = 0;             // T, or the scored lengths' sum for exact over a cell
  double flops_per_token = 0;     // N = total / tokens
  std::vector<std::string> notes; // quirks/branches applied, e.g. "gemma-3 12B heads 16/8"
};

// Decode T tokens from an empty prompt, batch 1, divided by T. `model_name` is the model's name or
// path (quirks match substrings of it); `attention_override` "mla" forces the MLA branch.
// Throws ModelError naming the missing config key.
FlopsEstimate reference_flops(const nlohmann::json& config, const std::string& model_name,
                              int64_t T, const std::string& attention_override = "");

// Forward FLOPs of scoring sequences of the given lengths (prefill, causal attention), per token.
FlopsEstimate exact_flops(const nlohmann::json& config, const std::vector<int64_t>& lengths);

// Dispatch on profile name ("reference" | "exact"); for exact with only T, one sequence of T.
FlopsEstimate flops_for_profile(const std::string& profile, const nlohmann::json& config,
                                const std::string& model_name, int64_t T,
                                const std::string& attention_override = "");

}  // namespace icsweep
