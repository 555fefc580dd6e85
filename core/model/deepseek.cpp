#include "core/model/deepseek.h"

#include <cmath>
#include <cstdlib>

#include "core/common/errors.h"
#include "core/model/decoder_blocks.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// q_a_layernorm and kv_a_layernorm are built without the config's eps in transformers.
constexpr double kLatentNormEps = 1e-6;

// yarn_get_mscale in transformers' DeepSeek attention.
double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

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

// DeepSeek routing keys: ModelError naming config.json and the key unless 1 <= value.
int64_t positive(const HfConfig& config, const std::string& key, int64_t value) {
  if (value < 1)
    throw ModelError(config.source() + ": key '" + key + "' must be >= 1 (got " + std::to_string(value) + ")");
  return value;
}

}  // namespace

DeepseekConfig DeepseekConfig::from_hf(const HfConfig& config, const std::string& model_type) {
  DeepseekConfig c;
  c.v3 = model_type == "deepseek_v3";
  if (config.has("quantization_config"))
    throw ModelError(config.source() + ": key 'quantization_config' is set; icsweep loads only unquantized " +
                     model_type + " checkpoints (bf16/fp16/fp32)");
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.q_lora_rank = config.get_int("q_lora_rank", 0);
  c.kv_lora_rank = config.get_int("kv_lora_rank");
  c.qk_nope_head_dim = config.get_int("qk_nope_head_dim");
  c.qk_rope_head_dim = config.get_int("qk_rope_head_dim");
  c.v_head_dim = config.get_int("v_head_dim");
  c.attention_bias = config.get_bool("attention_bias", false);
  c.rope_interleave = c.v3 ? config.get_bool("rope_interleave", true) : true;
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the deepseek family implements only silu");
  if (config.get_bool("mlp_bias", false))
    throw ModelError(config.source() + ": key 'mlp_bias' is true; the deepseek family implements MLPs without bias");
  if (c.qk_rope_head_dim % 2 != 0)
    throw ModelError(config.source() + ": key 'qk_rope_head_dim' must be even (got " +
                     std::to_string(c.qk_rope_head_dim) + ")");

  // MoE layout (transformers' config defaults where a key is absent).
  c.first_k_dense_replace = config.get_int("first_k_dense_replace", c.v3 ? 3 : 0);
  c.num_experts = positive(config, "n_routed_experts", config.get_int("n_routed_experts"));
  c.top_k = positive(config, "num_experts_per_tok", config.get_int("num_experts_per_tok"));
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.n_shared_experts = config.get_int("n_shared_experts", c.v3 ? 1 : 0);
  c.routed_scaling_factor = config.get_double("routed_scaling_factor", c.v3 ? 2.5 : 1.0);
  if (c.v3) {
    // noaux_tc whatever scoring_func/topk_method say: transformers' DeepseekV3 has no other router.
    c.n_group = positive(config, "n_group", config.get_int("n_group", 8));
    c.topk_group = positive(config, "topk_group", config.get_int("topk_group", 4));
    c.norm_topk_prob = config.get_bool("norm_topk_prob", true);
  } else {
    const std::string method = config.get_string("topk_method", "greedy");
    if (method == "group_limited_greedy") {
      c.n_group = positive(config, "n_group", config.get_int("n_group"));
      c.topk_group = positive(config, "topk_group", config.get_int("topk_group"));
    } else if (method != "greedy") {
      throw ModelError(config.source() + ": key 'topk_method' is '" + method +
                       "'; deepseek_v2 supports greedy and group_limited_greedy");
    }
  }
  if (c.num_experts % c.n_group != 0 || c.topk_group > c.n_group ||
      c.top_k > c.topk_group * (c.num_experts / c.n_group))
    throw ModelError(config.source() + ": n_routed_experts (" + std::to_string(c.num_experts) + "), n_group (" +
                     std::to_string(c.n_group) + "), topk_group (" + std::to_string(c.topk_group) +
                     ") and num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") do not fit: the groups must split the experts evenly and hold the top-k");

  c.rope = RopeConfig::from_hf(config, c.qk_rope_head_dim);
  // Yarn with mscale_all_dim also sharpens the softmax (V2 and V3; the "factor" key as written).
  std::optional<HfConfig> params = config.object("rope_parameters");
  if (!params) params = config.object("rope_scaling");
  if (params && c.rope.type != "default") {
    const double mscale_all_dim = params->get_double("mscale_all_dim", 0.0);
    if (mscale_all_dim != 0.0) {
      const double m = yarn_mscale(params->get_double("factor"), mscale_all_dim);
      c.score_scale = m * m;
    }
  }
  return c;
}

