// Qwen3ForCausalLM (transformers' modeling_qwen3.py): the Llama decoder plus an RMSNorm over each
// query and key head (q_norm / k_norm, before rotary), an explicit head_dim that need not equal
// hidden_size / num_heads, optional attention biases and per-layer sliding windows.
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

struct Qwen3Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  double rms_norm_eps = 1e-6;
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  bool tie_word_embeddings = false;
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention
  RopeConfig rope;

  static Qwen3Config from_hf(const HfConfig& config);
};

struct Qwen3LayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused by Qwen3Model
  torch::Tensor q_norm, k_norm;            // (Dh) each
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // mlp.{gate,up,down}_proj; gate/up fused by Qwen3Model
};

struct Qwen3Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Qwen3LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Qwen3Model : public CausalLM {
 public:
  // `layer_devices`: one per layer (place_split_layers; all `device` when not split).
  Qwen3Model(Qwen3Config config, Qwen3Weights weights, ModelInfo info, torch::ScalarType dtype, torch::Device device,
             std::vector<torch::Device> layer_devices);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  Qwen3Config config_;
  Qwen3Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

// Qwen3Attention (shared with Qwen3-MoE): the fused q/k/v projection, an RMSNorm over each query and
// key head (q_norm, k_norm: (Dh)) before rotary, causal attention, o_proj. x: (B, T, D) -> (B, T, D).
torch::Tensor qwen3_attention(const AttentionProjections& w, const torch::Tensor& q_norm, const torch::Tensor& k_norm,
                              const HeadLayout& heads, double eps, const torch::Tensor& x, const torch::Tensor& cos,
                              const torch::Tensor& sin, const torch::Tensor& mask);

// Loads onto devices.front(), or with the layers split across `devices` in order.
std::unique_ptr<CausalLM> load_qwen3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices);

}  // namespace icsweep
