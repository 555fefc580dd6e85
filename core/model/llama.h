// The Llama family: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, SeedOssForCausalLM
// (transformers' modeling_llama.py / modeling_mistral.py / modeling_qwen2.py / modeling_seed_oss.py).
// Pre-norm decoder layers with RMSNorm, rotary attention with grouped kv heads, SiLU-gated MLP; the
// variants differ only in biases (qwen2 q/k/v; llama attention_bias/mlp_bias; seed_oss
// attention_bias/attention_out_bias/mlp_bias) and sliding windows (mistral, qwen2).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/decoder_blocks.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct LlamaConfig {
  std::string model_type;  // llama | mistral | qwen2 | seed_oss
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim" when present, else hidden_size / num_heads
  double rms_norm_eps = 1e-6;
  bool qkv_bias = false;  // q/k/v projections carry a bias
  bool o_bias = false;
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention
  RopeConfig rope;

  static LlamaConfig from_hf(const HfConfig& config, const std::string& model_type);
};

struct LlamaLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused by LlamaModel
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // mlp.{gate,up,down}_proj; gate/up fused by LlamaModel
};

struct LlamaWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<LlamaLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class LlamaModel : public CausalLM {
 public:
  // `layer_devices`: one per layer (a pipeline split, layer_device()), or empty: all on `device`.
  LlamaModel(LlamaConfig config, LlamaWeights weights, ModelInfo info, torch::ScalarType dtype,
             torch::Device device, std::vector<torch::Device> layer_devices = {});

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const LlamaLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const;

  LlamaConfig config_;
  LlamaWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                     // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

// Builds the weight table from the config, checks it against the checkpoint (all problems at
// once) and loads it.
std::unique_ptr<CausalLM> load_llama(const HfConfig& config, const std::string& model_type,
                                     const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices);

}  // namespace icsweep
