#include "core/model/attention.h"

#include "core/model/layers.h"

namespace icsweep {

void AttentionProjections::fuse_qkv() {
  fuse_rows({&q_proj, &k_proj, &v_proj}, qkv_proj);
  fuse_rows({&q_bias, &k_bias, &v_bias}, qkv_bias);
}

void add_attention_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                         const HeadLayout& heads, bool qkv_bias, bool o_bias, AttentionProjections& w) {
  const int64_t q_dim = heads.q_dim(), kv_dim = heads.kv_dim();
  specs.push_back({prefix + "q_proj.weight", {q_dim, hidden}, &w.q_proj});
  specs.push_back({prefix + "k_proj.weight", {kv_dim, hidden}, &w.k_proj});
  specs.push_back({prefix + "v_proj.weight", {kv_dim, hidden}, &w.v_proj});
  specs.push_back({prefix + "o_proj.weight", {hidden, q_dim}, &w.o_proj});
  if (qkv_bias) {
    specs.push_back({prefix + "q_proj.bias", {q_dim}, &w.q_bias});
    specs.push_back({prefix + "k_proj.bias", {kv_dim}, &w.k_bias});
    specs.push_back({prefix + "v_proj.bias", {kv_dim}, &w.v_bias});
  }
  if (o_bias) specs.push_back({prefix + "o_proj.bias", {hidden}, &w.o_bias});
}

QkvViews project_qkv(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x) {
  const int64_t b = x.size(0), t = x.size(1), dh = heads.head_dim;
  const int64_t h = heads.num_heads, hkv = heads.num_kv_heads;
  auto qkv = linear(x, w.qkv_proj, w.qkv_bias).split_with_sizes({h * dh, hkv * dh, hkv * dh}, -1);  // (B, T, .)
  return {qkv[0].view({b, t, h, dh}), qkv[1].view({b, t, hkv, dh}), qkv[2].view({b, t, hkv, dh})};
}

torch::Tensor project_attention_output(const AttentionProjections& w, const torch::Tensor& out) {
  const int64_t b = out.size(0), t = out.size(2);
  return linear(out.transpose(1, 2).reshape({b, t, -1}), w.o_proj, w.o_bias);  // (B, T, D)
}

torch::Tensor rotary_attention(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask,
                               RotaryFn rotate, double eps, QkNorm qk_norm) {
  auto [q, k, v] = project_qkv(w, heads, x);  // (B, T, H|Hkv, Dh)
  const bool norms = w.q_norm.defined();
  if (norms && qk_norm == QkNorm::kBeforeRotary) {  // per head, before the transpose and rotary
    q = rms_norm(q, w.q_norm, eps);
    k = rms_norm(k, w.k_norm, eps);
  } else if (norms && qk_norm == QkNorm::kWholeProjection) {  // over (B, T, H*Dh) and (B, T, Hkv*Dh)
    q = rms_norm(q.flatten(2), w.q_norm, eps).view(q.sizes());
    k = rms_norm(k.flatten(2), w.k_norm, eps).view(k.sizes());
  }
  q = rotate(heads_first(q), cos, sin);  // (B, H, T, Dh)
  k = rotate(heads_first(k), cos, sin);  // (B, Hkv, T, Dh)
  if (norms && qk_norm == QkNorm::kAfterRotary) {
    q = rms_norm(q, w.q_norm, eps);
    k = rms_norm(k, w.k_norm, eps);
  }
  return project_attention_output(w, causal_attention(q, k, heads_first(v), mask));  // (B, T, D)
}

void add_qk_norm_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const HeadLayout& heads,
                       AttentionProjections& w, const char* q_name, const char* k_name) {
  specs.push_back({prefix + q_name + ".weight", {heads.head_dim}, &w.q_norm});
  specs.push_back({prefix + k_name + ".weight", {heads.head_dim}, &w.k_norm});
}

torch::Tensor llama4_query_scale(int64_t seq_len, double beta, int64_t original_max_position_embeddings,
                                 torch::Device device) {
  auto positions = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kInt64).device(device));  // (T)
  auto blocks = torch::floor(positions / original_max_position_embeddings);  // true division: fp32
  return 1 + beta * torch::log(1 + blocks);                                  // (T) fp32
}

}  // namespace icsweep
