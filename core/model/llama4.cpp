#include "core/model/llama4.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/decoder_blocks.h"
#include "core/model/moe.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// attn_temperature_tuning was an integer (4) in the first published configs, a bool since.
bool truthy(const HfConfig& config, const std::string& key, bool fallback) {
  if (!config.has(key)) return fallback;
  const auto& j = config.json().contains(key) ? config.json()[key] : nlohmann::json();
  if (j.is_number()) return j.get<double>() != 0.0;
  return config.get_bool(key, fallback);
}

std::vector<int64_t> get_ints(const HfConfig& config, const std::string& key) {
  std::vector<int64_t> out;
  for (double v : config.get_doubles(key)) out.push_back(static_cast<int64_t>(v));
  return out;
}

// Rotates each pair (x[2i], x[2i+1]) as the complex number x[2i] + i x[2i+1] times
// (cos + i sin) of position * inv_freq[i] (transformers' view_as_complex), in fp32.
// x: (B, T, H, Dh); cos/sin: (T, Dh / 2) fp32.
torch::Tensor rotate_interleaved(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2), dh = x.size(3);
  auto pairs = x.to(torch::kFloat32).view({b, t, h, dh / 2, 2});
  auto re = pairs.select(-1, 0), im = pairs.select(-1, 1);  // (B, T, H, Dh/2)
  auto c = cos.view({1, t, 1, dh / 2}), s = sin.view({1, t, 1, dh / 2});
  auto out = torch::stack({re * c - im * s, re * s + im * c}, -1);  // (B, T, H, Dh/2, 2)
  return out.view({b, t, h, dh}).to(x.scalar_type());
}

// Llama4TextL2Norm: x / rms(x) in fp32, no weight. x: (..., Dh).
torch::Tensor l2_norm(const torch::Tensor& x, double eps) {
  auto h = x.to(torch::kFloat32);
  return (h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps)).to(x.scalar_type());
}

// Bool (T, T) "may attend": causal and inside the same chunk of `chunk` positions; undefined
// (plain causal) when the sequence fits in one chunk.
torch::Tensor chunked_mask(int64_t t, int64_t chunk, torch::Device device) {
  if (chunk <= 0 || t <= chunk) return {};
  auto i = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
  auto j = i.transpose(0, 1);
  return (j <= i) & (j.div(chunk, "floor") == i.div(chunk, "floor"));  // (T, T)
}

}  // namespace

