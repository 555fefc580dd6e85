// The torch-free half every family shares: the config pieces read the same way across families
// (head layout, rotary parameters, Qwen-style windows and sparse layers) and the helpers that turn a
// family's config struct into its per-layer shape for the exact FLOPs profile (core/metrics). No
// torch here: core/metrics links it without libtorch.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/hf_config.h"
#include "core/metrics/flops_shapes.h"

namespace icsweep {

class CausalLM;      // core/model/causal_lm.h
struct LoadRequest;  // core/model/decoder.h

// A family's loader and its exact-profile shape, as its registry row names them. `model_type` is the
// registry row's (e.g. "mistral" for the llama family's MistralForCausalLM row); config is the text
// model's (text_config of a multimodal wrapper).
using FamilyLoader = std::unique_ptr<CausalLM> (*)(const LoadRequest& request);
using FamilyShape = ModelShape (*)(const HfConfig& config, const std::string& model_type);

// Grouped-query attention heads: H query heads share Hkv key/value heads, each Dh wide.
struct HeadLayout {
  int64_t num_heads = 0;     // H
  int64_t num_kv_heads = 0;  // Hkv, divides H
  int64_t head_dim = 0;      // Dh
  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }

  // num_attention_heads, num_key_value_heads (default: num_attention_heads) and head_dim (default:
  // `default_head_dim`, or hidden_size / num_attention_heads when that is 0). ModelError naming
  // config.json unless num_attention_heads is a positive multiple of num_key_value_heads.
  static HeadLayout from_hf(const HfConfig& config, int64_t hidden_size, int64_t default_head_dim = 0);
};

// Rotary position embedding parameters: config.json "rope_theta" + "rope_scaling" (transformers 4)
// or "rope_parameters" (transformers 5). rope_type: default | linear | dynamic | llama3 | yarn.
struct RopeConfig {
  std::string type = "default";
  double theta = 10000.0;
  int64_t dim = 0;                      // rotary dimensions (head_dim * partial_rotary_factor)
  int64_t max_position_embeddings = 0;  // config.max_position_embeddings
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
  // yarn
  double attention_factor = 1.0;  // multiplies cos and sin (yarn; 1 otherwise)
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  bool truncate = true;

  // Reads the config; ModelError naming config.json and the key for unsupported rope types.
  static RopeConfig from_hf(const HfConfig& config, int64_t rotary_dim);
};

// The dimensions a shape reports (flops report tables), in this order.
struct ShapeDims {
  int64_t hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, intermediate = 0, vocab = 0;
};

// What every decoder's config has, read the same way in every family (a family's struct derives
// from it and reads the rest: biases, windows, experts, its rope).
struct DecoderConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // the dense MLP's width
  int64_t num_layers = 0;
  HeadLayout heads;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeConfig rope;               // the family reads it (partial, per layer type, longrope, ...)

  // vocab_size, hidden_size, intermediate_size, num_hidden_layers, the heads (HeadLayout::from_hf
  // with `default_head_dim`), rms_norm_eps (else `eps`) and tie_word_embeddings (else false).
  // intermediate_size may be absent (0) where the model has no dense MLP: `dense_mlp` false.
  static DecoderConfig read(const HfConfig& config, double eps, int64_t default_head_dim = 0, bool dense_mlp = true);
  ShapeDims dims() const;  // of the exact FLOPs profile
};

// The rope object of a config: rope_parameters (transformers 5), else rope_scaling (4.x); nullopt
// when neither is there.
std::optional<HfConfig> rope_object(const HfConfig& config);

// The fraction of each head that rotates: rope_parameters.partial_rotary_factor (transformers 5),
// else a top-level partial_rotary_factor, else rotary_pct (GPT-NeoX in transformers 4), else
// `fallback` (the family's default).
double partial_rotary_factor(const HfConfig& config, double fallback);

