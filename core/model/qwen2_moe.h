// Qwen2MoeForCausalLM (transformers' modeling_qwen2_moe.py; Qwen1.5-MoE, Qwen2-MoE): the Qwen2
// decoder (q/k/v biases, optional sliding windows) whose MLP is, on the sparse layers, a softmax
// top-k over num_experts SwiGLU experts (renormalised only with norm_topk_prob) plus one shared
// expert scaled by sigmoid(shared_expert_gate(x)). A layer is sparse when it is not listed in
// mlp_only_layers and (layer + 1) % decoder_sparse_step == 0; the others keep a dense SwiGLU MLP
// of intermediate_size.
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

struct Qwen2MoeConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense layers
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t num_experts = 0;
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;
  int64_t shared_expert_intermediate_size = 0;
  bool norm_topk_prob = false;
  bool qkv_bias = true;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  std::vector<bool> sparse;             // per layer: MoE block (true) or dense MLP
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention
  RopeConfig rope;

  static Qwen2MoeConfig from_hf(const HfConfig& config);
};

struct Qwen2MoeLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // dense layers: F = intermediate_size
  torch::Tensor router;                    // (E, D) mlp.gate
  std::vector<SwigluWeights> experts;      // E, F = moe_intermediate_size
  SwigluWeights shared_expert;             // F = shared_expert_intermediate_size
  torch::Tensor shared_expert_gate;        // (1, D)
};

struct Qwen2MoeWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Qwen2MoeLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Qwen2MoeModel : public CausalLM {
 public:
  Qwen2MoeModel(Qwen2MoeConfig config, Qwen2MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Qwen2MoeLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const;
  torch::Tensor moe(const Qwen2MoeLayerWeights& w, const torch::Tensor& x) const;

  Qwen2MoeConfig config_;
  Qwen2MoeWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

std::unique_ptr<CausalLM> load_qwen2_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
