// What every decoder family shares on the torch side: the request a registry row's loader receives,
// the weight table a loader fills (Hub names verbatim) and loads, the base class holding what every
// decoder model has (ModelInfo, dtype, devices, embedding / final norm / output head), and the
// residual stream of a pre-norm decoder with its add+norm fusion.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/model/attention.h"
#include "core/model/causal_lm.h"
#include "core/model/fp8_store.h"
#include "core/model/families/family_config.h"
#include "core/model/layer_split.h"
#include "core/model/layers.h"
#include "core/model/mlp.h"
#include "core/model/safetensors.h"
#include "core/model/weights.h"

namespace icsweep {

// What load_causal_lm() hands a family's loader (registry_rows.h).
struct LoadRequest {
  const HfConfig& config;                     // the text model's config (text_config of a wrapper)
  const std::string& model_type;              // the registry row's, e.g. "mistral"
  const SafetensorsCheckpoint& checkpoint;
  const ModelInfo& info;                      // architecture; the loader adds the rest
  torch::ScalarType dtype;
  const std::vector<torch::Device>& devices;  // one, or the layers split across these in order
  std::shared_ptr<Fp8Store> fp8 = nullptr;    // an FP8 checkpoint's weights (fp8_store.h); null otherwise
};

// The rows outside the layers: token embedding (V, D), final norm (D) (+ bias for a LayerNorm), output
// head (V, D), the embedding itself when tied.
struct DecoderEnds {
  torch::Tensor embed_tokens, norm, norm_bias, lm_head;
};

// Where a decoder's end rows sit: layers under base + "layers.<i>.", the embedding and final norm under
// base, the output head by its full name.
struct EndNames {
  std::string base = "model.";
  std::string embed = "embed_tokens.weight";
  std::string norm = "norm.weight";
  std::string head = "lm_head.weight";
};

// A loaded decoder's ModelInfo and placement.
struct LoadedDecoder {
  ModelInfo info;
  torch::ScalarType dtype;
  torch::Device device;                       // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices;  // (L): where each layer's weights live
  std::shared_ptr<Fp8Store> fp8 = nullptr;    // FP8 weights, materialized per layer (fp8_store.h)
};

using IgnoreFn = std::function<bool(const std::string&)>;

// Old exports saved the rotary buffers ("...rotary_emb.inv_freq"); transformers ignores them, so
// do the loaders (a weight table's default `ignore`).
bool is_saved_rotary_buffer(const std::string& tensor_name);

// True for "model.layers.<i>.*" with i >= num_layers: the multi-token-prediction layer(s) published
// DeepSeek-V3 and GLM-4.5 checkpoints carry after the last decoder layer, which transformers drops.
bool is_beyond_last_layer(const std::string& tensor_name, int64_t num_layers);

// Fills family, vocab_size, hidden_size, num_layers and num_parameters (from the loaded specs, a tied
// head named `tied_head` counted once; "" when untied). Call before any fusion releases the slots.
void describe_loaded_model(ModelInfo& info, const std::string& family, int64_t vocab, int64_t hidden,
                           int64_t num_layers, const std::vector<WeightSpec>& specs, const std::string& tied_head);

// Bytes of the loaded slots as held (a tied head `tied_head` counted once), FP8 weights as the store holds
// them (codes + scales) instead of their placeholders' compute-dtype size.
int64_t resident_weight_bytes(const std::vector<WeightSpec>& specs, const std::string& tied_head, const Fp8Store* fp8);

// Appends the embedding names.base + names.embed (V, D), the final norm names.base + names.norm (D)
// and the output head names.head (V, D), the last optional when `tied`, into `ends`.
void add_decoder_end_specs(std::vector<WeightSpec>& specs, const EndNames& names, int64_t vocab, int64_t hidden,
                           bool tied, DecoderEnds& ends,
                           std::function<torch::Tensor(const TensorEntry&, torch::Device)> norm_convert = nullptr);

// One model's weight table while a loader fills it: the Hugging Face names, verbatim, each with its
// shape and the slot it loads into. Slots must not move until load().
class WeightTable {
 public:
  explicit WeightTable(const LoadRequest& request, EndNames names = {});

  std::vector<WeightSpec> specs;
  std::string layer(int64_t i) const;  // "<base>layers.<i>."
  const EndNames& names() const { return names_; }

