#include "core/model/gpt_oss.h"

#include <cmath>
#include <limits>

#include "core/common/errors.h"
#include "core/model/decoder_blocks.h"
#include "core/model/moe.h"
#include "core/model/mxfp4.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// GptOssConfig's defaults when config.json names no rope at all: yarn, factor 32 over a 4096-token
// pretraining context, no truncation, theta 150000.
RopeConfig default_rope(const HfConfig& config, int64_t head_dim) {
  RopeConfig rope;
  rope.type = "yarn";
  rope.dim = head_dim;
  rope.theta = config.get_double("rope_theta", 150000.0);
  rope.max_position_embeddings = config.get_int("max_position_embeddings", 131072);
  rope.original_max_position_embeddings = 4096;
  rope.factor = 32.0;
  rope.attention_factor = 0.1 * std::log(rope.factor) + 1.0;
  rope.truncate = false;
  return rope;
}

// Bool (T, T) "may attend": causal, and within the last `window` positions when window > 0.
torch::Tensor allowed_mask(int64_t t, int64_t window, torch::Device device) {
  auto i = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
  auto j = i.transpose(0, 1);
  auto allowed = j <= i;
  if (window > 0) allowed = allowed & (j > i - window);
  return allowed;  // (T, T)
}

}  // namespace

GptOssConfig GptOssConfig::from_hf(const HfConfig& config) {
  GptOssConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size, /*default_head_dim=*/64);
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok", 4);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.swiglu_alpha = config.get_double("swiglu_alpha", 1.702);
  c.swiglu_limit = config.get_double("swiglu_limit", 7.0);
  c.attention_bias = config.get_bool("attention_bias", true);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.top_k <= 0 || c.top_k > c.num_experts)
    throw ModelError(config.source() + ": key 'num_experts_per_tok' (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_local_experts (" + std::to_string(c.num_experts) + ")");

  // layer_types, else GptOssConfig's default: sliding on even layers, full on odd ones.
  const auto layer_types = config.get_strings("layer_types");
  if (!layer_types.empty() && layer_types.size() != static_cast<size_t>(c.num_layers))
    throw ModelError(config.source() + ": key 'layer_types' lists " + std::to_string(layer_types.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  const int64_t window = config.get_int("sliding_window", 0);  // null: no window anywhere
  c.sliding_window.assign(c.num_layers, 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string type =
        layer_types.empty() ? (i % 2 == 0 ? "sliding_attention" : "full_attention") : layer_types[i];
    if (type != "sliding_attention" && type != "full_attention")
      throw ModelError(config.source() + ": key 'layer_types' has '" + type +
                       "'; gpt_oss layers are sliding_attention or full_attention");
    if (type == "sliding_attention") c.sliding_window[i] = window;
  }
  auto params = config.has("rope_parameters") ? config.object("rope_parameters") : config.object("rope_scaling");
  if (!params) {
    c.rope = default_rope(config, c.heads.head_dim);
  } else {
    c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
    if (!config.has("rope_theta") && !params->has("rope_theta")) c.rope.theta = 150000.0;  // GptOssConfig.default_theta
  }
  return c;
}

GptOssModel::GptOssModel(GptOssConfig config, GptOssWeights weights, ModelInfo info, torch::ScalarType dtype,
                         torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) l.attn.fuse_qkv();
}

torch::Tensor GptOssModel::attention(const GptOssLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& allowed) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.heads.num_heads, hkv = config_.heads.num_kv_heads, dh = config_.heads.head_dim;
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_rotary(heads_first(qkv.q), cos, sin);                     // (B, H, T, Dh)
  auto k = repeat_kv(apply_rotary(heads_first(qkv.k), cos, sin), h / hkv);  // (B, H, T, Dh)
  auto v = repeat_kv(heads_first(qkv.v), h / hkv);                           // (B, H, T, Dh)
  // Eager softmax in the model dtype over [scores, sink], as transformers; the sink column only
  // takes probability mass away and is dropped before the value product.
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  auto scores = torch::matmul(q, k.transpose(2, 3)) * scale;                                // (B, H, T, T)
  scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  auto sink = w.sinks.to(scores.scalar_type()).view({1, h, 1, 1}).expand({b, h, t, 1});    // (B, H, T, 1)
  auto logits = torch::cat({scores, sink}, -1);                                             // (B, H, T, T+1)
  logits = logits - std::get<0>(logits.max(-1, /*keepdim=*/true));
  auto probs = torch::softmax(logits, -1).narrow(-1, 0, t);                                // (B, H, T, T)
  return project_attention_output(w.attn, torch::matmul(probs.to(v.scalar_type()), v));    // (B, T, D)
}

