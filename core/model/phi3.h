// Phi3ForCausalLM (transformers' modeling_phi3.py): the Llama decoder with fused projections
// (qkv_proj = [q | k | v], gate_up_proj = [gate | up]), optional partial rotary, an optional
// sliding window, and LongRoPE scaling (rope_type "longrope"; "su"/"yarn" in old Phi-3 configs):
// per-frequency short_factor / long_factor divisors, the long ones used when the batch is longer
// than original_max_position_embeddings, and cos/sin scaled by the attention factor.
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

struct Phi3LongRope {
  bool enabled = false;
  std::vector<double> short_factor, long_factor;  // (Dr / 2) each
  int64_t original_max_position_embeddings = 0;
  double attention_factor = 1.0;
};

struct Phi3Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  int64_t sliding_window = 0;  // 0 = full causal attention
  RopeConfig rope;             // rope.dim = int(head_dim * partial_rotary_factor)
  Phi3LongRope longrope;

  static Phi3Config from_hf(const HfConfig& config);
};

struct Phi3LayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.qkv_proj (stored fused: [q | k | v]), o_proj
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // mlp.gate_up_proj (stored fused: [gate | up]), down_proj
};

struct Phi3Weights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Phi3LayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Phi3Model : public CausalLM {
 public:
  Phi3Model(Phi3Config config, Phi3Weights weights, ModelInfo info, torch::ScalarType dtype, torch::Device device);

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  std::pair<torch::Tensor, torch::Tensor> cos_sin(int64_t seq_len) const;  // (T, Dr) each
  torch::Tensor attention(const Phi3LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const;

  Phi3Config config_;
  Phi3Weights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

std::unique_ptr<CausalLM> load_phi3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
