// What the `exact` FLOPs profile counts, per layer, for a config.json of any family icsweep
// implements: the matmul weights a token passes through and the shape of its attention, as each
// family (core/model/families/) reads its own config. Units: weights (multiply-adds per token);
// flops_exact.cpp turns them into FLOPs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/config/hf_config.h"

namespace icsweep {

struct LayerShape {
  int64_t attention_weights = 0;  // q/k/v/o (or MLA) projection weights seen by each token
  int64_t heads = 0;              // attention heads
  int64_t qk_dim = 0;             // per-head query·key width
  int64_t v_dim = 0;              // per-head value width
  int64_t window = 0;             // sliding window W (keys i-W < j <= i); 0 = none
  int64_t chunk = 0;              // chunked attention (Llama 4): keys in the query's chunk only; 0 = none
  int64_t top_k_keys = 0;         // sparse attention (DSA): at most this many of the causal keys per query; 0 = all
  int64_t indexer_per_key = 0;    // DSA lightning indexer per (query, causal key): 2·H_i·D_i + 2·H_i; 0 = none
  int64_t mlp_weights = 0;        // active MLP weights per token: dense, or router + top-k experts + shared

  // ---- Mamba-2 and short convolutions (Falcon-H1, Granite 4, LFM2): the mixer as computed ----
  int64_t ssm_proj_weights = 0;   // in_proj + out_proj weights seen by each token (Mamba-2 mixer, LFM2 short conv)
  int64_t conv_channels = 0;      // causal depthwise conv1d over C channels with a kernel of K: C·K per token
  int64_t conv_kernel = 0;        // K
  int64_t ssd_heads = 0;          // Mamba-2's chunked SSD scan: H heads of P channels; 0 = no scan
  int64_t ssd_head_dim = 0;       // P
  int64_t ssd_groups = 0;         // G groups sharing B and C
  int64_t ssd_state = 0;          // N state channels
  int64_t ssd_chunk = 0;          // Q: the scan's chunk (mamba_chunk_size), min(Q, L) for a shorter sequence
  // ---- end Mamba-2 / short convolutions ----
  // ---- Gated DeltaNet (linear attention: Qwen3.5, Qwen3-Next; core/model/gated_deltanet.h) ----
  // A layer with gdn_heads > 0 is a Gated DeltaNet layer (heads 0: no softmax attention); its
  // projections are attention_weights, these fields its causal conv and chunked delta rule.
  int64_t gdn_heads = 0;          // Hv: value heads (query/key heads repeated to Hv)
  int64_t gdn_key_dim = 0;        // Dk per head
  int64_t gdn_value_dim = 0;      // Dv per head
  int64_t gdn_conv_channels = 0;  // depthwise causal conv channels: 2·Hk·Dk + Hv·Dv
  int64_t gdn_conv_kernel = 0;    // its taps
  int64_t gdn_chunk = 0;          // chunk length C of the chunked delta rule
  // ---- end Gated DeltaNet ----
};

struct ModelShape {
  std::vector<LayerShape> layers;
  int64_t lm_head_weights = 0;  // d * V
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, int64_t>> dimensions;
};

// The shape of the family the registry (core/model/families/registry.h) picks for the config, as
// load_causal_lm() would: architectures[0], else the text model's model_type; that family reads the
// text model's config (text_config of multimodal checkpoints; aliases and class defaults applied)
// the way its forward does. ModelError naming the key for anything missing, or for an architecture
// or model_type no family implements.
ModelShape exact_model_shape(const HfConfig& config, const std::string& context);

// The model_types exact_model_shape() knows (the registry's), comma-separated (for messages and docs).
std::string exact_profile_model_types();

}  // namespace icsweep
