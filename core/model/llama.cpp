#include "core/model/llama.h"

#include <map>
#include <tuple>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

LlamaConfig LlamaConfig::from_hf(const HfConfig& config, const std::string& model_type) {
  LlamaConfig c;
  c.model_type = model_type;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the " + model_type +
                     " family implements only silu");

  c.sliding_window.assign(c.num_layers, 0);
  if (model_type == "llama") {
    c.qkv_bias = c.o_bias = config.get_bool("attention_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
  } else if (model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    // Qwen2Config: sliding window only with use_sliding_window, for layers >= max_window_layers
    // (or as listed in layer_types).
    if (config.get_bool("use_sliding_window", false) && config.has("sliding_window")) {
      const int64_t window = config.get_int("sliding_window");
      const auto layer_types = config.get_strings("layer_types");
      const int64_t max_window_layers = config.get_int("max_window_layers", c.num_layers);
      for (int64_t i = 0; i < c.num_layers; ++i) {
        const bool sliding = layer_types.size() == static_cast<size_t>(c.num_layers)
                                 ? layer_types[i] == "sliding_attention"
                                 : i >= max_window_layers;
        if (sliding) c.sliding_window[i] = window;
      }
    }
  } else if (model_type == "mistral") {
    if (config.has("sliding_window")) c.sliding_window.assign(c.num_layers, config.get_int("sliding_window"));
  } else if (model_type == "seed_oss") {
    // SeedOssConfig: separate q/k/v and o_proj biases, q/k/v on by default; head_dim 128 by default.
    c.qkv_bias = config.get_bool("attention_bias", true);
    c.o_bias = config.get_bool("attention_out_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
    c.head_dim = config.get_int("head_dim", 128);
  }
  c.rope = RopeConfig::from_hf(config, c.head_dim);
  return c;
}

torch::Device layer_device(const std::vector<torch::Device>& devices, int64_t layer, int64_t layers) {
  const int64_t k = static_cast<int64_t>(devices.size());
  return devices[static_cast<size_t>(std::min(k - 1, layer * k / std::max<int64_t>(1, layers)))];
}

LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights, ModelInfo info, torch::ScalarType dtype,
                       torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  if (layer_devices_.empty()) layer_devices_.assign(config_.num_layers, device_);
  // Fuse per layer (peak extra memory: one layer's projections), releasing the separate tensors.
  auto fuse = [](std::initializer_list<torch::Tensor*> parts) {
    if (!(*parts.begin())->defined()) return torch::Tensor();
    std::vector<torch::Tensor> tensors;
    for (auto* p : parts) tensors.push_back(*p);
    auto fused = torch::cat(tensors, 0);
    for (auto* p : parts) *p = torch::Tensor();
    return fused;
  };
  for (auto& l : weights_.layers) {
    l.qkv_proj = fuse({&l.q_proj, &l.k_proj, &l.v_proj});
    l.qkv_bias = fuse({&l.q_bias, &l.k_bias, &l.v_bias});
    l.gate_up_proj = fuse({&l.gate_proj, &l.up_proj});
    l.gate_up_bias = fuse({&l.gate_bias, &l.up_bias});
  }
}

torch::Tensor LlamaModel::attention(const LlamaLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin, const torch::Tensor& mask) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  auto qkv = linear(x, w.qkv_proj, w.qkv_bias).split_with_sizes({h * dh, hkv * dh, hkv * dh}, -1);
  auto q = qkv[0].view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
  auto k = qkv[1].view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  auto v = qkv[2].view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  q = apply_rotary(q, cos, sin);
  k = apply_rotary(k, cos, sin);
  auto out = causal_attention(q, k, v, mask);             // (B, H, T, Dh)
  out = out.transpose(1, 2).reshape({b, t, h * dh});      // (B, T, H*Dh)
  return linear(out, w.o_proj, w.o_bias);                 // (B, T, D)
}