  // The embedding, final norm and output head rows (the head optional when `tied`). `norm_convert`:
  // a WeightSpec::convert for the norm (e.g. keep_fp32).
  void add_ends(DecoderEnds& ends, int64_t vocab, int64_t hidden, bool tied,
                std::function<torch::Tensor(const TensorEntry&, torch::Device)> norm_convert = nullptr);

  // Checks the table against the checkpoint (every problem at once) and loads it, the layers on their
  // devices when split; ties the head to the embedding when add_ends() was told so; describes the
  // model as `family` with `num_layers` layers.
  LoadedDecoder load(const std::string& family, int64_t num_layers, DecoderEnds& ends,
                     const IgnoreFn& ignore = is_saved_rotary_buffer);

 private:
  const LoadRequest& request_;
  EndNames names_;
  int64_t vocab_ = 0, hidden_ = 0;
  bool tied_ = false;
};

// hidden (N, D) x lm_head^T -> logits (N, V), in the model dtype.
torch::Tensor head_logits(const torch::Tensor& hidden, const torch::Tensor& lm_head);

// The base of the decoder models: CausalLM's accessors, the embedding lookup and the output head.
class DecoderModel : public CausalLM {
 public:
  torch::Tensor logits(const torch::Tensor& hidden) override { return head_logits(hidden, ends_.lm_head); }
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 protected:
  DecoderModel(LoadedDecoder loaded, DecoderEnds ends)
      : info_(std::move(loaded.info)), dtype_(loaded.dtype), device_(loaded.device),
        layer_devices_(std::move(loaded.layer_devices)), ends_(std::move(ends)), fp8_(std::move(loaded.fp8)) {}
  // The embedding lookup (B, T) -> (B, T, D); a family that scales it (Granite) overrides it.
  virtual torch::Tensor embed(const torch::Tensor& ids) const { return torch::embedding(ends_.embed_tokens, ids); }

  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
  DecoderEnds ends_;
  std::shared_ptr<Fp8Store> fp8_;             // null unless an FP8 checkpoint

  // Layer i's FP8 weights dequantized for the scope (nothing for other checkpoints): every forward loop
  // holds one around each layer, `auto fp8 = fp8_layer(i);`.
  Fp8LayerScope fp8_layer(int64_t i) const { return Fp8LayerScope(fp8_.get(), i); }
};

// The projections most decoder layers hold: self_attn's q/k/v/o and a gated MLP, fused at load
// (q/k/v into one GEMM, gate/up into one) by Decoder's constructor. A family's layer struct derives
// from it and adds its norms (and hides fuse() to fuse more).
struct AttentionMlpWeights {
  AttentionProjections attn;  // self_attn.{q,k,v,o}_proj
  SwigluWeights mlp;          // mlp.{gate,up,down}_proj (or a family's names)
  void fuse() {
    attn.fuse_qkv();
    mlp.fuse_gate_up();
  }
};

// A family's model: its config and per-layer weights over DecoderModel. Layers deriving from
// AttentionMlpWeights are fused one at a time (peak extra memory: one layer's projections).
template <typename Config, typename Layer>
class Decoder : public DecoderModel {
 public:
  using LayerWeights = Layer;
  Decoder(Config config, std::vector<Layer> layers, LoadedDecoder loaded, DecoderEnds ends)
      : DecoderModel(std::move(loaded), std::move(ends)), config_(std::move(config)), layers_(std::move(layers)) {
    if constexpr (std::is_base_of_v<AttentionMlpWeights, Layer>)
      for (auto& l : layers_) l.fuse();
  }

