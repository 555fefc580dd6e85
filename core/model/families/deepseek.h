// DeepseekV2ForCausalLM and DeepseekV3ForCausalLM (transformers' modeling_deepseek_v2.py /
// modeling_deepseek_v3.py): multi-head latent attention and a DeepSeek MoE after
// first_k_dense_replace dense layers.
//
// Attention: q = q_b_proj(q_a_layernorm(q_a_proj(x))) (or q_proj(x) when q_lora_rank is null),
// per head [nope (qk_nope_head_dim) | rope (qk_rope_head_dim)]; kv_a_proj_with_mqa(x) gives the
// kv latent (kv_lora_rank) and one rotary key shared by all heads; kv_b_proj(kv_a_layernorm(latent))
// gives per head [k nope | v (v_head_dim)]. Rotary on the rope parts only: V2 rotates adjacent
// pairs (complex multiply, fp32), V3 the same pairs when rope_interleave (default) else the
// rotate_half halves. Softmax scale qk_head_dim^-0.5, times mscale^2 for yarn with mscale_all_dim.
//
// MoE: routed SwiGLU experts plus n_shared_experts folded into one shared SwiGLU. V2 routes by
// softmax (greedy or group_limited_greedy), V3 by sigmoid with e_score_correction_bias for the
// choice only (group-limited, norm_topk_prob); both scale by routed_scaling_factor.
//
// DeepSeek sparse attention (DeepseekV32ForCausalLM, GlmMoeDsaForCausalLM: V3 MLA and MoE): a lightning
// indexer scores every causal key per query, sum_h w_h(x) * relu(q_h . k * D_i^-0.5) with q from the q
// LoRA latent (wq_b), one LayerNormed key per position (wk) and per-head weights (weights_proj, times
// H_i^-0.5), rope on their first qk_rope_head_dim dims (rotate_half halves in V3.2, adjacent pairs in
// GLM-5); attention then sees only the index_topk best keys of each query. GLM-5's "shared" layers
// (indexer_types) have no indexer and reuse the previous layer's selection.
// Mistral4ForCausalLM (modeling_mistral4.py, Mistral Small 4) is V3's attention and MoE with three
// changes: the router takes the softmax of model-dtype logits (no bias; V3's group rule), the
// experts are stored stacked as transformers 5 saves them (experts.gate_up_proj / down_proj), and
// q is scaled after rope by the Llama-4 factor 1 + llama_4_scaling_beta * log(1 + floor(p /
// original_max_position_embeddings)) (rope_parameters).
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct DeepseekConfig {
  bool v3 = false;  // deepseek_v3 or mistral4 (rope in the model dtype, rope_interleave) vs deepseek_v2
  bool mistral4 = false;  // softmax router without bias, stacked experts, the Llama-4 query scale
  double llama4_scaling_beta = 0.0;           // mistral4: 0 = no query scale
  int64_t llama4_original_max_position = 0;  // mistral4: the scale's block length
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense layers
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t q_lora_rank = 0;  // 0: q_proj
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool attention_bias = false;  // q_a_proj, kv_a_proj_with_mqa, o_proj
  bool rope_interleave = true;  // rotate adjacent pairs (V2 always)
  double score_scale = 1.0;     // yarn mscale^2 on top of qk_head_dim^-0.5
  int64_t first_k_dense_replace = 0;
  int64_t num_experts = 0;  // n_routed_experts
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;
  int64_t n_shared_experts = 0;
  int64_t n_group = 1;  // 1 = no group limit
  int64_t topk_group = 1;
  bool norm_topk_prob = false;  // V3 only (transformers' V2 never renormalises)
  double routed_scaling_factor = 1.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeConfig rope;  // over qk_rope_head_dim
  // Sparse attention (deepseek_v32, glm_moe_dsa); index_topk 0: dense MLA.
  int64_t index_topk = 0;
  int64_t index_n_heads = 0;  // H_i
  int64_t index_head_dim = 0;  // D_i
  bool index_rope_interleave = false;  // GLM-5: adjacent pairs; V3.2: rotate_half halves
  std::vector<bool> indexer_shared;    // (L) GLM-5 "shared" layers: the previous layer's selection

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  // model_type: deepseek_v2 | deepseek_v3 | deepseek_v32 | glm_moe_dsa | mistral4.
  static DeepseekConfig from_hf(const HfConfig& config, const std::string& model_type);
  // What the loader needs beyond the shape (the exact FLOPs profile counts quantized configs too):
  // ModelError naming config.json for a quantization_config, or unless the router's groups split the
  // experts evenly and hold the top-k.
  void check_loadable(const HfConfig& config) const;
};

ModelShape deepseek_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_deepseek(const LoadRequest& request);

}  // namespace icsweep
