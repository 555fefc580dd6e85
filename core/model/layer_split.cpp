#include "core/model/layer_split.h"

#include <algorithm>
#include <cstdlib>

#include "core/model/layers.h"

namespace icsweep {

torch::Device layer_device(const std::vector<torch::Device>& devices, int64_t layer, int64_t layers) {
  const int64_t k = static_cast<int64_t>(devices.size());
  return devices[static_cast<size_t>(std::min(k - 1, layer * k / std::max<int64_t>(1, layers)))];
}

std::vector<torch::Device> place_split_layers(std::vector<WeightSpec>& specs, const std::vector<torch::Device>& devices,
                                              int64_t num_layers, const std::string& base, const std::string& head,
                                              const std::string& norm) {
  std::vector<torch::Device> layer_devices;
  for (int64_t i = 0; i < num_layers; ++i) layer_devices.push_back(layer_device(devices, i, num_layers));
  const std::string prefix = base + "layers.", norm_weight = base + norm;
  const std::string norm_bias = norm_weight.substr(0, norm_weight.rfind('.')) + ".bias";
  for (auto& spec : specs) {
    if (spec.name == norm_weight || spec.name == norm_bias || spec.name == head) {
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

PerDeviceAttentionInputs::PerDeviceAttentionInputs(const RopeConfig& rope, int64_t seq_len, torch::ScalarType dtype,
                                                   MaskMaker make_mask)
    : rope_(rope), seq_len_(seq_len), dtype_(dtype), make_mask_(make_mask) {}

PerDeviceAttentionInputs::PerDeviceAttentionInputs(const RopeConfig& rope, int64_t seq_len, torch::ScalarType dtype)
    : PerDeviceAttentionInputs(rope, seq_len, dtype, attention_mask) {}

const std::pair<torch::Tensor, torch::Tensor>& PerDeviceAttentionInputs::rotary(torch::Device device) {
  return rotary(device, rope_);
}

const std::pair<torch::Tensor, torch::Tensor>& PerDeviceAttentionInputs::rotary(torch::Device device,
                                                                                const RopeConfig& rope) {
  auto& tables = rotary_[{device.str(), &rope}];
  if (!tables.first.defined()) tables = rope_cos_sin(rope, seq_len_, dtype_, device);
  return tables;
}

const torch::Tensor& PerDeviceAttentionInputs::mask(torch::Device device, int64_t window) {
  auto [it, inserted] = masks_.try_emplace({device.str(), window});
  if (inserted) it->second = make_mask_(seq_len_, window, device);  // attention_mask(): undefined = plain causal
  return it->second;
}

}  // namespace icsweep
