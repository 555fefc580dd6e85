// The `exact` FLOPs profile: forward (prefill) FLOPs of scoring sequences of given lengths, for every
// family icsweep implements (each family's shape, flops_shapes.h). What is counted is listed in flops.h.
#include <algorithm>

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

// ---- Mamba-2 and short convolutions (Falcon-H1, Granite 4, LFM2; core/model/mamba2.h) ----

// Multiply-adds of one layer's conv and SSD scan over a sequence of L tokens, as
// core/model/mamba2.cpp computes them: the depthwise conv C·K per token; the scan in c = ceil(L / Q')
// chunks of Q' = min(Q, L): C·Bᵀ per group G·c·Q'²·N, the diagonal blocks H·c·Q'²·P, the chunk
// states H·c·Q'·P·N, the recurrence over chunks H·(c+1)²·P·N, the entering states' outputs
// H·c·Q'·N·P. Elementwise work (decays, exponentials, gates, the D skip) is not counted.
Int conv_ssm_core_macs(const LayerShape& l, int64_t L) {
  Int macs = Int(L) * l.conv_channels * l.conv_kernel;
  if (l.ssd_heads == 0) return macs;
  const Int Q = std::min<int64_t>(l.ssd_chunk, L), c = (L + Q - 1) / Q;
  const Int H = l.ssd_heads, P = l.ssd_head_dim, G = l.ssd_groups, N = l.ssd_state;
  return macs + G * c * Q * Q * N + H * c * Q * Q * P + 2 * H * c * Q * P * N + H * (c + 1) * (c + 1) * P * N;
}

bool has_conv_ssm(const ModelShape& shape) {
  return std::any_of(shape.layers.begin(), shape.layers.end(), [](const LayerShape& l) { return l.conv_channels > 0; });
}

// ---- end Mamba-2 / short convolutions ----
// ---- Gated DeltaNet (flops_shapes.h's gdn_* fields) ----
// One Gated DeltaNet layer over a sequence of L, as core/model/gated_deltanet.cpp computes it: the
// depthwise causal conv (2·L·channels·taps), then per value head the sequence padded to n = ⌈L/C⌉
// chunks of C, and per chunk the multiply-adds of
//   k_β·kᵀ and q·kᵀ (C×Dk by Dk×C)                                   2·C²·Dk
//   the two unit-lower-triangular solves for v_β and the decayed k_β   C(C−1)/2·(Dv + Dk)
//   the intra-chunk weights times the new values (C×C by C×Dv)         C²·Dv
//   the state read by the decayed keys and by q, the state update      3·C·Dk·Dv
// each counted twice (FLOPs). Elementwise decays, gates and norms are not counted (flops.h).
Int gated_deltanet_core(const LayerShape& l, int64_t L) {
  if (l.gdn_heads == 0) return 0;
  const Int C = l.gdn_chunk, dk = l.gdn_key_dim, dv = l.gdn_value_dim;
  const Int chunks = (L + l.gdn_chunk - 1) / l.gdn_chunk;
  const Int per_chunk = 2 * C * C * dk + C * (C - 1) / 2 * (dv + dk) + C * C * dv + 3 * C * dk * dv;
  return Int(2) * L * l.gdn_conv_channels * l.gdn_conv_kernel + Int(2) * l.gdn_heads * chunks * per_chunk;
}
// ---- end Gated DeltaNet ----

}  // namespace

FlopsEstimate exact_flops(const HfConfig& config, const std::vector<int64_t>& lengths) {
  const std::string context = "exact FLOPs (model_type '" + config.text().model_type() + "')";
  const ModelShape shape = exact_model_shape(config, context);
  if (lengths.empty()) throw ModelError(context + ": no sequence lengths given");

  Int tokens = 0, proj = 0, attn = 0, mlp = 0, ssm_proj = 0, ssm_core = 0, gdn = 0;
  for (int64_t L : lengths) {
    if (L < 1) throw ModelError(context + ": sequence length must be at least 1, got " + std::to_string(L));
    tokens += L;
    for (const auto& l : shape.layers) {
      proj += Int(2) * L * l.attention_weights;
      mlp += Int(2) * L * l.mlp_weights;
      const Int keys = l.top_k_keys > 0 ? attended_keys(L, l.top_k_keys, 0) : attended_keys(L, l.window, l.chunk);
      attn += Int(2) * l.heads * (l.qk_dim + l.v_dim) * keys + Int(l.indexer_per_key) * attended_keys(L, 0, 0);
      ssm_proj += Int(2) * L * l.ssm_proj_weights;
      ssm_core += Int(2) * conv_ssm_core_macs(l, L);
      gdn += gated_deltanet_core(l, L);
    }
  }
  const Int lm_head = Int(2) * tokens * shape.lm_head_weights;
  const Int total = proj + mlp + attn + ssm_proj + ssm_core + gdn + lm_head;

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
  if (has_conv_ssm(shape)) {
    e.breakdown.insert(e.breakdown.end() - 1, {{"conv_ssm_projections", static_cast<double>(ssm_proj)},
                                               {"conv_ssm_core", static_cast<double>(ssm_core)}});
    e.notes.push_back("Mamba-2 / short-convolution layers as computed: in_proj and out_proj, the causal depthwise conv, "
                      "the chunked SSD scan (chunk min(mamba_chunk_size, L))");
  }
  if (gdn > 0) e.breakdown.push_back({"gated_deltanet_core", static_cast<double>(gdn)});
  return e;
}

}  // namespace icsweep