DeepseekModel::DeepseekModel(DeepseekConfig config, DeepseekWeights weights, ModelInfo info, torch::ScalarType dtype,
                             torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {}

torch::Tensor DeepseekModel::rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const {
  // V2 multiplies complex pairs in fp32 (cos/sin are fp32 then); V3 rotates in the model dtype.
  if (!config_.v3) return apply_rotary(deinterleave(x.to(torch::kFloat32)), cos, sin).to(x.scalar_type());
  return apply_rotary(config_.rope_interleave ? deinterleave(x) : x, cos, sin);
}

torch::Tensor DeepseekModel::attention(const DeepseekLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                       const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1), h = config_.num_heads;
  const int64_t dn = config_.qk_nope_head_dim, dr = config_.qk_rope_head_dim, dv = config_.v_head_dim;
  const int64_t rkv = config_.kv_lora_rank;
  auto q = config_.q_lora_rank > 0
               ? torch::matmul(rms_norm(linear(x, w.q_a_proj, w.q_a_bias), w.q_a_layernorm, kLatentNormEps),
                               w.q_b_proj.t())
               : torch::matmul(x, w.q_proj.t());
  q = q.view({b, t, h, dn + dr}).transpose(1, 2);                                     // (B, H, T, Dqk)
  auto compressed = linear(x, w.kv_a_proj, w.kv_a_bias);                              // (B, T, Rkv + Dr)
  auto latent = rms_norm(compressed.narrow(-1, 0, rkv), w.kv_a_layernorm, kLatentNormEps);
  auto kv = torch::matmul(latent, w.kv_b_proj.t()).view({b, t, h, dn + dv}).transpose(1, 2);  // (B, H, T, Dn+Dv)
  auto k_rot = rotate(compressed.narrow(-1, rkv, dr).view({b, 1, t, dr}), cos, sin);          // (B, 1, T, Dr)
  auto q_rot = rotate(q.narrow(-1, dn, dr), cos, sin);                                        // (B, H, T, Dr)
  q = torch::cat({q.narrow(-1, 0, dn), q_rot}, -1);                                           // (B, H, T, Dqk)
  auto k = torch::cat({kv.narrow(-1, 0, dn), k_rot.expand({b, h, t, dr})}, -1);               // (B, H, T, Dqk)
  auto v = kv.narrow(-1, dn, dv);                                                             // (B, H, T, Dv)
  // causal_attention scales by qk_head_dim^-0.5; the yarn correction goes on q.
  if (config_.score_scale != 1.0) q = q * config_.score_scale;
  auto out = causal_attention(q, k, v.contiguous(), {}).transpose(1, 2).reshape({b, t, h * dv});  // (B, T, H*Dv)
  return linear(out, w.o_proj, w.o_bias);                                                     // (B, T, D)
}

torch::Tensor DeepseekModel::moe(const DeepseekLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
  const auto& c = config_;
  auto routing = c.v3 ? sigmoid_group_routing(flat, w.router, w.router_bias, c.top_k, c.n_group, c.topk_group,
                                              c.norm_topk_prob, c.routed_scaling_factor)
                      : softmax_group_routing(flat, w.router, c.top_k, c.n_group, c.topk_group,
                                              c.routed_scaling_factor);
  auto out = routed_swiglu_experts(flat, routing, w.experts);  // (N, D)
  if (c.n_shared_experts > 0) out = out + swiglu(flat, w.shared_experts);
  return out.view(x.sizes());  // (B, T, D)
}

torch::Tensor DeepseekModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);  // (B, T, D)
  PerDeviceAttentionInputs inputs(config_.rope, t, config_.v3 ? dtype_ : torch::kFloat32);  // per device when split
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    x = x.to(layer_devices_[i]);  // a split model's next block: hand the stream over (else a no-op)
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    x = x + attention(w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin);
    auto h = rms_norm(x, w.post_attention_layernorm, config_.rms_norm_eps);
    x = x + (i >= config_.first_k_dense_replace ? moe(w, h) : swiglu(h, w.mlp));
  }
  return rms_norm(x.to(weights_.norm.device()), weights_.norm, config_.rms_norm_eps);  // (B, T, D)
}

torch::Tensor DeepseekModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_deepseek(const HfConfig& config, const std::string& model_type,
                                        const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                        torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const DeepseekConfig c = DeepseekConfig::from_hf(config, model_type);
  const int64_t d = c.hidden_size, v = c.vocab_size, h = c.num_heads, e_count = c.num_experts;
  const int64_t dqk = c.qk_head_dim(), rq = c.q_lora_rank, rkv = c.kv_lora_rank;

  DeepseekWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
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
    if (i < c.first_k_dense_replace) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      continue;
    }
    specs.push_back({p + "mlp.gate.weight", {e_count, d}, &l.router});
    if (c.v3)  // transformers keeps e_score_correction_bias in fp32 whatever the model dtype
      specs.push_back({p + "mlp.gate.e_score_correction_bias", {e_count}, &l.router_bias, false, keep_fp32});
    l.experts.resize(e_count);
    for (int64_t e = 0; e < e_count; ++e)
      add_swiglu_specs(specs, p + "mlp.experts." + std::to_string(e) + ".", kProjNames, d, c.moe_intermediate_size,
                       l.experts[e]);
    if (c.n_shared_experts > 0)
      add_swiglu_specs(specs, p + "mlp.shared_experts.", kProjNames, d, c.moe_intermediate_size * c.n_shared_experts,
                       l.shared_experts);
  }
  // Published V3 checkpoints carry the multi-token-prediction layer(s) after the last decoder
  // layer (model.layers.61.* for 61 layers); transformers drops them, so do we.
  auto ignore = [&](const std::string& name) {
    const std::string prefix = "model.layers.";
    if (name.compare(0, prefix.size(), prefix) == 0) {
      const auto layer = std::strtoll(name.c_str() + prefix.size(), nullptr, 10);
      if (layer >= c.num_layers) return true;
    }
    return is_saved_rotary_buffer(name);
  };
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, devices.front(), ignore);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "deepseek", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<DeepseekModel>(c, std::move(w), std::move(info), dtype, devices.front(),
                                         std::move(layer_devices));
}

}  // namespace icsweep
