// Layers split across devices (`gpus: k`, a pipeline): where each layer's weights go, and what one
// forward needs once per device.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/model/families/family_config.h"
#include "core/model/weights.h"

namespace icsweep {

// Layer i of `layers` on devices[i * k / layers] (k = devices.size()): contiguous, balanced blocks;
// the embedding sits with the first block, the final norm and the output head with the last.
torch::Device layer_device(const std::vector<torch::Device>& devices, int64_t layer, int64_t layers);

// Places the rows of a model split across `devices`: "<base>layers.<i>.*" on layer i's device,
// the final norm "<base><norm>" (and a LayerNorm's bias beside it) and `head` on the last, the rest
// (the embedding) on the first (the load's default device). Returns the (L) layer devices.
std::vector<torch::Device> place_split_layers(std::vector<WeightSpec>& specs, const std::vector<torch::Device>& devices,
                                              int64_t num_layers, const std::string& base = "model.",
                                              const std::string& head = "lm_head.weight",
                                              const std::string& norm = "norm.weight");

// The output head of a model with tied embeddings: transformers points lm_head at the embedding,
// ignoring any saved lm_head.weight; a split model keeps a copy beside its last layers. (V, D)
torch::Tensor tied_lm_head(const torch::Tensor& embed_tokens, const std::vector<torch::Device>& devices);

// What one forward of a split model needs once per device: the rotary tables cos/sin (T, Dh) and the
// attention masks per window (attention_mask(), or the family's own `make_mask`), made on first use.
class PerDeviceAttentionInputs {
 public:
  using MaskMaker = torch::Tensor (*)(int64_t seq_len, int64_t window, torch::Device device);
  PerDeviceAttentionInputs(const RopeConfig& rope, int64_t seq_len, torch::ScalarType dtype, MaskMaker make_mask);
  PerDeviceAttentionInputs(const RopeConfig& rope, int64_t seq_len, torch::ScalarType dtype);  // attention_mask()
  const std::pair<torch::Tensor, torch::Tensor>& rotary(torch::Device device);
  // Another rope's tables (a family with one rope per layer type: OLMo 3); `rope` must outlive this.
  const std::pair<torch::Tensor, torch::Tensor>& rotary(torch::Device device, const RopeConfig& rope);
  const torch::Tensor& mask(torch::Device device, int64_t window);

 private:
  const RopeConfig& rope_;
  int64_t seq_len_;
  torch::ScalarType dtype_;
  MaskMaker make_mask_;
  std::map<std::pair<std::string, const RopeConfig*>, std::pair<torch::Tensor, torch::Tensor>> rotary_;
  std::map<std::pair<std::string, int64_t>, torch::Tensor> masks_;
};

}  // namespace icsweep
