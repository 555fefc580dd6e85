// Gemma 4's forward and weight table (config: gemma4_config.cpp).
#include "core/model/families/gemma4.h"

#include <cmath>
#include <map>

#include "core/model/decoder.h"
#include "core/model/families/gemma_logits.h"
#include "core/model/moe.h"
#include "core/model/multimodal.h"

namespace icsweep {
namespace {

// Gemma4RMSNorm with_scale=False: x * (mean(x^2) + eps)^-0.5 in fp32, cast back. x: (..., D).
torch::Tensor unscaled_rms_norm(const torch::Tensor& x, double eps) {
  auto h = x.to(torch::kFloat32);
  return (h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps)).to(x.scalar_type());
}

// Gemma4RMSNorm: the weight multiplies the fp32 normalised values (no 1 + w), then the cast back.
torch::Tensor norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return rms_norm_weight_fp32(x, weight, eps);
}

// Gemma4TextRouter and Gemma4TextExperts of one layer.
struct Gemma4MoeWeights {
  torch::Tensor proj;              // (E, D) router.proj
  torch::Tensor scale;             // (D) router.scale
  torch::Tensor per_expert_scale;  // (E) router.per_expert_scale
  RoutedExperts experts;           // experts.gate_up_proj (E, 2F, D) [gate | up], experts.down_proj (E, D, F)
  torch::Tensor post_feedforward_layernorm_1, pre_feedforward_layernorm_2, post_feedforward_layernorm_2;  // (D)
};

// Per-layer embeddings (PLE) of one layer.
struct Gemma4PleWeights {
  torch::Tensor per_layer_input_gate;       // (P, D)
  torch::Tensor per_layer_projection;       // (D, P)
  torch::Tensor post_per_layer_input_norm;  // (D)
};

struct Gemma4LayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm, post_attention_layernorm;      // (D)
  torch::Tensor pre_feedforward_layernorm, post_feedforward_layernorm;  // (D)
  torch::Tensor layer_scalar;  // (1); undefined: 1 (transformers initialises a missing buffer to ones)
  Gemma4PleWeights ple;        // undefined without PLE
  Gemma4MoeWeights moe;        // undefined without enable_moe_block
  // q/k/v fuse only where the layer has all three (not kv-shared, not k = v).
  void fuse() {
    if (attn.k_proj.defined() && attn.v_proj.defined()) attn.fuse_qkv();
    mlp.fuse_gate_up();
  }
};

// The model-level half of PLE: embed_tokens_per_layer (V_p, L·P), per_layer_model_projection
// (L·P, D), per_layer_projection_norm (P).
struct Gemma4PleInputs {
  torch::Tensor embed, projection, norm;
};

class Gemma4Model : public Decoder<Gemma4Config, Gemma4LayerWeights> {
 public:
  Gemma4Model(Gemma4Config config, std::vector<Gemma4LayerWeights> layers, LoadedDecoder loaded, DecoderEnds ends,
              Gemma4PleInputs ple)
      : Decoder(std::move(config), std::move(layers), std::move(loaded), std::move(ends)), ple_(std::move(ple)) {
    for (auto& l : layers_) l.moe.experts.stack();  // each expert a view of the stacked tensors
  }