 protected:
  Config config_;
  std::vector<Layer> layers_;
};

// The loader of a decoder whose config has vocab_size, hidden_size, num_layers and
// tie_word_embeddings: the end rows under `names`, each layer's rows from
// add_layer(specs, "<base>layers.<i>.", i, layer), then WeightTable::load() and the Model.
template <typename Model, typename Config, typename AddLayer>
std::unique_ptr<CausalLM> load_decoder(const LoadRequest& request, const Config& config, const std::string& family,
                                       AddLayer add_layer, const IgnoreFn& ignore = is_saved_rotary_buffer,
                                       EndNames names = {}) {
  WeightTable table(request, std::move(names));
  DecoderEnds ends;
  table.add_ends(ends, config.vocab_size, config.hidden_size, config.tie_word_embeddings);
  std::vector<typename Model::LayerWeights> layers(config.num_layers);
  for (int64_t i = 0; i < config.num_layers; ++i) add_layer(table.specs, table.layer(i), i, layers[i]);
  auto loaded = table.load(family, config.num_layers, ends, ignore);
  return std::make_unique<Model>(config, std::move(layers), std::move(loaded), std::move(ends));
}

// The residual stream of a pre-norm RMSNorm decoder, so a forward reads like transformers' decoder
// layer:
//   stream.add(attention(stream.norm(w.input_layernorm)));
//   stream.add(mlp(stream.norm(w.post_attention_layernorm)));
//   ...
//   return stream.norm(final_norm);
// add() leaves the residual add to the next norm(), which runs both in one pass on CUDA
// (add_rms_norm); the results equal x = x + delta; rms_norm(x). Where the next norm's weight sits on
// another device (layers split across devices), the stream moves there first. x: (B, T, D).
class ResidualStream {
 public:
  ResidualStream(torch::Tensor x, double eps) : x_(std::move(x)), eps_(eps) {}
  torch::Tensor norm(const torch::Tensor& weight);  // rms_norm(x, weight): the next block's input
  void add(torch::Tensor delta);                    // x += delta (fused into the next norm())

 private:
  torch::Tensor x_, pending_;
  double eps_;
};

// A decoder whose layers each map the residual stream to the next, as transformers' models loop
// `hidden = decoder_layer(hidden, ...)`: the stream handed to each layer's device (a split model),
// then the final norm on the last device. A family supplies decoder_layer and final_norm, and
// attention_inputs where its rotary tables or masks differ from PerDeviceAttentionInputs' defaults.
template <typename Config, typename Layer>
class LayerwiseDecoder : public Decoder<Config, Layer> {
 public:
  using Decoder<Config, Layer>::Decoder;

  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    PerDeviceAttentionInputs inputs = attention_inputs(ids.size(1));
    auto x = this->embed(ids);  // (B, T, D)
    for (int64_t i = 0; i < this->config_.num_layers; ++i) {
      auto fp8 = this->fp8_layer(i);
      x = decoder_layer(i, x.to(this->layer_devices_[i]), inputs);  // (B, T, D) on layer i's device
    }
    return final_norm(x.to(this->ends_.norm.device()));           // (B, T, D) on the last device
  }

 protected:
  virtual PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const {
    return {this->config_.rope, seq_len, this->dtype_};
  }
  // Layer i on the stream x (B, T, D), on layer i's device -> (B, T, D).
  virtual torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const = 0;
  virtual torch::Tensor final_norm(const torch::Tensor& x) const = 0;
};

// LlamaDecoderLayer and the families that copy it, over RMSNorm:
//   x = x + self_attn(input_layernorm(x));  x = x + mlp(post_attention_layernorm(x))
// then the final norm; the adds fused into the next norm (ResidualStream), the stream handed from
// device to device when the layers are split. A family supplies its self_attn and mlp, as its
// transformers class supplies the modules; its Layer holds input_layernorm and post_attention_layernorm.
template <typename Config, typename Layer>
class PreNormDecoder : public Decoder<Config, Layer> {
 public:
  using Decoder<Config, Layer>::Decoder;

  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    PerDeviceAttentionInputs inputs(this->config_.rope, ids.size(1), this->dtype_);  // per device when split
    ResidualStream x(this->embed(ids), this->config_.rms_norm_eps);                   // (B, T, D)
    for (int64_t i = 0; i < this->config_.num_layers; ++i) {
      const Layer& w = this->layers_[i];
      auto fp8 = this->fp8_layer(i);
      x.add(self_attn(i, x.norm(w.input_layernorm), inputs));
      x.add(mlp(i, x.norm(w.post_attention_layernorm)));
    }
    return x.norm(this->ends_.norm);  // (B, T, D)
  }

 protected:
  // Layer i's attention and MLP on their normed input h (B, T, D) -> (B, T, D); `inputs` makes the
  // rotary tables and masks of each device once.
  virtual torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const = 0;
  virtual torch::Tensor mlp(int64_t i, const torch::Tensor& h) const = 0;
};

}  // namespace icsweep
