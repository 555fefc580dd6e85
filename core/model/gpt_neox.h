// GPTNeoXForCausalLM (transformers' modeling_gpt_neox.py; Pythia, GPT-NeoX-20B): LayerNorm blocks
// with biases, one fused query_key_value projection whose output is laid out per head as
// [q_h | k_h | v_h], rotary embeddings on only the first rotary_pct of each head, a GELU MLP, and
// (use_parallel_residual) attention and MLP both reading the block input: x + attn(ln1(x)) + mlp(ln2(x)).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct GptNeoxConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t head_dim = 0;      // hidden_size / num_heads
  int64_t rotary_ndims = 0;  // int(head_dim * rotary_pct)
  double layer_norm_eps = 1e-5;
  std::string hidden_act = "gelu";
  bool use_parallel_residual = true;
  bool attention_bias = true;  // query_key_value and dense carry biases
  bool tie_word_embeddings = false;
  RopeConfig rope;

  static GptNeoxConfig from_hf(const HfConfig& config);
};

struct GptNeoxLayerWeights {
  torch::Tensor input_layernorm_weight, input_layernorm_bias;                    // (D)
  torch::Tensor query_key_value, query_key_value_bias;                          // (3D, D), (3D)
  torch::Tensor dense, dense_bias;                                              // (D, D), (D)
  torch::Tensor post_attention_layernorm_weight, post_attention_layernorm_bias;  // (D)
  torch::Tensor dense_h_to_4h, dense_h_to_4h_bias;                              // (F, D), (F)
  torch::Tensor dense_4h_to_h, dense_4h_to_h_bias;                              // (D, F), (D)
};

struct GptNeoxWeights {
  torch::Tensor embed_in;  // (V, D)
  std::vector<GptNeoxLayerWeights> layers;
  torch::Tensor final_layer_norm_weight, final_layer_norm_bias;  // (D)
  torch::Tensor embed_out;                                       // (V, D); embed_in itself when tied
};

class GptNeoxModel : public CausalLM {
 public:
  GptNeoxModel(GptNeoxConfig config, GptNeoxWeights weights, ModelInfo info, torch::ScalarType dtype,
               torch::Device device);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const GptNeoxLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;
  torch::Tensor mlp(const GptNeoxLayerWeights& w, const torch::Tensor& x) const;

  GptNeoxConfig config_;
  GptNeoxWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

std::unique_ptr<CausalLM> load_gpt_neox(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                        ModelInfo info, torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
