// GptOssForCausalLM (transformers' modeling_gpt_oss.py): pre-norm decoder whose attention adds a
// learned per-head "sink" logit to every softmax row (then drops it), alternates sliding-window and
// full layers (layer_types), uses yarn rotary embeddings and biased q/k/v/o projections; the MLP is
// a biased top-k router (softmax over the selected logits) over fused experts with the clamped
// SwiGLU (gate/up columns interleaved). Expert matrices load from plain tensors or, as published,
// from MXFP4 *_blocks/*_scales (mxfp4.h), dequantized to the model dtype on load.
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

struct GptOssConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // per expert
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t num_experts = 0;
  int64_t top_k = 0;
  double rms_norm_eps = 1e-5;
  double swiglu_alpha = 1.702;
  double swiglu_limit = 7.0;
  bool attention_bias = true;
  bool tie_word_embeddings = false;
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention
  RopeConfig rope;

  static GptOssConfig from_hf(const HfConfig& config);
};

struct GptOssLayerWeights {
  torch::Tensor input_layernorm;           // (D), fp32 (transformers keeps the norms in fp32)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor sinks;                     // (H)
  torch::Tensor post_attention_layernorm;  // (D), fp32
  torch::Tensor router, router_bias;       // (E, D), (E)
  torch::Tensor gate_up_proj;              // (E, D, 2F), gate/up interleaved along the last dim
  torch::Tensor gate_up_bias;              // (E, 2F)
  torch::Tensor down_proj;                 // (E, F, D)
  torch::Tensor down_bias;                 // (E, D)
};

struct GptOssWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<GptOssLayerWeights> layers;
  torch::Tensor norm;     // (D), fp32
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class GptOssModel : public CausalLM {
 public:
  GptOssModel(GptOssConfig config, GptOssWeights weights, ModelInfo info, torch::ScalarType dtype,
              torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const GptOssLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& allowed) const;
  torch::Tensor experts(const GptOssLayerWeights& w, const torch::Tensor& x) const;

  GptOssConfig config_;
  GptOssWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

std::unique_ptr<CausalLM> load_gpt_oss(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                       ModelInfo info, torch::ScalarType dtype,
                                       const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