torch::Tensor LlamaModel::mlp(const LlamaLayerWeights& w, const torch::Tensor& x) const {
  const auto gate_up = linear(x, w.gate_up_proj, w.gate_up_bias);           // (B, T, 2F): gate, up
  return linear(silu_mul(gate_up), w.down_proj, w.down_bias);                // (B, T, D)
}

torch::Tensor LlamaModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);  // (B, T, D)
  // Per device (several only when the layers are split): cos/sin (T, Dh) each, and the masks per
  // distinct window (usually one: none, or the model's window).
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> rope;
  std::map<std::pair<std::string, int64_t>, torch::Tensor> masks;
  const double eps = config_.rms_norm_eps;
  // x: the residual stream; h: its normalised copy for the next block (residual add and norm fused).
  auto h = rms_norm(x, weights_.layers.empty() ? weights_.norm : weights_.layers[0].input_layernorm, eps);
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    const torch::Device device = layer_devices_[i];
    const std::string key = device.str();
    if (!rope.count(key)) rope[key] = rope_cos_sin(config_.rope, t, dtype_, device);
    const auto& [cos, sin] = rope[key];
    const int64_t window = config_.sliding_window[i];
    auto& mask = masks[{key, window}];
    if (!mask.defined()) mask = attention_mask(t, window, device);
    std::tie(x, h) = add_rms_norm(x, attention(w, h, cos, sin, mask), w.post_attention_layernorm, eps);
    auto delta = mlp(w, h);
    const bool last = i + 1 == config_.num_layers;
    if (!last && layer_devices_[i + 1] != device) {  // a split model's next block: hand the stream over
      x = x.to(layer_devices_[i + 1]);
      delta = delta.to(layer_devices_[i + 1]);
    }
    std::tie(x, h) = add_rms_norm(x, delta, last ? weights_.norm : weights_.layers[i + 1].input_layernorm, eps);
  }
  return h;  // (B, T, D): the final norm of the residual stream
}

torch::Tensor LlamaModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_llama(const HfConfig& config, const std::string& model_type,
                                     const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const LlamaConfig c = LlamaConfig::from_hf(config, model_type);
  const torch::Device first = devices.front(), last = devices.back();
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;

  LlamaWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {"model.embed_tokens.weight", {v, d}, &w.embed_tokens},
      {"model.norm.weight", {d}, &w.norm, false, nullptr, last},
      {"lm_head.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings, nullptr, last},
  };
  std::vector<torch::Device> layer_devices;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const size_t first_spec = specs.size();
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, &l.q_proj});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, &l.k_proj});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, &l.v_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.o_proj});
    specs.push_back({p + "mlp.gate_proj.weight", {f, d}, &l.gate_proj});
    specs.push_back({p + "mlp.up_proj.weight", {f, d}, &l.up_proj});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.down_proj});
    if (c.qkv_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
    }
    if (c.o_bias) specs.push_back({p + "self_attn.o_proj.bias", {d}, &l.o_bias});
    if (c.mlp_bias) {
      specs.push_back({p + "mlp.gate_proj.bias", {f}, &l.gate_bias});
      specs.push_back({p + "mlp.up_proj.bias", {f}, &l.up_bias});
      specs.push_back({p + "mlp.down_proj.bias", {d}, &l.down_bias});
    }
    layer_devices.push_back(layer_device(devices, i, c.num_layers));
    for (size_t j = first_spec; j < specs.size(); ++j) specs[j].device = layer_devices.back();
  }
  // Old exports saved the rotary buffers; transformers ignores them, so do we.
  auto ignore = [](const std::string& name) {
    const std::string suffix = "rotary_emb.inv_freq";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  load_weights(checkpoint, specs, dtype, first, ignore);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight (a split
  // model keeps a copy beside the last layers).
  if (c.tie_word_embeddings) w.lm_head = last == first ? w.embed_tokens : w.embed_tokens.to(last);

  info.family = "llama";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<LlamaModel>(c, std::move(w), std::move(info), dtype, first, std::move(layer_devices));
}

}  // namespace icsweep
