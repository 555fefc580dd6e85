// Qwen3.5 and Qwen3-Next (transformers' modeling_qwen3_5.py, modeling_qwen3_5_moe.py,
// modeling_qwen3_next.py): hybrid decoders whose token mixer is, per layer_types (default: three of
// four layers), a Gated DeltaNet (core/model/gated_deltanet.h) or full attention with per-head q/k
// norms, partial rotary (partial_rotary_factor 0.25) and an output gate (q_proj yields each head's
// query and its gate; the attention output is multiplied by sigmoid(gate) before o_proj). Every
// RMSNorm outside the linear layers is zero-centred: x̂ · (1 + w) in fp32. The MLP is a dense SwiGLU
// (Qwen3.5), or a softmax top-k MoE with a shared expert scaled by sigmoid(shared_expert_gate(x))
// (Qwen3.5-MoE on every layer, renormalised top-k; Qwen3-Next on the layers qwen_sparse_layers()
// picks, renormalised with norm_topk_prob). Qwen3.5's multimodal wrappers score their text model
// (model.language_model.*); the vision tower (model.visual.*) and the multi-token-prediction head
// (mtp.*) are skipped without loading. Qwen3.5's text rotary is mrope over (t, h, w) positions, all
// three equal for text, which is plain rope.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"
#include "core/model/families/gated_deltanet_config.h"

namespace icsweep {

struct Qwen3_5Config : DecoderConfig {
  GatedDeltaNetDims linear;                     // the linear layers' dimensions
  std::vector<bool> linear_layer;               // (L) Gated DeltaNet (true) or full attention
  bool next_layout = false;                     // Qwen3-Next: in_proj_qkvz / in_proj_ba grouped per key head
  int64_t num_experts = 0;                      // 0: dense MLPs only (Qwen3.5)
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;            // per routed expert
  int64_t shared_expert_intermediate_size = 0;  // the sigmoid-gated shared expert
  bool norm_topk_prob = true;                   // renormalise the top-k weights
  std::vector<bool> sparse;                     // (L) MoE block (true) or dense MLP

  // The text model's config (qwen3_5_text, qwen3_5_moe_text or qwen3_next).
  static Qwen3_5Config from_hf(const HfConfig& config);
};

ModelShape qwen3_5_shape(const HfConfig& config, const std::string& model_type);
// Linear layers: linear_attn.{in_proj_qkv,in_proj_z,in_proj_b,in_proj_a} (Qwen3.5) or
// linear_attn.{in_proj_qkvz,in_proj_ba} (Qwen3-Next), conv1d, dt_bias, A_log, norm, out_proj;
// attention layers: self_attn.{q,k,v,o}_proj, q_norm, k_norm; MoE layers: mlp.gate, mlp.experts (one by
// one or transformers 5's stacked gate_up_proj / down_proj), mlp.shared_expert.*, mlp.shared_expert_gate.
std::unique_ptr<CausalLM> load_qwen3_5(const LoadRequest& request);

}  // namespace icsweep
