// InternLM2ForCausalLM (InternLM2 / 2.5; remote code modeling_internlm2.py, not in transformers):
// the Llama decoder under other tensor names, with q/k/v fused into one wqkv whose rows are
// grouped per kv head ([q heads of group h..., k_h, v_h], each head_dim rows). The loader splits
// wqkv into the Llama weight struct and returns a LlamaModel: the forward is Llama's exactly.
// Config: "bias" (wqkv and wo), rope_theta, rope_scaling {"type": dynamic | linear, "factor"}.
#pragma once

#include <memory>

#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/llama.h"
#include "core/model/safetensors.h"

namespace icsweep {

// InternLM2Config's keys (and defaults) as the equivalent LlamaConfig.
LlamaConfig internlm2_config(const HfConfig& config);

std::unique_ptr<CausalLM> load_internlm2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
