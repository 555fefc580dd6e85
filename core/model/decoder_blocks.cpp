#include "core/model/decoder_blocks.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "core/common/errors.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

// cat(parts, 0) into `fused`, releasing the parts; nothing when the first part is undefined (no bias).
void concatenate_rows(std::initializer_list<torch::Tensor*> parts, torch::Tensor& fused) {
  if (!(*parts.begin())->defined()) return;
  std::vector<torch::Tensor> tensors;
  for (auto* p : parts) tensors.push_back(*p);
  fused = torch::cat(tensors, 0);
  for (auto* p : parts) *p = torch::Tensor();
}

}  // namespace

HeadLayout HeadLayout::from_hf(const HfConfig& config, int64_t hidden_size, int64_t default_head_dim) {
  HeadLayout heads;
  heads.num_heads = config.get_int("num_attention_heads");
  heads.num_kv_heads = config.get_int("num_key_value_heads", heads.num_heads);
  if (heads.num_heads <= 0 || heads.num_kv_heads <= 0 || heads.num_heads % heads.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(heads.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(heads.num_kv_heads) +
                     ")");
  heads.head_dim = config.get_int("head_dim", default_head_dim > 0 ? default_head_dim : hidden_size / heads.num_heads);
  return heads;
}

void require_silu_activation(const HfConfig& config, const std::string& family) {
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the " + family +
                     " family implements only silu");
}

std::vector<int64_t> qwen_sliding_windows(const HfConfig& config, int64_t num_layers) {
  std::vector<int64_t> windows(num_layers, 0);
  if (!config.get_bool("use_sliding_window", false) || !config.has("sliding_window")) return windows;
  const int64_t window = config.get_int("sliding_window");
  const auto layer_types = config.get_strings("layer_types");
  const int64_t max_window_layers = config.get_int("max_window_layers", num_layers);
  for (int64_t i = 0; i < num_layers; ++i) {
    const bool sliding = layer_types.size() == static_cast<size_t>(num_layers) ? layer_types[i] == "sliding_attention"
                                                                               : i >= max_window_layers;
    if (sliding) windows[i] = window;
  }
  return windows;
}

void AttentionProjections::fuse_qkv() {
  concatenate_rows({&q_proj, &k_proj, &v_proj}, qkv_proj);
  concatenate_rows({&q_bias, &k_bias, &v_bias}, qkv_bias);
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

void SwigluWeights::fuse_gate_up() {
  concatenate_rows({&gate, &up}, gate_up);
  concatenate_rows({&gate_bias, &up_bias}, gate_up_bias);
}

torch::Tensor swiglu(const torch::Tensor& x, const SwigluWeights& w) {
  if (w.gate_up.defined()) return linear(silu_mul(linear(x, w.gate_up, w.gate_up_bias)), w.down, w.down_bias);
  return linear(torch::silu(linear(x, w.gate, w.gate_bias)) * linear(x, w.up, w.up_bias), w.down, w.down_bias);
}

torch::Tensor gated_mlp(const torch::Tensor& x, const SwigluWeights& w, const std::string& activation_name) {
  if (activation_name == "silu") return swiglu(x, w);
  torch::Tensor gate, up;  // (..., F) each
  if (w.gate_up.defined()) {
    auto parts = linear(x, w.gate_up, w.gate_up_bias).chunk(2, -1);
    gate = parts[0], up = parts[1];
  } else {
    gate = linear(x, w.gate, w.gate_bias), up = linear(x, w.up, w.up_bias);
  }
  return linear(activation(activation_name, gate) * up, w.down, w.down_bias);
}

void add_swiglu_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, SwigluWeights& w, bool bias) {
  specs.push_back({prefix + names.gate + ".weight", {intermediate, hidden}, &w.gate});
  specs.push_back({prefix + names.up + ".weight", {intermediate, hidden}, &w.up});
  specs.push_back({prefix + names.down + ".weight", {hidden, intermediate}, &w.down});
  if (!bias) return;
  specs.push_back({prefix + names.gate + ".bias", {intermediate}, &w.gate_bias});
  specs.push_back({prefix + names.up + ".bias", {intermediate}, &w.up_bias});
  specs.push_back({prefix + names.down + ".bias", {hidden}, &w.down_bias});
}