  // Gemma4TextModel.forward over Gemma4TextDecoderLayer.forward.
  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    const int64_t t = ids.size(1);
    auto x = embed(ids) * scale(std::sqrt(static_cast<double>(config_.hidden_size)));  // (B, T, D)
    const auto per_layer = per_layer_inputs(ids, x);  // (B, T, L, P); undefined without PLE
    const auto rope_full = full_layer_cos_sin(t);                                      // (T, Dh_full) each
    const auto rope_local = rope_cos_sin(config_.rope_sliding, t, dtype_, device_);    // (T, Dh) each
    const auto window_mask = attention_mask(t, config_.sliding_window, device_);      // undefined: plain causal
    std::map<bool, std::pair<torch::Tensor, torch::Tensor>> shared_kv;                 // by sliding: k, v
    const double eps = config_.rms_norm_eps;
    for (int64_t i = 0; i < config_.num_layers; ++i) {
      const auto& w = layers_[i];
      const bool sliding = config_.sliding[i];
      const auto& [cos, sin] = sliding ? rope_local : rope_full;
      auto h = attention(i, norm(x, w.input_layernorm, eps), cos, sin, sliding ? window_mask : torch::Tensor(),
                         shared_kv);
      x = x + norm(h, w.post_attention_layernorm, eps);
      x = x + norm(feed_forward(w, x), w.post_feedforward_layernorm, eps);
      if (per_layer.defined()) x = x + per_layer_block(w.ple, x, per_layer.select(2, i));
      if (w.layer_scalar.defined()) x = x * w.layer_scalar;
    }
    return norm(x, ends_.norm, eps);  // (B, T, D)
  }

  torch::Tensor logits(const torch::Tensor& hidden) override {
    return softcapped_logits(hidden, ends_.lm_head, config_.final_logit_softcapping);
  }

 private:
  // The full layers' cos and sin: the pairs past rope_full_pairs have frequency 0 (cos 1, sin 0), as
  // the proportional rope's zero inverse frequencies give. (T, Dh_full) each.
  std::pair<torch::Tensor, torch::Tensor> full_layer_cos_sin(int64_t t) const {
    auto [cos, sin] = rope_cos_sin(config_.rope_full, t, dtype_, device_);
    const int64_t half = config_.rope_full.dim / 2, pairs = config_.rope_full_pairs;
    for (int64_t start : {pairs, half + pairs}) {
      cos.slice(-1, start, start - pairs + half).fill_(1);
      sin.slice(-1, start, start - pairs + half).zero_();
    }
    return {cos, sin};
  }

  // Gemma4TextScaledWordEmbedding's scale, cast to the weight dtype first as transformers does.
  torch::Tensor scale(double value) const { return torch::scalar_tensor(value, torch::kFloat32).to(device_, dtype_); }

  // get_per_layer_inputs + project_per_layer_inputs: (norm(x W_p^T / sqrt(D)) + embed_p(ids) sqrt(P)) / sqrt(2).
  // ids: (B, T); x: the scaled embedding (B, T, D) -> (B, T, L, P).
  torch::Tensor per_layer_inputs(const torch::Tensor& ids, const torch::Tensor& x) const {
    const int64_t p = config_.per_layer_input_size;
    if (p == 0) return {};
    const std::vector<int64_t> shape{ids.size(0), ids.size(1), config_.num_layers, p};
    const auto token = (torch::embedding(ple_.embed, ids) * scale(std::sqrt(static_cast<double>(p)))).view(shape);
    auto context = torch::matmul(x, ple_.projection.t()) * std::pow(static_cast<double>(config_.hidden_size), -0.5);
    context = norm(context.view(shape), ple_.norm, config_.rms_norm_eps);
    return (context + token) * std::pow(2.0, -0.5);
  }

  // The PLE block after the MLP: norm(projection(act(gate(x)) * per_layer_input)). (B, T, D).
  torch::Tensor per_layer_block(const Gemma4PleWeights& w, const torch::Tensor& x, const torch::Tensor& input) const {
    auto h = activation(config_.hidden_activation, torch::matmul(x, w.per_layer_input_gate.t())) * input;
    return norm(torch::matmul(h, w.per_layer_projection.t()), w.post_per_layer_input_norm, config_.rms_norm_eps);
  }

  // Gemma4TextAttention: q/k norms then rope, v normed without scale, scaling 1. A kv-shared layer
  // reads the keys and values the last earlier layer of its type stored in `shared_kv`.
  torch::Tensor attention(int64_t i, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask,
                          std::map<bool, std::pair<torch::Tensor, torch::Tensor>>& shared_kv) const {
    const auto& w = layers_[i].attn;
    const HeadLayout& heads = config_.layer_heads[i];
    const double eps = config_.rms_norm_eps;
    const auto views = project(w, heads, x);                                            // (B, T, n, Dh) each
    auto q = apply_rotary(heads_first(norm(views.q, w.q_norm, eps)), cos, sin);         // (B, H, T, Dh)
    if (!config_.kv_shared(i)) {
      auto k = apply_rotary(heads_first(norm(views.k, w.k_norm, eps)), cos, sin);       // (B, Hkv, T, Dh)
      auto v = heads_first(unscaled_rms_norm(config_.value_is_key(i) ? views.k : views.v, eps));  // (B, Hkv, T, Dh)
      shared_kv[config_.sliding[i]] = {k, v};
    }
    const auto& [k, v] = shared_kv.at(config_.sliding[i]);
    return project_attention_output(w, causal_attention(q, k, v, mask, /*scale=*/1.0));  // (B, T, D)
  }

  // q, k, v views (B, T, n, Dh): one GEMM where fused; k and v undefined where the layer has none.
  static QkvViews project(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x) {
    if (w.qkv_proj.defined()) return project_qkv(w, heads, x);
    const int64_t b = x.size(0), t = x.size(1), dh = heads.head_dim;
    QkvViews views{linear(x, w.q_proj, w.q_bias).view({b, t, heads.num_heads, dh}), {}, {}};
    if (w.k_proj.defined()) views.k = linear(x, w.k_proj, w.k_bias).view({b, t, heads.num_kv_heads, dh});
    if (w.v_proj.defined()) views.v = linear(x, w.v_proj, w.v_bias).view({b, t, heads.num_kv_heads, dh});
    return views;
  }

  // The MLP on pre_feedforward_layernorm(x); with the MoE block, post_feedforward_layernorm_1 of it
  // plus post_feedforward_layernorm_2 of the experts on pre_feedforward_layernorm_2(x), routed from
  // x itself. x: the residual stream (B, T, D) -> (B, T, D), before post_feedforward_layernorm.
  torch::Tensor feed_forward(const Gemma4LayerWeights& w, const torch::Tensor& x) const {
    const double eps = config_.rms_norm_eps;
    auto h = gated_mlp(norm(x, w.pre_feedforward_layernorm, eps), w.mlp, config_.hidden_activation);
    if (!config_.enable_moe_block) return h;
    const auto& moe = w.moe;
    const auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
    const auto routing = route(moe, flat);
    const auto routed = grouped_experts(
        norm(flat, moe.pre_feedforward_layernorm_2, eps), routing.ids, routing.weights, config_.num_experts,
        x.size(-1),
        [&](int64_t e, const torch::Tensor& xe) { return gated_mlp(xe, moe.experts.each[e], config_.hidden_activation); });
    return norm(h, moe.post_feedforward_layernorm_1, eps) +
           norm(routed.view(x.sizes()), moe.post_feedforward_layernorm_2, eps);
  }

  // Gemma4TextRouter: unscaled norm times scale / sqrt(D), softmax in fp32, top-k renormalised, each
  // weight times its expert's per_expert_scale. x: (N, D).
  Routing route(const Gemma4MoeWeights& w, const torch::Tensor& x) const {
    auto h = unscaled_rms_norm(x, config_.rms_norm_eps) * w.scale * std::pow(static_cast<double>(x.size(-1)), -0.5);
    const auto probs = torch::softmax(torch::matmul(h, w.proj.t()), -1, torch::kFloat32);  // (N, E)
    auto [weights, ids] = probs.topk(config_.top_k_experts, -1);                            // (N, K) each
    weights = weights / weights.sum(-1, /*keepdim=*/true);
    return {ids, weights * w.per_expert_scale.index({ids})};
  }

  Gemma4PleInputs ple_;
};

