// InternLM2ForCausalLM (InternLM2 / 2.5; remote code modeling_internlm2.py, not in transformers):
// the Llama decoder under other tensor names, with q/k/v fused into one wqkv whose rows are
// grouped per kv head ([q heads of group h..., k_h, v_h], each head_dim rows). The loader splits
// wqkv into the Llama weight struct and returns Llama's model: the forward is Llama's exactly.
// Config: "bias" (wqkv and wo), rope_theta, rope_scaling {"type": dynamic | linear, "factor"}.
#pragma once

#include <string>

#include "core/model/families/llama.h"

namespace icsweep {

// InternLM2Config's keys (and defaults) as the equivalent LlamaConfig.
LlamaConfig internlm2_config(const HfConfig& config);

ModelShape internlm2_shape(const HfConfig& config, const std::string& model_type);
// model.tok_embeddings, layers.<i>.{attention_norm, attention.wqkv, attention.wo, ffn_norm,
// feed_forward.{w1,w3,w2}}, model.norm, output.
std::unique_ptr<CausalLM> load_internlm2(const LoadRequest& request);

}  // namespace icsweep
