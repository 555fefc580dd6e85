// HunYuanDenseV1ForCausalLM (transformers' modeling_hunyuan_v1_dense.py, Hunyuan 0.5B-7B): the
// Llama decoder with an RMSNorm over each query and key head applied *after* the rotary
// embedding (query_layernorm / key_layernorm), optional biases on all four attention
// projections, and the "dynamic NTK alpha" rope of the published configs: with rope type
// dynamic and an alpha, the base becomes rope_theta * alpha^(Dh / (Dh - 2)) for every length.
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

struct HunyuanDenseConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  double rms_norm_eps = 1e-5;
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  bool tie_word_embeddings = false;
  RopeConfig rope;  // the alpha rope arrives here as a plain rope with the grown base

  static HunyuanDenseConfig from_hf(const HfConfig& config);
};

struct HunyuanDenseLayerWeights {
  torch::Tensor input_layernorm;               // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor query_layernorm, key_layernorm;  // (Dh) each
  torch::Tensor post_attention_layernorm;      // (D)
  SwigluWeights mlp;                       // mlp.{gate,up,down}_proj; gate/up fused after loading
};

struct HunyuanDenseWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<HunyuanDenseLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class HunyuanDenseModel : public CausalLM {
 public:
  HunyuanDenseModel(HunyuanDenseConfig config, HunyuanDenseWeights weights, ModelInfo info, torch::ScalarType dtype,
                    torch::Device device);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const HunyuanDenseLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;

  HunyuanDenseConfig config_;
  HunyuanDenseWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

std::unique_ptr<CausalLM> load_hunyuan_dense(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                             ModelInfo info, torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
