// Olmo2ForCausalLM (transformers' modeling_olmo2.py): no pre-norms; each sub-block's output is
// RMS-normed before the residual add (post_attention_layernorm, post_feedforward_layernorm), and
// the queries and keys are RMS-normed over the whole projection (q_norm: H*Dh, k_norm: Hkv*Dh)
// before the heads are split and rotated. Olmo2RMSNorm applies its weight in fp32.
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

struct Olmo2Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  double rms_norm_eps = 1e-5;
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  bool tie_word_embeddings = false;
  RopeConfig rope;

  static Olmo2Config from_hf(const HfConfig& config);
};

struct Olmo2LayerWeights {
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor q_norm;                       // (H*Dh)
  torch::Tensor k_norm;                       // (Hkv*Dh)
  torch::Tensor post_attention_layernorm;     // (D)
  SwigluWeights mlp;                       // mlp.{gate,up,down}_proj; gate/up fused after loading
  torch::Tensor post_feedforward_layernorm;   // (D)
};

struct Olmo2Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Olmo2LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Olmo2Model : public CausalLM {
 public:
  // layer_devices: (L) where each layer lives (place_split_layers; all `device` when not split).
  Olmo2Model(Olmo2Config config, Olmo2Weights weights, ModelInfo info, torch::ScalarType dtype, torch::Device device,
             std::vector<torch::Device> layer_devices);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Olmo2LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;

  Olmo2Config config_;
  Olmo2Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::vector<torch::Device> layer_devices_;  // (L)
};

// devices: one, or several to split the layers across (place_split_layers).
std::unique_ptr<CausalLM> load_olmo2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices);

}  // namespace icsweep
