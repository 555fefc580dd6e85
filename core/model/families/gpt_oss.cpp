// GptOssForCausalLM's forward and weight table (config: gpt_oss_config.cpp).
#include "core/model/families/gpt_oss.h"

#include <cmath>
#include <limits>

#include "core/model/decoder.h"
#include "core/model/moe.h"
#include "core/model/mxfp4.h"

namespace icsweep {
namespace {

// Bool (T, T) "may attend": causal, and within the last `window` positions when window > 0.
torch::Tensor allowed_mask(int64_t t, int64_t window, torch::Device device) {
  auto i = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
  auto j = i.transpose(0, 1);
  auto allowed = j <= i;
  if (window > 0) allowed = allowed & (j > i - window);
  return allowed;  // (T, T)
}

struct GptOssLayerWeights : AttentionMlpWeights {  // attn: self_attn.*; no dense mlp (experts below)
  torch::Tensor input_layernorm;           // (D), fp32 (transformers keeps the norms in fp32)
  torch::Tensor sinks;                     // (H)
  torch::Tensor post_attention_layernorm;  // (D), fp32
  torch::Tensor router, router_bias;       // (E, D), (E)
  torch::Tensor gate_up_proj;              // (E, D, 2F), gate/up interleaved along the last dim
  torch::Tensor gate_up_bias;              // (E, 2F)
  torch::Tensor down_proj;                 // (E, F, D)
  torch::Tensor down_bias;                 // (E, D)
};

struct GptOssModel final : LayerwiseDecoder<GptOssConfig, GptOssLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // GptOssDecoderLayer: x + attention(norm(x)), then x + experts(norm(x)); norms in fp32.
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);                      // (T, Dh) each
    const auto& allowed = inputs.mask(layer_devices_[i], config_.sliding_window[i]);  // (T, T) bool
    auto h = x + attention(w, rms_norm_weight_fp32(x, w.input_layernorm, eps), cos, sin, allowed);
    return h + experts(w, rms_norm_weight_fp32(h, w.post_attention_layernorm, eps));
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm_weight_fp32(x, ends_.norm, config_.rms_norm_eps);
  }
  PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const override {
    return {config_.rope, seq_len, dtype_, allowed_mask};
  }

  torch::Tensor attention(const GptOssLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
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

  torch::Tensor experts(const GptOssLayerWeights& w, const torch::Tensor& x) const {
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
};

}  // namespace

std::unique_ptr<CausalLM> load_gpt_oss(const LoadRequest& request) {
  const auto c = GptOssConfig::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, e = c.num_experts;
  const auto& checkpoint = request.checkpoint;
  const auto dtype = request.dtype;
  WeightTable table(request);
  auto& specs = table.specs;
  DecoderEnds ends;
  // transformers keeps the RMSNorm weights in fp32 whatever the model dtype (keep_fp32).
  table.add_ends(ends, c.vocab_size, d, c.tie_word_embeddings, keep_fp32);
  std::vector<GptOssLayerWeights> layers(c.num_layers);
  std::vector<torch::Tensor> scales_slots(2 * c.num_layers);  // MXFP4 scales feed the blocks' slot
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
    auto& l = layers[i];
    const std::string p = table.layer(i);
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
  auto loaded = table.load("gpt_oss", c.num_layers, ends, /*ignore=*/nullptr);
  return std::make_unique<GptOssModel>(c, std::move(layers), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
