// Qwen3.5's and Qwen3-Next's forward and weight table (config: qwen3_5_config.cpp; the linear layers:
// core/model/gated_deltanet.h).
#include "core/model/families/qwen3_5.h"

#include "core/model/decoder.h"
#include "core/model/gated_deltanet.h"
#include "core/model/moe.h"
#include "core/model/multimodal.h"

namespace icsweep {
namespace {

struct Qwen3_5LayerWeights : AttentionMlpWeights {  // attn: full-attention layers; mlp: dense layers
  torch::Tensor input_layernorm;           // (D) fp32, 1 + w (zero-centred RMSNorm)
  torch::Tensor post_attention_layernorm;  // (D) fp32, 1 + w
  GatedDeltaNetWeights linear_attn;        // linear layers
  DeepseekMoeWeights moe;                  // MoE layers: router and routed experts (no shared_experts)
  SwigluWeights shared_expert;             // F = shared_expert_intermediate_size
  torch::Tensor shared_expert_gate;        // (1, D)
  void fuse() {
    AttentionMlpWeights::fuse();
    moe.fuse();  // routed experts stacked (one grouped GEMM per projection on CUDA)
    shared_expert.fuse_gate_up();
  }
};

struct Qwen3_5Model final : LayerwiseDecoder<Qwen3_5Config, Qwen3_5LayerWeights> {
  Qwen3_5Model(Qwen3_5Config config, std::vector<Qwen3_5LayerWeights> layers, LoadedDecoder loaded, DecoderEnds ends)
      : LayerwiseDecoder(std::move(config), std::move(layers), std::move(loaded), std::move(ends)) {
    for (auto& l : layers_) l.linear_attn.fuse(config_.linear);
    ends_.norm = ends_.norm.to(torch::kFloat32) + 1.0;  // zero-centred, as the layers' norms (load_qwen3_5)
  }

  // Qwen3_5DecoderLayer: x + mixer(norm(x)), then x + mlp(norm(x)); the norms zero-centred, in fp32.
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const auto normed = rms_norm_weight_fp32(x, w.input_layernorm, eps);
    auto h = x + (config_.linear_layer[i] ? gated_deltanet(w.linear_attn, config_.linear, normed, eps)
                                           : attention(w.attn, normed, inputs.rotary(layer_devices_[i])));
    const auto m = rms_norm_weight_fp32(h, w.post_attention_layernorm, eps);
    return h + (config_.sparse[i] ? moe(w, m) : swiglu(m, w.mlp));
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm_weight_fp32(x, ends_.norm, config_.rms_norm_eps);
  }

  // Qwen3_5Attention: q_proj gives each head's query and gate; q/k zero-centred RMSNorms per head,
  // partial rotary, causal attention, times sigmoid(gate), o_proj. x: (B, T, D) -> (B, T, D).
  torch::Tensor attention(const AttentionProjections& w, const torch::Tensor& x,
                          const std::pair<torch::Tensor, torch::Tensor>& rotary) const {
    const auto& heads = config_.heads;
    const int64_t b = x.size(0), t = x.size(1), dh = heads.head_dim;
    const auto parts = torch::matmul(x, w.qkv_proj.t()).split_with_sizes({2 * heads.q_dim(), heads.kv_dim(),
                                                                           heads.kv_dim()}, -1);
    const auto query_gate = parts[0].view({b, t, heads.num_heads, 2 * dh}).split_with_sizes({dh, dh}, -1);
    const auto gate = query_gate[1].reshape({b, t, heads.q_dim()});  // (B, T, H*Dh)
    const double eps = config_.rms_norm_eps;
    auto q = rms_norm_weight_fp32(query_gate[0], w.q_norm, eps);                                      // (B, T, H, Dh)
    auto k = rms_norm_weight_fp32(parts[1].view({b, t, heads.num_kv_heads, dh}), w.k_norm, eps);      // (B, T, Hkv, Dh)
    q = apply_partial_rotary(heads_first(q), rotary.first, rotary.second);                           // (B, H, T, Dh)
    k = apply_partial_rotary(heads_first(k), rotary.first, rotary.second);                           // (B, Hkv, T, Dh)
    const auto v = heads_first(parts[2].view({b, t, heads.num_kv_heads, dh}));                        // (B, Hkv, T, Dh)
    const auto out = causal_attention(q, k, v, torch::Tensor()).transpose(1, 2).reshape({b, t, heads.q_dim()});
    return torch::matmul(out * torch::sigmoid(gate), w.o_proj.t());  // (B, T, D)
  }

  // Qwen3_5MoeSparseMoeBlock / Qwen3NextSparseMoeBlock: routed experts plus the gated shared expert.
  torch::Tensor moe(const Qwen3_5LayerWeights& w, const torch::Tensor& x) const {
    const auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
    const auto routing = softmax_topk_routing(flat, w.moe.router, config_.top_k, config_.norm_topk_prob);
    const auto shared = torch::sigmoid(torch::matmul(flat, w.shared_expert_gate.t())) * swiglu(flat, w.shared_expert);
    return (routed_swiglu_experts(flat, routing, w.moe.experts) + shared).view(x.sizes());  // (B, T, D)
  }
};

// The checkpoint parts scoring never reads: the multi-token-prediction head and the vision tower.
bool is_skipped_tensor(const std::string& name) {
  return name.rfind("mtp.", 0) == 0 || is_image_side_tensor(name, "visual") || is_saved_rotary_buffer(name);
}

}  // namespace

std::unique_ptr<CausalLM> load_qwen3_5(const LoadRequest& request) {
  const auto c = Qwen3_5Config::from_hf(request.config);
  const EndNames names = language_model_end_names(request.checkpoint);
  const int64_t d = c.hidden_size, dh = c.heads.head_dim;
  const auto dtype = request.dtype;
  // Zero-centred RMSNorm weights as the fp32 factor (1 + w) they multiply by (w cast to the model dtype first).
  const auto one_plus = [dtype](const TensorEntry& e, torch::Device device) {
    return tensor_from_entry(e, dtype, device).to(torch::kFloat32) + 1.0;
  };
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Qwen3_5LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm, false, one_plus});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm, false, one_plus});
    if (c.linear_layer[i]) {
      add_gated_deltanet_specs(specs, p + "linear_attn.", d, c.linear, c.next_layout, l.linear_attn);
    } else {
      add_attention_specs(specs, p + "self_attn.", d, c.heads, false, false, l.attn);
      specs[specs.size() - 4].shape = {2 * c.heads.q_dim(), d};  // q_proj: each head's query and gate
      specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.attn.q_norm, false, one_plus});
      specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.attn.k_norm, false, one_plus});
    }
    if (!c.sparse[i]) return add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    const bool stacked = request.checkpoint.find(p + "mlp.experts.down_proj") != nullptr;  // transformers 5
    add_deepseek_moe_specs(specs, p + "mlp.", d, c.num_experts, c.moe_intermediate_size, 0, false, l.moe, stacked);
    add_swiglu_specs(specs, p + "mlp.shared_expert.", kProjNames, d, c.shared_expert_intermediate_size, l.shared_expert);
    specs.push_back({p + "mlp.shared_expert_gate.weight", {1, d}, &l.shared_expert_gate});
  };
  return load_decoder<Qwen3_5Model>(request, c, "qwen3_5", add_layer, is_skipped_tensor, names);
}

}  // namespace icsweep
