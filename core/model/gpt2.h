// GPT2LMHeadModel (transformers' modeling_gpt2.py): learned absolute positions, pre-LayerNorm
// blocks with biases, multi-head attention from one fused c_attn, a GELU MLP, lm_head tied to the
// token embedding. The projections are Conv1D layers: their weights are stored (in, out), so
// y = x W + b rather than x W^T + b.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct Gpt2Config {
  int64_t vocab_size = 0;
  int64_t n_embd = 0;       // D
  int64_t n_inner = 0;      // F; config null means 4 * n_embd
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_positions = 0;  // rows of the position embedding
  double layer_norm_epsilon = 1e-5;
  std::string activation_function = "gelu_new";
  bool scale_attn_weights = true;                // scores / sqrt(Dh)
  bool scale_attn_by_inverse_layer_idx = false;  // scores / (layer index + 1)
  bool tie_word_embeddings = true;

  static Gpt2Config from_hf(const HfConfig& config);
};

struct Gpt2LayerWeights {
  torch::Tensor ln_1_weight, ln_1_bias;      // (D)
  torch::Tensor c_attn_weight, c_attn_bias;  // (D, 3D), (3D)
  torch::Tensor c_proj_weight, c_proj_bias;  // (D, D), (D)
  torch::Tensor ln_2_weight, ln_2_bias;      // (D)
  torch::Tensor c_fc_weight, c_fc_bias;      // (D, F), (F)
  torch::Tensor mlp_proj_weight, mlp_proj_bias;  // mlp.c_proj: (F, D), (D)
};

struct Gpt2Weights {
  torch::Tensor wte;  // (V, D)
  torch::Tensor wpe;  // (P, D)
  std::vector<Gpt2LayerWeights> h;
  torch::Tensor ln_f_weight, ln_f_bias;  // (D)
  torch::Tensor lm_head;                 // (V, D); wte itself when tied
};

class Gpt2Model : public CausalLM {
 public:
  Gpt2Model(Gpt2Config config, Gpt2Weights weights, ModelInfo info, torch::ScalarType dtype, torch::Device device);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Gpt2LayerWeights& w, const torch::Tensor& x, int64_t layer_idx) const;
  torch::Tensor mlp(const Gpt2LayerWeights& w, const torch::Tensor& x) const;

  Gpt2Config config_;
  Gpt2Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

std::unique_ptr<CausalLM> load_gpt2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
