// The Llama family: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, SeedOssForCausalLM
// (transformers' modeling_llama.py / modeling_mistral.py / modeling_qwen2.py / modeling_seed_oss.py).
// Pre-norm decoder layers with RMSNorm, rotary attention with grouped kv heads, SiLU-gated MLP; the
// variants differ only in biases (qwen2 q/k/v; llama attention_bias/mlp_bias; seed_oss
// attention_bias/attention_out_bias/mlp_bias) and sliding windows (mistral, qwen2).
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct LlamaConfig : DecoderConfig {
  std::string model_type;  // llama | mistral | qwen2 | seed_oss (qwen3 and internlm2 reuse the struct)
  bool qkv_bias = false;   // q/k/v projections carry a bias
  bool o_bias = false;
  bool mlp_bias = false;
  std::vector<int64_t> sliding_window;  // per layer; 0 = full causal attention

  static LlamaConfig from_hf(const HfConfig& config, const std::string& model_type);
};

// The shape of a decoder on this config (Llama, Qwen3, InternLM2 alike).
ModelShape llama_like_shape(const LlamaConfig& config);

ModelShape llama_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_llama(const LoadRequest& request);

}  // namespace icsweep
