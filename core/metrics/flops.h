// FLOPs profiles (docs/design.md §1.4). `reference`: the leaderboard's decode-cost formula with its
// name-keyed quirks, exactly. `exact`: true forward FLOPs of scoring (prefill of actual lengths).
//
// Units: FLOPs, counting one multiply-add as 2 FLOPs. Embedding lookups, norms, rotary embeddings,
// activations, softmax and biases are never counted (in either profile).
//
// Name matching (reference profile): quirks are keyed on substrings of the model's name or path
// ("gpt-oss", "Llama-4", "Qwen1.5"/"Qwen2-" with "B-A", "gemma-3", "Ruyi", "deepseek"). icsweep
// matches them case-insensitively, so a local directory `qwen2-57b-a14b` gets the same value the
// leaderboard published for `Qwen2-57B-A14B` (the reference matches "deepseek" case-insensitively
// and the others case-sensitively; the published values were computed on canonical names). The
// size in the name (gemma-3, Ruyi) is the first match of Python's
// `re.search(r'(\d+(?:\.\d+)?)\s*(?:B|billion)', name, re.IGNORECASE)` (ASCII digits/spaces):
// `gemma-3-12b-it` -> 12, `Ruyi-Mini-7B` -> 7, `Qwen1.5-MoE-A2.7B` -> 2.7.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/config/hf_config.h"

namespace icsweep {

struct FlopsEstimate {
  std::string profile;            // "reference" | "exact"
  double total_flops = 0;         // decode (reference) or prefill (exact) FLOPs for `tokens` tokens
  int64_t tokens = 0;             // T, or the scored lengths' sum for exact over a cell
  double flops_per_token = 0;     // N = total / tokens
  std::vector<std::string> notes; // quirks/branches applied, e.g. "gemma-3 12B heads 16/8"
  // Dimensions the formula used, in order (e.g. {"hidden_size", 1024}; "d_k" = d // h), for tables.
  std::vector<std::pair<std::string, int64_t>> dimensions;
  // Where the total goes, in FLOPs (summing to total_flops): attention_projections, attention_core,
  // mlp, (conv_ssm_projections, conv_ssm_core where a model has Mamba-2 / short-conv layers,) lm_head.
  std::vector<std::pair<std::string, double>> breakdown;
};

// Decode T tokens from an empty prompt, batch 1, divided by T. `model_name` is the model's name or
// path (quirks match substrings of it); `attention_override` "mla" forces the MLA branch, "gqa" the
// dense one (as the reference's --attention_mechanism), "" decides by name.
// Reads config.json's keys as written, where the reference reads them; where it would stop (a key
// missing there: GPT-2's n_embd, a wrapper's text_config), the same formula on the text model's
// values as transformers resolves them (aliases, class defaults), with a note saying so. Throws
// ModelError naming the key when the formula cannot apply at all (then use the exact profile).
FlopsEstimate reference_flops(const HfConfig& config, const std::string& model_name,
                              int64_t T, const std::string& attention_override = "");

// Forward FLOPs of scoring sequences of the given lengths (prefill, causal attention), per token.
// Counted per layer and sequence of length L (shapes in flops_shapes.h, per family as implemented):
//   projections 2·L·(attention projection weights: q, k, v, o with the real head_dim and kv heads;
//               DeepSeek MLA: q (LoRA or not), kv_a, kv_b, o)
//   MLP         2·L·(active weights: gated 3·d·f, GPT-2/NeoX 2·d·f; MoE: router d·E + top-k experts
//               + shared expert(s) (+ Qwen-MoE's shared gate d))
//   attention   2·h·(qk_dim + v_dim)·Σ_i keys(i)   (QKᵀ and weights·V; keys(i) = i + 1 causal,
//               min(i + 1, W) on sliding-window layers, (i mod C) + 1 on chunked layers)
//   Mamba-2 / short convolutions (Falcon-H1, Granite 4, LFM2): 2·L·(in_proj + out_proj weights), the
//               depthwise conv 2·L·C·K, Mamba-2's chunked SSD scan as computed (flops_exact.cpp)
//   Gated DeltaNet layers (Qwen3.5, Qwen3-Next) instead of attention: their projections as above, the
//               causal conv and the chunked delta rule as computed (flops_exact.cpp, "gated_deltanet_core")
// plus the LM head 2·L·d·V for every position. ModelError for a model_type outside core/model/.
FlopsEstimate exact_flops(const HfConfig& config, const std::vector<int64_t>& lengths);

// Dispatch on profile name ("reference" | "exact"); for exact with only T, one sequence of T.
FlopsEstimate flops_for_profile(const std::string& profile, const HfConfig& config,
                                const std::string& model_name, int64_t T,
                                const std::string& attention_override = "");

// Size in billions parsed from a model name as described above; false when there is none.
bool parse_size_billions(const std::string& name, double* billions);

}  // namespace icsweep
