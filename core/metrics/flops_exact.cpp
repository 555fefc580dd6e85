// The `exact` FLOPs profile: forward (prefill) FLOPs of scoring sequences of given lengths, for every
// family icsweep implements (each family's shape, flops_shapes.h). What is counted is listed in flops.h.
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"
#include "core/metrics/flops_shapes.h"

namespace icsweep {
namespace {

using Int = __int128;

// Σ_{i=0}^{L-1} keys seen by query i: min(i + 1, W) with a sliding window W; (i mod C) + 1 with
// chunked attention of chunk C; i + 1 otherwise (causal).
Int attended_keys(int64_t L, int64_t window, int64_t chunk) {
  if (chunk > 0) {
    const Int full = L / chunk, rest = L % chunk;
    return full * chunk * (chunk + 1) / 2 + rest * (rest + 1) / 2;
  }
  if (window <= 0 || L <= window) return Int(L) * (L + 1) / 2;
  return Int(window) * (window + 1) / 2 + Int(L - window) * window;
}

}  // namespace

FlopsEstimate exact_flops(const HfConfig& config, const std::vector<int64_t>& lengths) {
  const std::string context = "exact FLOPs (model_type '" + config.text().model_type() + "')";
  const ModelShape shape = exact_model_shape(config, context);
  if (lengths.empty()) throw ModelError(context + ": no sequence lengths given");

  Int tokens = 0, proj = 0, attn = 0, mlp = 0;
  for (int64_t L : lengths) {
    if (L < 1) throw ModelError(context + ": sequence length must be at least 1, got " + std::to_string(L));
    tokens += L;
    for (const auto& l : shape.layers) {
      proj += Int(2) * L * l.attention_weights;
      mlp += Int(2) * L * l.mlp_weights;
      const Int keys = l.top_k_keys > 0 ? attended_keys(L, l.top_k_keys, 0) : attended_keys(L, l.window, l.chunk);
      attn += Int(2) * l.heads * (l.qk_dim + l.v_dim) * keys + Int(l.indexer_per_key) * attended_keys(L, 0, 0);
    }
  }
  const Int lm_head = Int(2) * tokens * shape.lm_head_weights;
  const Int total = proj + mlp + attn + lm_head;

  FlopsEstimate e;
  e.profile = "exact";
  e.total_flops = static_cast<double>(total);
  e.tokens = static_cast<int64_t>(tokens);
  e.flops_per_token = e.total_flops / static_cast<double>(tokens);
  e.notes = shape.notes;
  e.notes.push_back("prefill of " + std::to_string(lengths.size()) + " sequence(s), real head_dim, lm_head on every position");
  e.dimensions = shape.dimensions;
  e.breakdown = {{"attention_projections", static_cast<double>(proj)},
                 {"attention_core", static_cast<double>(attn)},
                 {"mlp", static_cast<double>(mlp)},
                 {"lm_head", static_cast<double>(lm_head)}};
  return e;
}

}  // namespace icsweep
