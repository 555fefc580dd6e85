// InternLM2ForCausalLM's weight table, split into the Llama layout (config: internlm2_config.cpp).
#include "core/model/families/internlm2.h"

#include <array>

#include "core/model/llama.h"

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

std::unique_ptr<CausalLM> load_internlm2(const LoadRequest& request) {
  const LlamaConfig c = internlm2_config(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, dh = c.heads.head_dim;
  const int64_t kv_heads = c.heads.num_kv_heads, group = c.heads.num_heads / kv_heads;
  const int64_t qkv_rows = c.heads.q_dim() + 2 * c.heads.kv_dim(), q_dim = c.heads.q_dim();

  // The remote code's names, verbatim.
  WeightTable table(request, {"model.", "tok_embeddings.weight", "norm.weight", "output.weight"});
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, d, c.tie_word_embeddings);
  std::vector<LlamaLayerWeights> layers(c.num_layers);
  std::vector<torch::Tensor> wqkv(c.num_layers), wqkv_bias(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = layers[i];
    const std::string p = table.layer(i);
    table.specs.push_back({p + "attention_norm.weight", {d}, &l.input_layernorm});
    table.specs.push_back({p + "attention.wqkv.weight", {qkv_rows, d}, &wqkv[i]});
    table.specs.push_back({p + "attention.wo.weight", {d, q_dim}, &l.attn.o_proj});
    table.specs.push_back({p + "ffn_norm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(table.specs, p + "feed_forward.", kMixtralExpertNames, d, f, l.mlp);  // w1, w3, w2
    if (c.qkv_bias) {
      table.specs.push_back({p + "attention.wqkv.bias", {qkv_rows}, &wqkv_bias[i]});
      table.specs.push_back({p + "attention.wo.bias", {d}, &l.attn.o_bias});
    }
  }
  auto loaded = table.load("internlm2", c.num_layers, ends);

  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = layers[i];
    const auto qkv = split_wqkv(wqkv[i], kv_heads, group, dh);
    l.attn.q_proj = qkv[0], l.attn.k_proj = qkv[1], l.attn.v_proj = qkv[2];
    wqkv[i] = torch::Tensor();  // the split copies replace it
    if (c.qkv_bias) {
      const auto bias = split_wqkv(wqkv_bias[i], kv_heads, group, dh);
      l.attn.q_bias = bias[0], l.attn.k_bias = bias[1], l.attn.v_bias = bias[2];
      wqkv_bias[i] = torch::Tensor();
    }
  }
  return make_llama_model(c, std::move(layers), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