void add_moe_specs(std::vector<WeightSpec>& specs, const std::string& p, const Gemma4Config& c, Gemma4MoeWeights& w) {
  const int64_t d = c.hidden_size, e = c.num_experts, f = c.moe_intermediate_size;
  specs.push_back({p + "router.proj.weight", {e, d}, &w.proj});
  specs.push_back({p + "router.scale", {d}, &w.scale});
  specs.push_back({p + "router.per_expert_scale", {e}, &w.per_expert_scale});
  specs.push_back({p + "experts.gate_up_proj", {e, 2 * f, d}, &w.experts.gate_up});
  specs.push_back({p + "experts.down_proj", {e, d, f}, &w.experts.down});
  specs.push_back({p + "post_feedforward_layernorm_1.weight", {d}, &w.post_feedforward_layernorm_1});
  specs.push_back({p + "pre_feedforward_layernorm_2.weight", {d}, &w.pre_feedforward_layernorm_2});
  specs.push_back({p + "post_feedforward_layernorm_2.weight", {d}, &w.post_feedforward_layernorm_2});
}

void add_attention(std::vector<WeightSpec>& specs, const std::string& p, int64_t i, const Gemma4Config& c,
                   AttentionProjections& w) {
  const int64_t d = c.hidden_size;
  const HeadLayout& h = c.layer_heads[i];
  const bool bias = c.attention_bias;
  specs.push_back({p + "q_proj.weight", {h.q_dim(), d}, &w.q_proj});
  specs.push_back({p + "q_norm.weight", {h.head_dim}, &w.q_norm});
  specs.push_back({p + "o_proj.weight", {d, h.q_dim()}, &w.o_proj});
  if (bias) specs.push_back({p + "q_proj.bias", {h.q_dim()}, &w.q_bias});
  if (bias) specs.push_back({p + "o_proj.bias", {d}, &w.o_bias});
  if (c.kv_shared(i)) return;
  specs.push_back({p + "k_proj.weight", {h.kv_dim(), d}, &w.k_proj});
  specs.push_back({p + "k_norm.weight", {h.head_dim}, &w.k_norm});
  if (bias) specs.push_back({p + "k_proj.bias", {h.kv_dim()}, &w.k_bias});
  if (c.value_is_key(i)) return;
  specs.push_back({p + "v_proj.weight", {h.kv_dim(), d}, &w.v_proj});
  if (bias) specs.push_back({p + "v_proj.bias", {h.kv_dim()}, &w.v_bias});
}