Llama4Config Llama4Config::from_hf(const HfConfig& config) {
  Llama4Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size", 8192);
  c.intermediate_size_mlp = config.get_int("intermediate_size_mlp", 16384);
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size, /*default_head_dim=*/128);  // Llama4TextConfig's default
  c.num_experts = config.get_int("num_local_experts", 16);
  c.top_k = config.get_int("num_experts_per_tok", 1);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.hidden_act = config.get_string("hidden_act", "silu");
  c.attention_bias = config.get_bool("attention_bias", false);
  c.use_qk_norm = config.get_bool("use_qk_norm", true);
  c.attn_temperature_tuning = truthy(config, "attn_temperature_tuning", true);
  c.floor_scale = config.get_double("floor_scale", 8192);
  c.attn_scale = config.get_double("attn_scale", 0.1);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  const std::string& src = config.source();
  if (c.top_k <= 0 || c.top_k > c.num_experts)
    throw ModelError(src + ": key 'num_experts_per_tok' (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_local_experts (" + std::to_string(c.num_experts) + ")");
  if (!activation_supported(c.hidden_act))
    throw ModelError(src + ": key 'hidden_act' is '" + c.hidden_act + "', which icsweep does not implement");
  if (c.heads.head_dim % 2 != 0) throw ModelError(src + ": key 'head_dim' must be even for rotary embeddings");

  // no_rope_layers (1 = rope); missing or empty: NoPE every no_rope_layer_interval-th layer.
  auto no_rope = get_ints(config, "no_rope_layers");
  if (no_rope.empty()) {
    const int64_t interval = config.get_int("no_rope_layer_interval", 4);
    if (interval <= 0) throw ModelError(src + ": key 'no_rope_layer_interval' must be positive");
    for (int64_t i = 0; i < c.num_layers; ++i) no_rope.push_back((i + 1) % interval != 0);
  }
  if (no_rope.size() < static_cast<size_t>(c.num_layers))
    throw ModelError(src + ": key 'no_rope_layers' lists " + std::to_string(no_rope.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  // moe_layers, else every interleave_moe_layer_step-th layer (an empty list: no MoE layers).
  c.is_moe.assign(c.num_layers, false);
  if (config.has("moe_layers")) {
    for (int64_t i : get_ints(config, "moe_layers")) {
      if (i < 0 || i >= c.num_layers)
        throw ModelError(src + ": key 'moe_layers' names layer " + std::to_string(i) + ", outside 0.." +
                         std::to_string(c.num_layers - 1));
      c.is_moe[i] = true;
    }
  } else {
    const int64_t step = config.get_int("interleave_moe_layer_step", 1);
    if (step <= 0) throw ModelError(src + ": key 'interleave_moe_layer_step' must be positive");
    for (int64_t i = step - 1; i < c.num_layers; i += step) c.is_moe[i] = true;
  }
  // layer_types, else chunked attention on the rope layers. A null attention_chunk_size leaves
  // chunked layers fully causal.
  const auto layer_types = config.get_strings("layer_types");
  if (!layer_types.empty() && layer_types.size() != static_cast<size_t>(c.num_layers))
    throw ModelError(src + ": key 'layer_types' lists " + std::to_string(layer_types.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  const int64_t chunk = config.get_int("attention_chunk_size", 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    c.use_rope.push_back(no_rope[i] != 0);
    const std::string type =
        layer_types.empty() ? (no_rope[i] ? "chunked_attention" : "full_attention") : layer_types[i];
    if (type != "chunked_attention" && type != "full_attention")
      throw ModelError(src + ": key 'layer_types' has '" + type +
                       "'; llama4 layers are chunked_attention or full_attention");
    c.chunk_size.push_back(type == "chunked_attention" ? chunk : 0);
  }
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  auto params = config.has("rope_parameters") ? config.object("rope_parameters") : config.object("rope_scaling");
  if (!config.has("rope_theta") && !(params && params->has("rope_theta"))) c.rope.theta = 500000.0;
  return c;
}

Llama4Model::Llama4Model(Llama4Config config, Llama4Weights weights, ModelInfo info, torch::ScalarType dtype,
                         torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor Llama4Model::attention(int64_t layer, const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& mask) const {
  const auto& w = weights_.layers[layer];
  const int64_t t = x.size(1);
  auto [q, k, v] = project_qkv(w.attn, config_.heads, x);  // (B, T, H|Hkv, Dh)
  if (config_.use_rope[layer]) {
    q = rotate_interleaved(q, cos, sin);
    k = rotate_interleaved(k, cos, sin);
    if (config_.use_qk_norm) {
      q = l2_norm(q, config_.rms_norm_eps);
      k = l2_norm(k, config_.rms_norm_eps);
    }
  } else if (config_.attn_temperature_tuning) {
    // Query temperature per position (NoPE layers only), computed in fp32 as transformers does.
    auto pos = torch::arange(t, torch::TensorOptions().dtype(torch::kFloat32).device(x.device()));
    auto scale = torch::log1p(torch::floor((pos + 1.0) / config_.floor_scale)) * config_.attn_scale + 1.0;  // (T)
    q = (q * scale.view({1, t, 1, 1})).to(q.scalar_type());
  }
  auto out = causal_attention(heads_first(q), heads_first(k), heads_first(v), mask);  // (B, H, T, Dh)
  return project_attention_output(w.attn, out);                                      // (B, T, D)
}

torch::Tensor Llama4Model::moe(const Llama4LayerWeights& w, const torch::Tensor& x) const {
  const int64_t d = config_.hidden_size, f = config_.intermediate_size, k = config_.top_k;
  auto flat = x.reshape({-1, d});                                       // (N, D)
  const int64_t n = flat.size(0);
  auto router_logits = torch::matmul(flat, w.router.t());               // (N, E)
  auto [top_values, top_ids] = router_logits.topk(k, 1);                // (N, K) each
  auto scores = torch::sigmoid(top_values.to(torch::kFloat32)).to(flat.scalar_type());  // (N, K)
  // Llama4TextMoe scales each expert's input by its score (not its output), so every (token,
  // expert) pair becomes its own row with routing weight 1.
  auto routed_in = (flat.unsqueeze(1) * scores.unsqueeze(-1)).reshape({n * k, d});  // (N*K, D)
  auto ones = torch::ones({n * k, 1}, flat.options());
  const std::string& act = config_.hidden_act;
  auto expert = [&](int64_t e, const torch::Tensor& xe) {
    auto gate_up = torch::matmul(xe, w.gate_up_proj[e]);  // (n, 2F)
    auto hidden = gate_up.narrow(-1, f, f) * activation(act, gate_up.narrow(-1, 0, f));
    return torch::matmul(hidden, w.experts_down[e]);      // (n, D)
  };
  auto routed = grouped_experts(routed_in, top_ids.reshape({n * k, 1}), ones, config_.num_experts, d, expert);
  auto out = gated_mlp(flat, w.mlp, act) + routed.view({n, k, d}).sum(1);  // (N, D): shared expert + routed
  return out.view(x.sizes());                                // (B, T, D)
}

torch::Tensor Llama4Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);  // (B, T, D)
  PerDeviceAttentionInputs inputs(config_.rope, t, torch::kFloat32, chunked_mask);  // per device of a split model
  const int64_t half = config_.heads.head_dim / 2;
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    const torch::Device device = layer_devices_[i];
    x = x.to(device);  // a split model's next block: hand the stream over (else a no-op)
    // freqs_cis of transformers: the first halves of the fp32 (T, Dh) tables, (T, Dh/2) each.
    const auto& [cos, sin] = inputs.rotary(device);
    x = x + attention(i, rms_norm(x, w.input_layernorm, eps), cos.narrow(-1, 0, half), sin.narrow(-1, 0, half),
                      inputs.mask(device, config_.chunk_size[i]));
    auto hidden = rms_norm(x, w.post_attention_layernorm, eps);
    x = x + (config_.is_moe[i] ? moe(w, hidden) : gated_mlp(hidden, w.mlp, config_.hidden_act));
  }
  return rms_norm(x.to(weights_.norm.device()), weights_.norm, eps);  // (B, T, D), on the last device
}

torch::Tensor Llama4Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_llama4(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                      torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const Llama4Config c = Llama4Config::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, fm = c.intermediate_size_mlp;
  const int64_t v = c.vocab_size, e = c.num_experts;

  // Llama4ForCausalLM: model.* + lm_head; Llama4ForConditionalGeneration as published:
  // language_model.model.* + language_model.lm_head, as saved by transformers 5:
  // model.language_model.* + lm_head.
  std::string base = "model.", head = "lm_head.weight";
  if (checkpoint.find("language_model.model.embed_tokens.weight")) {
    base = "language_model.model.";
    head = "language_model.lm_head.weight";
  } else if (checkpoint.find("model.language_model.embed_tokens.weight")) {
    base = "model.language_model.";
  }

  Llama4Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {base + "embed_tokens.weight", {v, d}, &w.embed_tokens},
      {base + "norm.weight", {d}, &w.norm},
      {head, {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = base + "layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    if (c.is_moe[i]) {
      const std::string m = p + "feed_forward.";
      specs.push_back({m + "router.weight", {e, d}, &l.router});
      specs.push_back({m + "experts.gate_up_proj", {e, d, 2 * f}, &l.gate_up_proj});
      specs.push_back({m + "experts.down_proj", {e, f, d}, &l.experts_down});
      add_swiglu_specs(specs, m + "shared_expert.", kProjNames, d, f, l.mlp);
    } else {
      add_swiglu_specs(specs, p + "feed_forward.", kProjNames, d, fm, l.mlp);
    }
  }
  // The multimodal checkpoints also hold the vision tower and its projector.
  auto ignore = [](const std::string& name) {
    for (const char* prefix : {"vision_model.", "multi_modal_projector.", "model.vision_model.",
                               "model.multi_modal_projector."})
      if (name.rfind(prefix, 0) == 0) return true;
    return false;
  };
  auto layer_devices = place_split_layers(specs, devices, c.num_layers, base, head);
  load_weights(checkpoint, specs, dtype, devices.front(), ignore);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  info.family = "llama4";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? head : "");
  return std::make_unique<Llama4Model>(c, std::move(w), std::move(info), dtype, devices.front(),
                                       std::move(layer_devices));
}

}  // namespace icsweep