torch::Tensor GptOssModel::experts(const GptOssLayerWeights& w, const torch::Tensor& x) const {
  const int64_t d = config_.hidden_size;
  auto flat = x.reshape({-1, d});                                     // (N, D)
  auto router_logits = linear(flat, w.router, w.router_bias);         // (N, E)
  auto [top_values, top_ids] = router_logits.topk(config_.top_k, -1);  // (N, K) each
  auto top_weights = torch::softmax(top_values, -1);                  // (N, K), over the selected logits only
  const double alpha = config_.swiglu_alpha, limit = config_.swiglu_limit;
  auto expert = [&](int64_t e, const torch::Tensor& xe) {
    auto gate_up = torch::matmul(xe, w.gate_up_proj[e]) + w.gate_up_bias[e];  // (n, 2F)
    auto gate = gate_up.slice(-1, 0, c10::nullopt, 2).clamp_max(limit);     // (n, F), even columns
    auto up = gate_up.slice(-1, 1, c10::nullopt, 2).clamp(-limit, limit);   // (n, F), odd columns
    auto glu = gate * torch::sigmoid(gate * alpha);
    return torch::matmul((up + 1) * glu, w.down_proj[e]) + w.down_bias[e];  // (n, D)
  };
  auto out = grouped_experts(flat, top_ids, top_weights, config_.num_experts, d, expert);  // (N, D)
  return out.view(x.sizes());                                                              // (B, T, D)
}

torch::Tensor GptOssModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);             // (B, T, D)
  PerDeviceAttentionInputs inputs(config_.rope, t, dtype_, allowed_mask);  // several devices only when split
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    const torch::Device device = layer_devices_[i];
    x = x.to(device);  // a split model's next block: hand the stream over (else a no-op)
    const auto& [cos, sin] = inputs.rotary(device);  // (T, Dh) each
    const auto& allowed = inputs.mask(device, config_.sliding_window[i]);  // (T, T) bool
    x = x + attention(w, rms_norm_weight_fp32(x, w.input_layernorm, eps), cos, sin, allowed);
    x = x + experts(w, rms_norm_weight_fp32(x, w.post_attention_layernorm, eps));
  }
  return rms_norm_weight_fp32(x.to(weights_.norm.device()), weights_.norm, eps);  // (B, T, D)
}

torch::Tensor GptOssModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_gpt_oss(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                       ModelInfo info, torch::ScalarType dtype,
                                       const std::vector<torch::Device>& devices) {
  const GptOssConfig c = GptOssConfig::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size, e = c.num_experts;

  GptOssWeights w;
  w.layers.resize(c.num_layers);
  std::vector<torch::Tensor> scales_slots(2 * c.num_layers);  // MXFP4 scales feed the blocks' slot
  // transformers keeps the RMSNorm weights in fp32 whatever the model dtype (keep_fp32).
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {"model.embed_tokens.weight", {v, d}, &w.embed_tokens},
      {"model.norm.weight", {d}, &w.norm, false, keep_fp32},
      {"lm_head.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  // An expert matrix (E, in, out) as a plain tensor, or as published: MXFP4 blocks/scales holding
  // its transpose (E, out, in/32, 16) / (E, out, in/32), dequantized straight into the slot.
  auto expert_matrix = [&](const std::string& name, int64_t in, int64_t out, torch::Tensor* slot,
                           torch::Tensor* scales_slot) {
    const std::string blocks = name + "_blocks", scales = name + "_scales";
    if (checkpoint.find(name) || !checkpoint.find(blocks)) {
      specs.push_back({name, {e, in, out}, slot});
      return;
    }
    auto dequantize = [&checkpoint, scales, dtype](const TensorEntry& entry, torch::Device device) {
      return dequantize_mxfp4(entry, *checkpoint.find(scales), dtype, device);  // (E, in, out)
    };
    specs.push_back({blocks, {e, out, in / 32, 16}, slot, false, dequantize});
    auto consumed = [](const TensorEntry&, torch::Device) { return torch::Tensor(); };  // read by the blocks' convert
    specs.push_back({scales, {e, out, in / 32}, scales_slot, false, consumed});
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm, false, keep_fp32});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm, false, keep_fp32});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.sinks", {c.heads.num_heads}, &l.sinks});
    specs.push_back({p + "mlp.router.weight", {e, d}, &l.router});
    specs.push_back({p + "mlp.router.bias", {e}, &l.router_bias});
    expert_matrix(p + "mlp.experts.gate_up_proj", d, 2 * f, &l.gate_up_proj, &scales_slots[2 * i]);
    specs.push_back({p + "mlp.experts.gate_up_proj_bias", {e, 2 * f}, &l.gate_up_bias});
    expert_matrix(p + "mlp.experts.down_proj", f, d, &l.down_proj, &scales_slots[2 * i + 1]);
    specs.push_back({p + "mlp.experts.down_proj_bias", {e, d}, &l.down_bias});
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, devices.front());
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "gpt_oss", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<GptOssModel>(c, std::move(w), std::move(info), dtype, devices.front(),
                                       std::move(layer_devices));
}

}  // namespace icsweep
