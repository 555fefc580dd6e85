// Gemma 3 (transformers' modeling_gemma3.py): Gemma3ForCausalLM (model_type gemma3_text) and the
// language model of Gemma3ForConditionalGeneration (model_type gemma3, keys under text_config; the
// vision tower and projector are skipped). Embeddings scaled by sqrt(hidden_size), RMSNorm with a
// (1 + w) weight in fp32, q/k norms, a norm after attention and around the MLP, the softmax scale
// query_pre_attn_scalar^-0.5, sliding-window and full layers with a rope each, a gelu-tanh gated
// MLP, and optional tanh soft-capping of the final logits (final_logit_softcapping).
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

struct Gemma3Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  double rms_norm_eps = 1e-6;
  double query_pre_attn_scalar = 256;
  double attn_logit_softcapping = 0;   // read but, as in transformers' Gemma3Attention, never applied
  double final_logit_softcapping = 0;  // 0 = none
  bool attention_bias = false;         // q/k/v/o projections carry a bias
  bool tie_word_embeddings = true;
  std::string hidden_activation;
  int64_t sliding_window = 0;
  std::vector<bool> sliding;  // per layer: sliding_attention (true) or full_attention
  RopeConfig rope_full;       // global layers (rope_theta + rope_scaling in 4.x configs)
  RopeConfig rope_sliding;    // local layers (rope_local_base_freq in 4.x configs)

  // Gemma3TextConfig's defaults apply to absent keys: published multimodal configs list only the
  // text_config keys that differ from them.
  static Gemma3Config from_hf(const HfConfig& config);
};

struct Gemma3LayerWeights {
  torch::Tensor input_layernorm;             // (D)
  AttentionProjections attn;                 // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor q_norm, k_norm;              // (Dh) each
  torch::Tensor post_attention_layernorm;    // (D)
  torch::Tensor pre_feedforward_layernorm;   // (D)
  SwigluWeights mlp;                         // mlp.{gate,up,down}_proj; gate/up fused after loading
  torch::Tensor post_feedforward_layernorm;  // (D)
};

struct Gemma3Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Gemma3LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Gemma3Model : public CausalLM {
 public:
  Gemma3Model(Gemma3Config config, Gemma3Weights weights, ModelInfo info, torch::ScalarType dtype,
               torch::Device device);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Gemma3LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const;

  Gemma3Config config_;
  Gemma3Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

// Tensor names: model.* (Gemma3ForCausalLM), language_model.model.* (published multimodal
// checkpoints) or model.language_model.* (multimodal, saved by transformers 5), whichever the
// checkpoint holds.
std::unique_ptr<CausalLM> load_gemma3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                      torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
