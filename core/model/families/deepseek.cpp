// DeepseekV2/V3ForCausalLM's forward and weight table (config: deepseek_config.cpp).
#include "core/model/families/deepseek.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/model/decoder.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

// q_a_layernorm and kv_a_layernorm are built without the config's eps in transformers.
constexpr double kLatentNormEps = 1e-6;

// (..., Dr) with pairs (x0, x1), (x2, x3), ... -> (..., Dr) as [x0, x2, ... | x1, x3, ...], so that
// rotate_half rotates each original pair (transformers' apply_rotary_pos_emb_interleave). q and k
// both get it, so the attention scores equal those of the complex formulation.
torch::Tensor deinterleave(const torch::Tensor& x) {
  auto sizes = x.sizes().vec();
  const int64_t d = sizes.back();
  sizes.back() = d / 2;
  sizes.push_back(2);
  return x.reshape(sizes).transpose(-1, -2).reshape(x.sizes());
}

// model.layers.<i>.self_attn.indexer.* of a GLM-5 "shared" layer i (indexer_types).
bool is_shared_indexer(const std::string& name, const DeepseekConfig& c) {
  const std::string prefix = "model.layers.";
  if (name.compare(0, prefix.size(), prefix) != 0 || name.find(".self_attn.indexer.") == std::string::npos) return false;
  const int64_t i = std::strtoll(name.c_str() + prefix.size(), nullptr, 10);
  return i >= 0 && i < static_cast<int64_t>(c.indexer_shared.size()) && c.indexer_shared[i];
}

struct DeepseekLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor q_proj;                    // (H*Dqk, D) without q_lora_rank
  torch::Tensor q_a_proj, q_a_bias;        // (Rq, D), (Rq)
  torch::Tensor q_a_layernorm;             // (Rq)
  torch::Tensor q_b_proj;                  // (H*Dqk, Rq)
  torch::Tensor kv_a_proj, kv_a_bias;      // (Rkv + Dr, D), (Rkv + Dr)
  torch::Tensor kv_a_layernorm;            // (Rkv)
  torch::Tensor kv_b_proj;                 // (H*(Dn + Dv), Rkv)
  torch::Tensor o_proj, o_bias;            // (D, H*Dv), (D)
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // dense layers: F = intermediate_size
  DeepseekMoeWeights moe;                  // the other layers (V3: with e_score_correction_bias)
  // Sparse attention's indexer (self_attn.indexer.*; absent in GLM-5's shared layers).
  torch::Tensor index_wq_b;                // (Hi*Di, Rq)
  torch::Tensor index_wk;                  // (Di, D)
  torch::Tensor index_k_norm, index_k_norm_bias;  // (Di) each: LayerNorm, eps 1e-6
  torch::Tensor index_weights_proj;        // (Hi, D)
};

struct DeepseekModel final : LayerwiseDecoder<DeepseekConfig, DeepseekLayerWeights> {
  DeepseekModel(DeepseekConfig config, std::vector<DeepseekLayerWeights> layers, LoadedDecoder loaded,
                DecoderEnds ends)
      : LayerwiseDecoder(std::move(config), std::move(layers), std::move(loaded), std::move(ends)) {
    for (auto& l : layers_) l.moe.fuse();
  }

