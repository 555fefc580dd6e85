// Qwen3MoeForCausalLM (transformers' modeling_qwen3_moe.py): the Qwen3 decoder (per-head q/k
// RMSNorm before rotary, explicit head_dim, optional attention biases) whose MLP is, on the sparse
// layers, a softmax top-k over the experts, renormalised with norm_topk_prob; no shared expert.
// Sparse layers as Qwen2-MoE (mlp_only_layers, decoder_sparse_step); the others keep a dense
// SwiGLU MLP of intermediate_size. The expert count is "num_experts" in Hub configs and
// "num_local_experts" in configs transformers 5 saved.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/decoder_blocks.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/moe.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct Qwen3MoeConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense layers
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t num_experts = 0;
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;
  bool norm_topk_prob = false;
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  int64_t sliding_window = 0;   // every layer; 0 = full causal attention
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  std::vector<bool> sparse;  // per layer: MoE block (true) or dense MLP
  RopeConfig rope;

  static Qwen3MoeConfig from_hf(const HfConfig& config);
};

struct Qwen3MoeLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor q_norm, k_norm;            // (Dh) each
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // dense layers: F = intermediate_size
  torch::Tensor router;                    // (E, D) mlp.gate
  std::vector<SwigluWeights> experts;      // E, F = moe_intermediate_size
};

struct Qwen3MoeWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Qwen3MoeLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Qwen3MoeModel : public CausalLM {
 public:
  Qwen3MoeModel(Qwen3MoeConfig config, Qwen3MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor moe(const Qwen3MoeLayerWeights& w, const torch::Tensor& x) const;

  Qwen3MoeConfig config_;
  Qwen3MoeWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

std::unique_ptr<CausalLM> load_qwen3_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
