#include "core/model/decoder.h"

#include <cstdlib>

namespace icsweep {

bool is_saved_rotary_buffer(const std::string& tensor_name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return tensor_name.size() >= suffix.size() &&
         tensor_name.compare(tensor_name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_beyond_last_layer(const std::string& tensor_name, int64_t num_layers) {
  const std::string prefix = "model.layers.";
  return tensor_name.compare(0, prefix.size(), prefix) == 0 &&
         std::strtoll(tensor_name.c_str() + prefix.size(), nullptr, 10) >= num_layers;
}

void describe_loaded_model(ModelInfo& info, const std::string& family, int64_t vocab, int64_t hidden,
                           int64_t num_layers, const std::vector<WeightSpec>& specs, const std::string& tied_head) {
  info.family = family;
  info.vocab_size = vocab;
  info.hidden_size = hidden;
  info.num_layers = num_layers;
  info.num_parameters = count_parameters(specs, tied_head);
}

int64_t resident_weight_bytes(const std::vector<WeightSpec>& specs, const std::string& tied_head, const Fp8Store* fp8) {
  int64_t bytes = fp8 ? fp8->resident_bytes() : 0;
  for (const auto& s : specs)
    if (s.slot->defined() && s.name != tied_head && !Fp8Store::is_placeholder(*s.slot))
      bytes += s.slot->numel() * static_cast<int64_t>(s.slot->element_size());
  return bytes;
}

void add_decoder_end_specs(std::vector<WeightSpec>& specs, const EndNames& names, int64_t vocab, int64_t hidden,
                           bool tied, DecoderEnds& ends,
                           std::function<torch::Tensor(const TensorEntry&, torch::Device)> norm_convert) {
  specs.push_back({names.base + names.embed, {vocab, hidden}, &ends.embed_tokens});
  specs.push_back({names.base + names.norm, {hidden}, &ends.norm, false, std::move(norm_convert)});
  specs.push_back({names.head, {vocab, hidden}, &ends.lm_head, /*optional=*/tied});
}

WeightTable::WeightTable(const LoadRequest& request, EndNames names) : request_(request), names_(std::move(names)) {}

std::string WeightTable::layer(int64_t i) const { return names_.base + "layers." + std::to_string(i) + "."; }

void WeightTable::add_ends(DecoderEnds& ends, int64_t vocab, int64_t hidden, bool tied,
                           std::function<torch::Tensor(const TensorEntry&, torch::Device)> norm_convert) {
  vocab_ = vocab, hidden_ = hidden, tied_ = tied;
  add_decoder_end_specs(specs, names_, vocab, hidden, tied, ends, std::move(norm_convert));
}

LoadedDecoder WeightTable::load(const std::string& family, int64_t num_layers, DecoderEnds& ends,
                                const IgnoreFn& ignore) {
  const auto& devices = request_.devices;
  auto layer_devices = place_split_layers(specs, devices, num_layers, names_.base, names_.head, names_.norm);
  load_weights(request_.checkpoint, specs, request_.dtype, devices.front(), ignore, request_.fp8.get());
  if (tied_) ends.lm_head = tied_lm_head(ends.embed_tokens, devices);
  LoadedDecoder loaded{request_.info, request_.dtype, devices.front(), std::move(layer_devices), request_.fp8};
  describe_loaded_model(loaded.info, family, vocab_, hidden_, num_layers, specs, tied_ ? names_.head : "");
  loaded.info.resident_bytes = resident_weight_bytes(specs, tied_ ? names_.head : "", request_.fp8.get());
  return loaded;
}

torch::Tensor head_logits(const torch::Tensor& hidden, const torch::Tensor& lm_head) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, lm_head.t());  // (N, V)
}

torch::Tensor ResidualStream::norm(const torch::Tensor& weight) {
  if (x_.device() != weight.device()) {  // a split model's next block: hand the stream over
    x_ = x_.to(weight.device());
    if (pending_.defined()) pending_ = pending_.to(weight.device());
  }
  if (!pending_.defined()) return rms_norm(x_, weight, eps_);
  auto [sum, normed] = add_rms_norm(x_, pending_, weight, eps_);
  x_ = std::move(sum);
  pending_ = torch::Tensor();
  return normed;
}

void ResidualStream::add(torch::Tensor delta) {
  if (pending_.defined()) x_ = x_ + pending_;
  pending_ = std::move(delta);
}

}  // namespace icsweep
