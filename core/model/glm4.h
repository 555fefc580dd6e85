// Glm4ForCausalLM (transformers' modeling_glm4.py, GLM-4-0414): the Llama decoder with an extra
// RMSNorm on each sub-block's output before the residual add (post_self_attn_layernorm,
// post_mlp_layernorm), a fused gate_up_proj, q/k/v biases (attention_bias), and a partial rotary
// embedding in GLM's interleaved-pair layout over the first head_dim * partial_rotary_factor dims.
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

struct Glm4Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // Glm4Config's defaults: 32 heads, 2 kv heads, head_dim 128
  double rms_norm_eps = 1.5625e-07;
  bool attention_bias = true;  // q/k/v projections carry a bias (o_proj never does)
  bool tie_word_embeddings = false;
  RopeConfig rope;  // rope.dim = int(head_dim * partial_rotary_factor)

  // Glm4Config's defaults apply to absent keys.
  static Glm4Config from_hf(const HfConfig& config);
};

struct Glm4LayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor post_self_attn_layernorm;  // (D)
  torch::Tensor post_attention_layernorm;  // (D), before the MLP despite its name
  SwigluWeights mlp;                       // mlp.gate_up_proj (2F, D): [gate | up], mlp.down_proj
  torch::Tensor post_mlp_layernorm;        // (D)
};

struct Glm4Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Glm4LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Glm4Model : public CausalLM {
 public:
  // layer_devices: (L) where each layer lives (place_split_layers; all `device` when not split).
  Glm4Model(Glm4Config config, Glm4Weights weights, ModelInfo info, torch::ScalarType dtype, torch::Device device,
             std::vector<torch::Device> layer_devices);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Glm4LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;

  Glm4Config config_;
  Glm4Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
  std::vector<torch::Device> layer_devices_;  // (L)
};

// devices: one, or several to split the layers across (place_split_layers).
std::unique_ptr<CausalLM> load_glm4(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, const std::vector<torch::Device>& devices);

}  // namespace icsweep
