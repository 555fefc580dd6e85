// HunYuanMoEV1ForCausalLM (transformers' modeling_hunyuan_v1_moe.py; Hunyuan-A13B): the Hunyuan
// dense decoder (hunyuan_dense.h: per-head query/key RMSNorm after the rotary embedding, optional
// biases on q/k/v/o, the dynamic-alpha rope) whose MLP is on every layer an MoE block: an fp32
// router (mlp.gate.wg), softmax, top moe_topk experts (one value, or one per layer) renormalised
// over the k, SwiGLU experts of intermediate_size, plus one shared SwiGLU (mlp.shared_mlp) of
// intermediate_size. transformers reads neither moe_intermediate_size nor num_shared_expert: its
// experts and shared MLP are intermediate_size wide whatever they say.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/hunyuan_dense.h"

namespace icsweep {

struct HunyuanMoeConfig : HunyuanDenseConfig {
  int64_t num_experts = 0;
  std::vector<int64_t> top_k;  // (L): moe_topk per layer

  static HunyuanMoeConfig from_hf(const HfConfig& config);
};

ModelShape hunyuan_moe_shape(const HfConfig& config, const std::string& model_type);
// Hunyuan dense's attention names; mlp.gate.wg.weight (E, D), mlp.experts.<e>.*, mlp.shared_mlp.*.
std::unique_ptr<CausalLM> load_hunyuan_moe(const LoadRequest& request);

}  // namespace icsweep
