// MixtralForCausalLM (transformers' modeling_mixtral.py): the Mistral decoder (RMSNorm, rotary GQA
// attention, optional sliding window on every layer) with a sparse MoE block instead of the MLP:
// block_sparse_moe.gate routes each token to num_experts_per_tok of num_local_experts SwiGLU
// experts (w1 gate, w3 up, w2 down); softmax over all experts, top-k, renormalised over the k.
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

struct MixtralConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // per expert
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t num_experts = 0;
  int64_t top_k = 0;
  int64_t sliding_window = 0;  // 0 = full causal attention
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  RopeConfig rope;

  static MixtralConfig from_hf(const HfConfig& config);
};

struct MixtralLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor post_attention_layernorm;  // (D)
  torch::Tensor router;                    // (E, D) block_sparse_moe.gate
  std::vector<SwigluWeights> experts;      // E
};

struct MixtralWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<MixtralLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class MixtralModel : public CausalLM {
 public:
  MixtralModel(MixtralConfig config, MixtralWeights weights, ModelInfo info, torch::ScalarType dtype,
               torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const MixtralLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const;
  torch::Tensor moe(const MixtralLayerWeights& w, const torch::Tensor& x) const;

  MixtralConfig config_;
  MixtralWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

std::unique_ptr<CausalLM> load_mixtral(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                       ModelInfo info, torch::ScalarType dtype,
                                       const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