void add_decoder_end_specs(std::vector<WeightSpec>& specs, int64_t vocab, int64_t hidden, bool tied,
                           torch::Tensor& embed_tokens, torch::Tensor& norm, torch::Tensor& lm_head) {
  specs.push_back({"model.embed_tokens.weight", {vocab, hidden}, &embed_tokens});
  specs.push_back({"model.norm.weight", {hidden}, &norm});
  specs.push_back({"lm_head.weight", {vocab, hidden}, &lm_head, /*optional=*/tied});
}

bool is_saved_rotary_buffer(const std::string& tensor_name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return tensor_name.size() >= suffix.size() &&
         tensor_name.compare(tensor_name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void describe_loaded_model(ModelInfo& info, const std::string& family, int64_t vocab, int64_t hidden,
                           int64_t num_layers, const std::vector<WeightSpec>& specs, bool tied) {
  info.family = family;
  info.vocab_size = vocab;
  info.hidden_size = hidden;
  info.num_layers = num_layers;
  info.num_parameters = count_parameters(specs, tied ? "lm_head.weight" : "");
}

torch::Tensor pre_norm_residual_stream(torch::Tensor x, const std::vector<torch::Tensor>& norms,
                                       const torch::Tensor& final_norm, double eps,
                                       const std::function<torch::Tensor(size_t, const torch::Tensor&)>& block) {
  auto h = rms_norm(x, norms.empty() ? final_norm : norms.front(), eps);  // the first block's input
  for (size_t b = 0; b < norms.size(); ++b) {
    auto delta = block(b, h);
    const auto& next_norm = b + 1 < norms.size() ? norms[b + 1] : final_norm;
    if (next_norm.device() != delta.device()) {  // a split model's next block: hand the stream over
      x = x.to(next_norm.device());
      delta = delta.to(next_norm.device());
    }
    std::tie(x, h) = add_rms_norm(x, delta, next_norm, eps);
  }
  return h;  // (B, T, D)
}

torch::Device layer_device(const std::vector<torch::Device>& devices, int64_t layer, int64_t layers) {
  const int64_t k = static_cast<int64_t>(devices.size());
  return devices[static_cast<size_t>(std::min(k - 1, layer * k / std::max<int64_t>(1, layers)))];
}

std::vector<torch::Device> place_split_layers(std::vector<WeightSpec>& specs, const std::vector<torch::Device>& devices,
                                              int64_t num_layers, const std::string& base, const std::string& head) {
  std::vector<torch::Device> layer_devices;
  for (int64_t i = 0; i < num_layers; ++i) layer_devices.push_back(layer_device(devices, i, num_layers));
  const std::string prefix = base + "layers.";
  for (auto& spec : specs) {
    if (spec.name == base + "norm.weight" || spec.name == head) {
      spec.device = devices.back();
    } else if (spec.name.rfind(prefix, 0) == 0) {
      const int64_t layer = std::strtoll(spec.name.c_str() + prefix.size(), nullptr, 10);
      if (layer >= 0 && layer < num_layers) spec.device = layer_devices[layer];
    }
  }
  return layer_devices;
}

torch::Tensor tied_lm_head(const torch::Tensor& embed_tokens, const std::vector<torch::Device>& devices) {
  return devices.back() == embed_tokens.device() ? embed_tokens : embed_tokens.to(devices.back());
}

const std::pair<torch::Tensor, torch::Tensor>& PerDeviceAttentionInputs::rotary(torch::Device device) {
  auto& tables = rotary_[device.str()];
  if (!tables.first.defined()) tables = rope_cos_sin(rope_, seq_len_, dtype_, device);
  return tables;
}

const torch::Tensor& PerDeviceAttentionInputs::mask(torch::Device device, int64_t window) {
  auto [it, inserted] = masks_.try_emplace({device.str(), window});
  if (inserted) it->second = make_mask_(seq_len_, window, device);  // attention_mask(): undefined = plain causal
  return it->second;
}

torch::Tensor head_logits(const torch::Tensor& hidden, const torch::Tensor& lm_head) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, lm_head.t());  // (N, V)
}

}  // namespace icsweep