  // DeepseekV3DecoderLayer: x + attention(norm(x)), then x + moe(norm(x)) (a dense MLP in the first layers).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    if (i == 0) selection_ = torch::Tensor();  // a new forward: no selection to share yet
    auto h = x + attention(i, w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin);
    auto m = rms_norm(h, w.post_attention_layernorm, config_.rms_norm_eps);
    return h + (i >= config_.first_k_dense_replace ? moe(w, m) : swiglu(m, w.mlp));
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm(x, ends_.norm, config_.rms_norm_eps);
  }
  // V2 rotates in fp32 (complex pairs), V3 in the model dtype.
  PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const override {
    return {config_.rope, seq_len, config_.v3 ? dtype_ : torch::kFloat32};
  }

  torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const {
    // V2 multiplies complex pairs in fp32 (cos/sin are fp32 then); V3 rotates in the model dtype.
    if (!config_.v3) return apply_rotary(deinterleave(x.to(torch::kFloat32)), cos, sin).to(x.scalar_type());
    return apply_rotary(config_.rope_interleave ? deinterleave(x) : x, cos, sin);
  }

  // The indexer's choice: (B, 1, T, T) bool "may attend", causal and among the index_topk best-scored
  // keys of each query (DeepseekV32Indexer: scores in fp32; equal scores broken by torch::topk, as there:
  // another order changes the fixture's numbers by 0.85 bits). Equal scores are common (every head's
  // relu 0), and topk's CPU choice among them depends on the row's length, so a right-padded batch can
  // pick other keys than the sequence alone: in transformers too, and icsweep follows the batch it gets.
  torch::Tensor sparse_attention_mask(const DeepseekLayerWeights& w, const torch::Tensor& x, const torch::Tensor& q_latent,
                                      const torch::Tensor& cos, const torch::Tensor& sin) const {
    const int64_t b = x.size(0), t = x.size(1), hi = config_.index_n_heads, di = config_.index_head_dim;
    const int64_t dr = config_.qk_rope_head_dim;
    auto rope_first = [&](const torch::Tensor& v) {  // (B, n, T, Di): rope on the first Dr dims
      auto rot = v.narrow(-1, 0, dr);
      rot = apply_rotary(config_.index_rope_interleave ? deinterleave(rot) : rot, cos, sin);
      return torch::cat({rot, v.narrow(-1, dr, di - dr)}, -1);
    };
    auto q = rope_first(torch::matmul(q_latent, w.index_wq_b.t()).view({b, t, hi, di}).transpose(1, 2));  // (B, Hi, T, Di)
    auto k = layer_norm(torch::matmul(x, w.index_wk.t()), w.index_k_norm, w.index_k_norm_bias, 1e-6);     // (B, T, Di)
    k = rope_first(k.unsqueeze(1)).squeeze(1);                                                           // (B, T, Di)
    auto scores = torch::matmul(q.transpose(1, 2).to(torch::kFloat32),
                                k.to(torch::kFloat32).transpose(-1, -2).unsqueeze(1)) *
                  (1.0 / std::sqrt(static_cast<double>(di)));                                            // (B, T, Hi, T)
    scores = torch::relu(scores);
    auto weights = torch::matmul(x, w.index_weights_proj.t()).to(torch::kFloat32) *
                   (1.0 / std::sqrt(static_cast<double>(hi)));                                           // (B, T, Hi)
    auto index = torch::matmul(weights.unsqueeze(-2), scores).squeeze(-2);                               // (B, T, T)
    auto causal = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).tril();
    index = index.masked_fill(causal.logical_not(), -std::numeric_limits<float>::infinity());
    auto chosen = std::get<1>(index.topk(std::min(config_.index_topk, t), -1));                         // (B, T, K)
    auto selected = torch::zeros({b, t, t}, causal.options()).scatter(-1, chosen, true);
    return (selected & causal).unsqueeze(1);                                                             // (B, 1, T, T)
  }

  torch::Tensor attention(int64_t layer, const DeepseekLayerWeights& w, const torch::Tensor& x,
                          const torch::Tensor& cos, const torch::Tensor& sin) const {
    const int64_t b = x.size(0), t = x.size(1), h = config_.num_heads;
    const int64_t dn = config_.qk_nope_head_dim, dr = config_.qk_rope_head_dim, dv = config_.v_head_dim;
    const int64_t rkv = config_.kv_lora_rank;
    torch::Tensor q_latent;  // (B, T, Rq)
    if (config_.q_lora_rank > 0)
      q_latent = rms_norm(linear(x, w.q_a_proj, w.q_a_bias), w.q_a_layernorm, kLatentNormEps);
    const torch::Tensor none;  // no bias
    auto q = config_.q_lora_rank > 0 ? linear(q_latent, w.q_b_proj, none) : linear(x, w.q_proj, none);
    q = q.view({b, t, h, dn + dr}).transpose(1, 2);                                     // (B, H, T, Dqk)
    auto compressed = linear(x, w.kv_a_proj, w.kv_a_bias);                              // (B, T, Rkv + Dr)
    auto latent = rms_norm(compressed.narrow(-1, 0, rkv), w.kv_a_layernorm, kLatentNormEps);
    auto kv = linear(latent, w.kv_b_proj, none).view({b, t, h, dn + dv}).transpose(1, 2);  // (B, H, T, Dn+Dv)
    auto k_rot = rotate(compressed.narrow(-1, rkv, dr).view({b, 1, t, dr}), cos, sin);          // (B, 1, T, Dr)
    auto q_rot = rotate(q.narrow(-1, dn, dr), cos, sin);                                        // (B, H, T, Dr)
    q = torch::cat({q.narrow(-1, 0, dn), q_rot}, -1);                                           // (B, H, T, Dqk)
    if (config_.llama4_scaling_beta != 0.0)  // Mistral 4: per position, after rope
      q = q * llama4_query_scale(t, config_.llama4_scaling_beta, config_.llama4_original_max_position, q.device())
                  .view({1, 1, t, 1})
                  .to(q.scalar_type());
    auto k = torch::cat({kv.narrow(-1, 0, dn), k_rot.expand({b, h, t, dr})}, -1);               // (B, H, T, Dqk)
    auto v = kv.narrow(-1, dn, dv);                                                             // (B, H, T, Dv)
    // causal_attention scales by qk_head_dim^-0.5; the yarn correction goes on q.
    if (config_.score_scale != 1.0) q = q * config_.score_scale;
    if (config_.index_topk > 0 && !config_.indexer_shared[layer])
      selection_ = sparse_attention_mask(w, x, q_latent, cos, sin);  // (B, 1, T, T); shared layers keep the last
    if (selection_.defined()) selection_ = selection_.to(x.device());  // layers split across devices
    auto out = causal_attention(q, k, v.contiguous(), selection_).transpose(1, 2).reshape({b, t, h * dv});  // (B, T, H*Dv)
    return linear(out, w.o_proj, w.o_bias);                                                     // (B, T, D)
  }

  torch::Tensor moe(const DeepseekLayerWeights& w, const torch::Tensor& x) const {
    auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
    const auto& c = config_;
    Routing routing;
    if (c.mistral4)  // Mistral4TopkRouter: softmax of model-dtype logits, V3's choice without a bias
      routing = biased_group_topk(torch::softmax(torch::matmul(flat, w.moe.router.t()), -1), {}, c.top_k, c.n_group,
                                  c.topk_group, c.norm_topk_prob, c.routed_scaling_factor);
    else if (c.v3)
      routing = sigmoid_group_routing(flat, w.moe.router, w.moe.router_bias, c.top_k, c.n_group, c.topk_group,
                                      c.norm_topk_prob, c.routed_scaling_factor);
    else
      routing = softmax_group_routing(flat, w.moe.router, c.top_k, c.n_group, c.topk_group, c.routed_scaling_factor);
    return deepseek_moe(w.moe, flat, routing).view(x.sizes());  // (B, T, D)
  }

  // Sparse attention: the last indexer's choice within the running forward (GLM-5's shared layers
  // reuse it); undefined for dense MLA. Reset by layer 0; a model runs one forward at a time.
  mutable torch::Tensor selection_;
};

}  // namespace

