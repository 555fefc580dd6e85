// Llama 4 text (transformers' modeling_llama4.py): Llama4ForCausalLM, and the language model of
// Llama4ForConditionalGeneration (keys under text_config, tensors under language_model.*; the
// vision tower and projector are ignored). Pre-norm decoder layers of two kinds:
//  - rope layers (no_rope_layers[i] == 1): interleaved (complex) rotary embeddings, optional L2
//    norm of q and k (use_qk_norm), chunked causal attention (attention_chunk_size);
//  - no-rope layers: full causal attention, queries scaled by the attention temperature
//    (attn_temperature_tuning: 1 + attn_scale * log1p(floor((pos + 1) / floor_scale))).
// Feed-forward: a dense SiLU-gated MLP (intermediate_size_mlp) or, on moe_layers, a shared expert
// plus fused routed experts whose router takes the top-k logits through a sigmoid and scales the
// expert *input* by it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/decoder_blocks.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct Llama4Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;      // per routed expert and the shared expert
  int64_t intermediate_size_mlp = 0;  // dense layers
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t num_experts = 0;
  int64_t top_k = 1;
  double rms_norm_eps = 1e-5;
  std::string hidden_act = "silu";
  bool attention_bias = false;
  bool use_qk_norm = true;
  bool attn_temperature_tuning = true;
  double floor_scale = 8192;
  double attn_scale = 0.1;
  bool tie_word_embeddings = false;
  std::vector<bool> use_rope;        // per layer (config no_rope_layers: 1 = rope, 0 = NoPE)
  std::vector<bool> is_moe;          // per layer (config moe_layers)
  std::vector<int64_t> chunk_size;   // per layer; 0 = full causal attention
  RopeConfig rope;

  static Llama4Config from_hf(const HfConfig& config);
};

struct Llama4LayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;  // dense layers: F = intermediate_size_mlp; MoE layers: the shared expert, F = intermediate_size
  torch::Tensor router;        // (E, D)
  torch::Tensor gate_up_proj;  // (E, D, 2F): [gate | up] halves along the last dim
  torch::Tensor experts_down;  // (E, F, D)
};

struct Llama4Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Llama4LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Llama4Model : public CausalLM {
 public:
  // layer_devices: (L) where each layer lives (place_split_layers; all `device` when not split).
  Llama4Model(Llama4Config config, Llama4Weights weights, ModelInfo info, torch::ScalarType dtype,
              torch::Device device, std::vector<torch::Device> layer_devices);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(int64_t layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask) const;
  torch::Tensor moe(const Llama4LayerWeights& w, const torch::Tensor& x) const;

  Llama4Config config_;
  Llama4Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::vector<torch::Device> layer_devices_;  // (L)
};

// devices: one, or several to split the layers across (place_split_layers).
std::unique_ptr<CausalLM> load_llama4(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                      torch::ScalarType dtype, const std::vector<torch::Device>& devices);

}  // namespace icsweep
