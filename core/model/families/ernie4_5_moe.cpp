// Ernie4_5_MoeForCausalLM's forward and weight table (config: ernie4_5_moe_config.cpp).
#include "core/model/families/ernie4_5_moe.h"

#include "core/model/decoder.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

struct Ernie45MoeLayerWeights : AttentionMlpWeights {  // mlp: the dense layers'
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  DeepseekMoeWeights moe;                  // router (E, D) and router_bias (1, E) in fp32
  void fuse() {
    AttentionMlpWeights::fuse();
    moe.fuse();
  }
};

struct Ernie45MoeModel final : LayerwiseDecoder<Ernie45MoeConfig, Ernie45MoeLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;
  torch::Tensor head_bias;  // (V) lm_head.bias with use_bias, on the head's device

  void set_head_bias(const torch::Tensor& bias) { head_bias = bias.to(ends_.lm_head.device()); }

  torch::Tensor logits(const torch::Tensor& hidden) override {
    torch::InferenceMode guard;
    return linear(hidden, ends_.lm_head, head_bias);  // (N, V)
  }

  // Ernie4_5_MoeDecoderLayer: x + attention(norm(x)), then x + mlp(norm(x)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) fp32
    auto h = x + rotary_attention(w.attn, config_.heads, rms_norm(x, w.input_layernorm, eps), cos, sin, {},
                                  apply_interleaved_rotary_fp32);
    auto m = rms_norm(h, w.post_attention_layernorm, eps);
    return h + (config_.sparse[i] ? moe(w.moe, m) : swiglu(m, w.mlp));
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm(x, ends_.norm, config_.rms_norm_eps);
  }
  PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const override {
    return {config_.rope, seq_len, torch::kFloat32};
  }

  // Ernie4_5_MoeSparseMoeBlock: the routed experts plus the shared ones. x: (B, T, D).
  torch::Tensor moe(const DeepseekMoeWeights& w, const torch::Tensor& x) const {
    auto flat = x.reshape({-1, x.size(-1)});                                                   // (N, D)
    auto probs = torch::softmax(torch::matmul(flat.to(torch::kFloat32), w.router.t()), -1);  // (N, E) fp32
    auto routing = biased_group_topk(probs, w.router_bias.view({-1}), config_.top_k, 1, 1, false, 1.0);
    auto sum = routing.weights.sum(-1, /*keepdim=*/true).clamp_min(config_.moe_norm_min);
    routing.weights = (routing.weights / sum).to(x.scalar_type());
    return deepseek_moe(w, flat, routing).view(x.sizes());  // (B, T, D)
  }
};

void add_ernie_layer(std::vector<WeightSpec>& specs, const Ernie45MoeConfig& c, const std::string& p, int64_t i,
                     Ernie45MoeLayerWeights& l) {
  const int64_t d = c.hidden_size, e = c.num_experts, f = c.moe_intermediate_size;
  specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
  specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
  add_attention_specs(specs, p + "self_attn.", d, c.heads, c.use_bias, c.use_bias, l.attn);
  if (!c.sparse[i]) return add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp, c.use_bias);
  const std::string m = p + "mlp.";
  // transformers keeps the router and moe_statics in fp32 (_keep_in_fp32_modules_strict).
  specs.push_back({m + "gate.weight", {e, d}, &l.moe.router, false, keep_fp32});
  specs.push_back({m + "moe_statics.e_score_correction_bias", {1, e}, &l.moe.router_bias, false, keep_fp32});
  add_expert_specs(specs, m + "experts.", kProjNames, d, f, e, l.moe.experts);
  if (c.num_shared_experts > 0)
    add_swiglu_specs(specs, m + "shared_experts.", kProjNames, d, f * c.num_shared_experts, l.moe.shared_experts,
                     c.use_bias);
}

}  // namespace

std::unique_ptr<CausalLM> load_ernie4_5_moe(const LoadRequest& request) {
  const auto c = Ernie45MoeConfig::from_hf(request.config);
  WeightTable table(request);
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, c.hidden_size, c.tie_word_embeddings);
  torch::Tensor head_bias;
  if (c.use_bias) table.specs.push_back({"lm_head.bias", {c.vocab_size}, &head_bias});
  std::vector<Ernie45MoeLayerWeights> layers(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) add_ernie_layer(table.specs, c, table.layer(i), i, layers[i]);
  // Published checkpoints carry the multi-token-prediction block (model.mtp_*); transformers drops
  // every tensor whose name holds "mtp" (_keys_to_ignore_on_load_unexpected).
  auto ignore = [](const std::string& name) {
    return is_saved_rotary_buffer(name) || name.find("mtp") != std::string::npos;
  };
  auto loaded = table.load("ernie4_5_moe", c.num_layers, ends, ignore);
  auto model = std::make_unique<Ernie45MoeModel>(c, std::move(layers), std::move(loaded), std::move(ends));
  if (head_bias.defined()) model->set_head_bias(head_bias);
  return model;
}

}  // namespace icsweep
