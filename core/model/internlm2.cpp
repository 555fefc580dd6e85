#include "core/model/internlm2.h"

#include <array>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// wqkv (or its bias) -> q, k, v in the Llama layout. Rows: for kv head h, its `group` query
// heads, then k_h, then v_h (InternLM2Attention's rearrange "(h gs d)"); query head h*group + j
// thus lands where repeat_kv expects it. fused: ((G+2) * Hkv * Dh, D) or ((G+2) * Hkv * Dh).
std::array<torch::Tensor, 3> split_wqkv(const torch::Tensor& fused, int64_t kv_heads, int64_t group, int64_t head_dim) {
  const bool bias = fused.dim() == 1;
  auto x = bias ? fused.unsqueeze(-1) : fused;                        // (rows, D) or (rows, 1)
  const int64_t cols = x.size(-1);
  auto grouped = x.view({kv_heads, group + 2, head_dim, cols});       // (Hkv, G+2, Dh, D)
  auto q = grouped.narrow(1, 0, group).reshape({kv_heads * group * head_dim, cols});
  auto k = grouped.select(1, group).reshape({kv_heads * head_dim, cols});
  auto v = grouped.select(1, group + 1).reshape({kv_heads * head_dim, cols});
  if (bias) return {q.squeeze(-1).contiguous(), k.squeeze(-1).contiguous(), v.squeeze(-1).contiguous()};
  return {q.contiguous(), k.contiguous(), v.contiguous()};
}

}  // namespace

LlamaConfig internlm2_config(const HfConfig& config) {
  LlamaConfig c;
  c.model_type = "internlm2";
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.heads.head_dim = c.hidden_size / c.heads.num_heads;  // InternLM2Attention has no head_dim key
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = config.get_bool("bias", true);  // InternLM2Config defaults bias to true
  require_silu_activation(config, "internlm2");
  c.sliding_window.assign(c.num_layers, 0);
  // rope_scaling {"type": "dynamic" | "linear", "factor"}: the same formulas as transformers' Llama.
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

std::unique_ptr<CausalLM> load_internlm2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const LlamaConfig c = internlm2_config(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size, dh = c.heads.head_dim;
  const int64_t kv_heads = c.heads.num_kv_heads, group = c.heads.num_heads / kv_heads;
  const int64_t qkv_rows = c.heads.q_dim() + 2 * c.heads.kv_dim(), q_dim = c.heads.q_dim();

  LlamaWeights w;
  w.layers.resize(c.num_layers);
  std::vector<torch::Tensor> wqkv(c.num_layers), wqkv_bias(c.num_layers);
  // The remote code's names, verbatim.
  std::vector<WeightSpec> specs = {
      {"model.tok_embeddings.weight", {v, d}, &w.embed_tokens},
      {"model.norm.weight", {d}, &w.norm},
      {"output.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "attention_norm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "attention.wqkv.weight", {qkv_rows, d}, &wqkv[i]});
    specs.push_back({p + "attention.wo.weight", {d, q_dim}, &l.attn.o_proj});
    specs.push_back({p + "ffn_norm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "feed_forward.", kMixtralExpertNames, d, f, l.mlp);  // w1, w3, w2
    if (c.qkv_bias) {
      specs.push_back({p + "attention.wqkv.bias", {qkv_rows}, &wqkv_bias[i]});
      specs.push_back({p + "attention.wo.bias", {d}, &l.attn.o_bias});
    }
  }
  load_weights(checkpoint, specs, dtype, device, is_saved_rotary_buffer);
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;
  const int64_t parameters = count_parameters(specs, c.tie_word_embeddings ? "output.weight" : "");

  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const auto qkv = split_wqkv(wqkv[i], kv_heads, group, dh);
    l.attn.q_proj = qkv[0], l.attn.k_proj = qkv[1], l.attn.v_proj = qkv[2];
    wqkv[i] = torch::Tensor();  // the split copies replace it
    if (c.qkv_bias) {
      const auto bias = split_wqkv(wqkv_bias[i], kv_heads, group, dh);
      l.attn.q_bias = bias[0], l.attn.k_bias = bias[1], l.attn.v_bias = bias[2];
      wqkv_bias[i] = torch::Tensor();
    }
  }

  info.family = "internlm2";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = parameters;
  return std::make_unique<LlamaModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