// The rotary dims of a head: int(head_dim * partial_rotary_factor(config, fallback)); ModelError
// naming config.json unless 2 <= dims <= head_dim.
int64_t partial_rotary_dims(const HfConfig& config, int64_t head_dim, double fallback);

// transformers' ACT2FN names layers.h's activation() implements: gelu, gelu_new, gelu_fast,
// gelu_pytorch_tanh, silu, swish, relu.
bool activation_supported(const std::string& name);

// ModelError naming config.json and `family` unless hidden_act (default silu) is silu.
void require_silu_activation(const HfConfig& config, const std::string& family);

// ModelError naming config.json unless 1 <= top_k <= num_experts (`experts_key` names the count).
void require_top_k(const HfConfig& config, int64_t top_k, int64_t num_experts, const std::string& experts_key);

// Qwen2/Qwen3-style per-layer windows: with use_sliding_window and sliding_window set, the layers
// listed as "sliding_attention" in layer_types (older configs: layers >= max_window_layers) get
// the window; 0 elsewhere. (L).
std::vector<int64_t> qwen_sliding_windows(const HfConfig& config, int64_t num_layers);

// Qwen2-MoE / Qwen3-MoE layer layout: layer i holds an MoE block unless config "mlp_only_layers"
// lists it, when num_experts > 0 and (i + 1) % decoder_sparse_step == 0; else a dense MLP.
std::vector<bool> qwen_sparse_layers(const HfConfig& config, int64_t num_layers, int64_t num_experts);

// True for each layer index >= `dense_layers` (DeepSeek's and GLM-4.5's first_k_dense_replace). (L)
std::vector<bool> sparse_after(int64_t num_layers, int64_t dense_layers);

// ---- Shapes for the exact FLOPs profile (weights a token passes through, per layer) ----

// q, k, v and o projections: d·H·Dh + 2·d·Hkv·Dh + H·Dh·d.
int64_t attention_weights(int64_t hidden, const HeadLayout& heads);

// A SiLU/GELU-gated MLP (gate, up, down): 3·d·F.
inline int64_t gated_mlp_weights(int64_t hidden, int64_t intermediate) { return 3 * hidden * intermediate; }

// A mixture of experts per token: router d·E, top_k gated experts F_e wide, a gated shared expert
// F_s wide (0: none), plus `shared_gate` weights (Qwen-MoE's d) when there is a shared expert.
struct ExpertDims {
  int64_t routed = 0, top_k = 0, intermediate = 0, shared_intermediate = 0, shared_gate = 0;
  int64_t weights(int64_t hidden) const;
};

// One layer of standard attention (the real head_dim, kv heads, `window` 0 = none) and an MLP of
// `mlp_weights`.
LayerShape attention_layer(int64_t hidden, const HeadLayout& heads, int64_t mlp_weights, int64_t window = 0);

// The model's shape from its layers: lm_head d·V, the dimensions (with the experts' when
// `experts` has routed experts), a note for MoE and one for sliding windows where a layer has one.
ModelShape model_shape(const ShapeDims& dims, std::vector<LayerShape> layers, const ExpertDims& experts = {});

// Every layer multi-head attention (dims' heads, kv heads, head_dim) and an ungated MLP, fc in and
// fc out: 2·d·F (GPT-2, GPT-NeoX).
ModelShape ungated_decoder_shape(const ShapeDims& dims);

// Every layer dense and gated: windows (L) per layer (empty: none).
ModelShape gated_decoder_shape(const ShapeDims& dims, const HeadLayout& heads, const std::vector<int64_t>& windows);

// Layers whose MLP is the experts where `sparse` (L) says so, a gated MLP of dims.intermediate elsewhere;
// windows (L) per layer (empty: none).
ModelShape moe_decoder_shape(const ShapeDims& dims, const HeadLayout& heads, const ExpertDims& experts,
                             const std::vector<bool>& sparse, const std::vector<int64_t>& windows);

}  // namespace icsweep
