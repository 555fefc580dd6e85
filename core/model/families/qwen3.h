// Qwen3ForCausalLM (transformers' modeling_qwen3.py): the Llama decoder plus an RMSNorm over each
// query and key head (q_norm / k_norm, before rotary), an explicit head_dim that need not equal
// hidden_size / num_heads, optional attention biases (q/k/v/o alike) and Qwen-style per-layer sliding
// windows. Its config is LlamaConfig's (model_type "qwen3").
#pragma once

#include <string>

#include "core/model/families/llama.h"

namespace icsweep {

// Qwen3Config's keys as LlamaConfig: attention_bias on q/k/v/o alike, Qwen-style windows.
LlamaConfig qwen3_config(const HfConfig& config);

ModelShape qwen3_shape(const HfConfig& config, const std::string& model_type);
// load_llama's table plus self_attn.q_norm / k_norm (Dh each).
std::unique_ptr<CausalLM> load_qwen3(const LoadRequest& request);

}  // namespace icsweep