void add_layer(std::vector<WeightSpec>& specs, const std::string& p, int64_t i, const Gemma4Config& c,
               Gemma4LayerWeights& l) {
  const int64_t d = c.hidden_size, ple = c.per_layer_input_size;
  specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
  add_attention(specs, p + "self_attn.", i, c, l.attn);
  specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
  specs.push_back({p + "pre_feedforward_layernorm.weight", {d}, &l.pre_feedforward_layernorm});
  add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.mlp_width(i), l.mlp);
  specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
  specs.push_back({p + "layer_scalar", {1}, &l.layer_scalar, /*optional=*/true});
  if (c.enable_moe_block) add_moe_specs(specs, p, c, l.moe);
  if (ple == 0) return;
  specs.push_back({p + "per_layer_input_gate.weight", {ple, d}, &l.ple.per_layer_input_gate});
  specs.push_back({p + "per_layer_projection.weight", {d, ple}, &l.ple.per_layer_projection});
  specs.push_back({p + "post_per_layer_input_norm.weight", {d}, &l.ple.post_per_layer_input_norm});
}

// What transformers loads nothing from: the vision and audio towers and their embedders, and the
// k/v projections and norms a kv-shared layer may still carry (_keys_to_ignore_on_load_unexpected).
bool ignored(const std::string& name, const Gemma4Config& c, const WeightTable& table) {
  for (const char* side : {"vision_tower", "audio_tower", "embed_vision", "embed_audio"})
    if (is_image_side_tensor(name, side)) return true;
  for (int64_t i = c.first_kv_shared_layer; i < c.num_layers; ++i)
    for (const char* m : {"k_proj.", "v_proj.", "k_norm.", "v_norm."})
      if (name.rfind(table.layer(i) + "self_attn." + m, 0) == 0) return true;
  return is_saved_rotary_buffer(name);
}

}  // namespace

std::unique_ptr<CausalLM> load_gemma4(const LoadRequest& request) {
  const auto c = Gemma4Config::from_hf(request.config);
  WeightTable table(request, language_model_end_names(request.checkpoint));
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, c.hidden_size, c.tie_word_embeddings);
  Gemma4PleInputs ple;
  if (const int64_t p = c.per_layer_input_size; p > 0) {
    const std::string base = table.names().base;
    table.specs.push_back({base + "embed_tokens_per_layer.weight", {c.vocab_size_per_layer_input, c.num_layers * p},
                           &ple.embed});
    table.specs.push_back({base + "per_layer_model_projection.weight", {c.num_layers * p, c.hidden_size},
                           &ple.projection});
    table.specs.push_back({base + "per_layer_projection_norm.weight", {p}, &ple.norm});
  }
  std::vector<Gemma4LayerWeights> layers(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) add_layer(table.specs, table.layer(i), i, c, layers[i]);
  auto loaded = table.load("gemma4", c.num_layers, ends, [&](const std::string& name) { return ignored(name, c, table); });
  return std::make_unique<Gemma4Model>(c, std::move(layers), std::move(loaded), std::move(ends), std::move(ple));
}

}  // namespace icsweep
