// Per-token NLL bits of a loaded model against a logprobs.json reference (the fixtures of
// gen_parity_fixtures.py and gen_fp8_fixtures.py): shared by the parity tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/model/causal_lm.h"

namespace icsweep::testing {

// NLL bits of ids[t+1] under logits row t, log_softmax in fp32 over the full vocabulary.
// ids: (B, T); returns (B, T-1) float64.
inline torch::Tensor nll_bits(CausalLM& model, const torch::Tensor& ids) {
  torch::InferenceMode guard;
  auto hidden = model.forward_hidden(ids);                           // (B, T, D)
  const auto b = hidden.size(0), t = hidden.size(1), d = hidden.size(2);
  auto logits = model.logits(hidden.reshape({b * t, d})).view({b, t, -1}).to(torch::kFloat32);  // (B, T, V)
  auto logp = torch::log_softmax(logits, -1).narrow(1, 0, t - 1);   // (B, T-1, V)
  auto next = ids.narrow(1, 1, t - 1).unsqueeze(-1);                // (B, T-1, 1)
  return (-logp.gather(-1, next).squeeze(-1) / std::log(2.0)).to(torch::kFloat64);
}

// Per sequence of ref["sequences"]: max |model - reference| over its scored tokens of [i][key], the
// sequence alone and, when ref says batch_invariant, within all of them as one right-padded batch (id 0
// padding must not change the real tokens' values).
inline std::vector<double> sequence_diffs(CausalLM& model, const nlohmann::json& ref, const std::string& key) {
  const auto& seqs = ref["sequences"];
  std::vector<double> worst(seqs.size(), 0.0);
  int64_t longest = 0;
  for (const auto& s : seqs) longest = std::max<int64_t>(longest, s["ids"].size());
  auto padded = torch::zeros({static_cast<int64_t>(seqs.size()), longest}, torch::kInt64);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto ids_vec = seqs[i]["ids"].get<std::vector<int64_t>>();
    const auto expected = seqs[i][key].get<std::vector<double>>();
    const int64_t n = ids_vec.size();
    auto ids = torch::tensor(ids_vec, torch::kInt64).unsqueeze(0);  // (1, T)
    padded[i].narrow(0, 0, n).copy_(ids[0]);
    if (n < 2) continue;
    auto got = nll_bits(model, ids)[0];
    EXPECT_EQ(got.size(0), static_cast<int64_t>(expected.size()));
    for (int64_t t = 0; t + 1 < n; ++t) worst[i] = std::max(worst[i], std::abs(got[t].item<double>() - expected[t]));
  }
  if (ref.value("batch_invariant", true)) {
    auto got = nll_bits(model, padded);
    for (size_t i = 0; i < seqs.size(); ++i) {
      const auto expected = seqs[i][key].get<std::vector<double>>();
      for (size_t t = 0; t < expected.size(); ++t)
        worst[i] = std::max(worst[i], std::abs(got[i][t].item<double>() - expected[t]));
    }
  }
  return worst;
}

// |model - reference| over every scored token of ref["sequences"][i][key], each sequence alone through
// the model on `device` (where its weights are): the mean, the worst and how many tokens.
struct TokenDiffs {
  double mean = 0, worst = 0;
  int64_t count = 0;
};
inline TokenDiffs token_diffs(CausalLM& model, const nlohmann::json& ref, const std::string& key, torch::Device device) {
  TokenDiffs d;
  double sum = 0;
  for (const auto& s : ref["sequences"]) {
    const auto ids_vec = s["ids"].get<std::vector<int64_t>>();
    const auto expected = s[key].get<std::vector<double>>();
    if (ids_vec.size() < 2) continue;
    const auto got = nll_bits(model, torch::tensor(ids_vec, torch::kInt64).unsqueeze(0).to(device))[0].cpu();
    for (size_t t = 0; t < expected.size(); ++t, ++d.count) {
      const double diff = std::abs(got[t].item<double>() - expected[t]);
      sum += diff;
      d.worst = std::max(d.worst, diff);
    }
  }
  d.mean = sum / std::max<int64_t>(1, d.count);
  return d;
}

// Max |model - reference| over every scored token of the fixture (sequence_diffs).
inline double max_abs_diff(CausalLM& model, const nlohmann::json& ref, const std::string& key = "nll_bits") {
  const auto diffs = sequence_diffs(model, ref, key);
  return diffs.empty() ? 0.0 : *std::max_element(diffs.begin(), diffs.end());
}

}  // namespace icsweep::testing