std::unique_ptr<CausalLM> load_deepseek(const LoadRequest& request) {
  const auto c = DeepseekConfig::from_hf(request.config, request.model_type);
  c.check_loadable(request.config);
  const int64_t d = c.hidden_size, h = c.num_heads;
  const int64_t dqk = c.qk_head_dim(), rq = c.q_lora_rank, rkv = c.kv_lora_rank;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, DeepseekLayerWeights& l) {
    const std::string a = p + "self_attn.";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    if (rq > 0) {
      specs.push_back({a + "q_a_proj.weight", {rq, d}, &l.q_a_proj});
      specs.push_back({a + "q_a_layernorm.weight", {rq}, &l.q_a_layernorm});
      specs.push_back({a + "q_b_proj.weight", {h * dqk, rq}, &l.q_b_proj});
      if (c.attention_bias) specs.push_back({a + "q_a_proj.bias", {rq}, &l.q_a_bias});
    } else {
      specs.push_back({a + "q_proj.weight", {h * dqk, d}, &l.q_proj});
    }
    specs.push_back({a + "kv_a_proj_with_mqa.weight", {rkv + c.qk_rope_head_dim, d}, &l.kv_a_proj});
    specs.push_back({a + "kv_a_layernorm.weight", {rkv}, &l.kv_a_layernorm});
    specs.push_back({a + "kv_b_proj.weight", {h * (c.qk_nope_head_dim + c.v_head_dim), rkv}, &l.kv_b_proj});
    specs.push_back({a + "o_proj.weight", {d, h * c.v_head_dim}, &l.o_proj});
    if (c.attention_bias) {
      specs.push_back({a + "kv_a_proj_with_mqa.bias", {rkv + c.qk_rope_head_dim}, &l.kv_a_bias});
      specs.push_back({a + "o_proj.bias", {d}, &l.o_bias});
    }
    if (c.index_topk > 0 && !c.indexer_shared[i]) {
      const std::string x = a + "indexer.";
      const int64_t hi = c.index_n_heads, di = c.index_head_dim;
      specs.push_back({x + "wq_b.weight", {hi * di, rq}, &l.index_wq_b});
      specs.push_back({x + "wk.weight", {di, d}, &l.index_wk});
      specs.push_back({x + "k_norm.weight", {di}, &l.index_k_norm});
      specs.push_back({x + "k_norm.bias", {di}, &l.index_k_norm_bias});
      specs.push_back({x + "weights_proj.weight", {hi, d}, &l.index_weights_proj});
    }
    if (i < c.first_k_dense_replace) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      return;
    }
    add_deepseek_moe_specs(specs, p + "mlp.", d, c.num_experts, c.moe_intermediate_size, c.n_shared_experts,
                           /*score_bias=*/c.v3 && !c.mistral4, l.moe, /*stacked_experts=*/c.mistral4);
  };
  // Published V3 checkpoints carry the multi-token-prediction layer(s) after the last decoder
  // layer (model.layers.61.* for 61 layers); transformers drops them, so do we. GLM-5's shared layers
  // build no indexer in transformers (GlmMoeDsaAttention): indexer tensors saved for them go unused.
  auto ignore = [&](const std::string& name) {
    return is_beyond_last_layer(name, c.num_layers) || is_saved_rotary_buffer(name) || is_shared_indexer(name, c);
  };
  return load_decoder<DeepseekModel>(request, c, "deepseek", add_layer, ignore);
}

}  // namespace icsweep
