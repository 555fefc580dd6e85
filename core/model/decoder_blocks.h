// The pieces the Llama-like decoder families share, with the Hub's tensor names: the attention head
// layout read from config.json, the q/k/v/o projections (q, k and v run as one GEMM), the SiLU-gated
// MLP (gate and up as one GEMM, then the fused SiLU x up), the embedding / final norm / output head
// rows of the weight table, and the ModelInfo every loader fills the same way.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/weights.h"

namespace icsweep {

// Grouped-query attention heads: H query heads share Hkv key/value heads, each Dh wide.
struct HeadLayout {
  int64_t num_heads = 0;     // H
  int64_t num_kv_heads = 0;  // Hkv, divides H
  int64_t head_dim = 0;      // Dh
  int64_t q_dim() const { return num_heads * head_dim; }
  int64_t kv_dim() const { return num_kv_heads * head_dim; }

  // num_attention_heads, num_key_value_heads (default: num_attention_heads) and head_dim (default:
  // `default_head_dim`, or hidden_size / num_attention_heads when that is 0). ModelError naming
  // config.json unless num_attention_heads is a positive multiple of num_key_value_heads.
  static HeadLayout from_hf(const HfConfig& config, int64_t hidden_size, int64_t default_head_dim = 0);
};

// ModelError naming config.json and `family` unless hidden_act (default silu) is silu.
void require_silu_activation(const HfConfig& config, const std::string& family);

// Qwen2/Qwen3-style per-layer windows: with use_sliding_window and sliding_window set, the layers
// listed as "sliding_attention" in layer_types (older configs: layers >= max_window_layers) get
// the window; 0 elsewhere. (L).
std::vector<int64_t> qwen_sliding_windows(const HfConfig& config, int64_t num_layers);

// One attention block's projections. Loaded separately as the Hub stores them, then fuse_qkv()
// concatenates q, k, v into qkv_proj (and the biases) and releases the parts.
struct AttentionProjections {
  torch::Tensor q_proj, q_bias;          // (H*Dh, D), (H*Dh)
  torch::Tensor k_proj, k_bias;          // (Hkv*Dh, D), (Hkv*Dh)
  torch::Tensor v_proj, v_bias;          // (Hkv*Dh, D), (Hkv*Dh)
  torch::Tensor qkv_proj, qkv_bias;      // ((H + 2 Hkv) * Dh, D), ((H + 2 Hkv) * Dh)
  torch::Tensor o_proj, o_bias;          // (D, H*Dh), (D)
  void fuse_qkv();
};

// Appends prefix + "{q,k,v,o}_proj.weight", and ".bias" rows for q/k/v and o when asked (prefix
// e.g. "model.layers.3.self_attn."). `w` must not move afterwards (the specs point into it).
void add_attention_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                         const HeadLayout& heads, bool qkv_bias, bool o_bias, AttentionProjections& w);

// Views of one fused projection's output x W_qkv^T (+ b): q (B, T, H, Dh), k and v (B, T, Hkv, Dh).
struct QkvViews {
  torch::Tensor q, k, v;
};
QkvViews project_qkv(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x);

// (B, H, T, Dh) attention output -> heads concatenated (B, T, H*Dh) -> o_proj -> (B, T, D).
torch::Tensor project_attention_output(const AttentionProjections& w, const torch::Tensor& out);

// (B, T, n, Dh) -> (B, n, T, Dh), a view: the layout attention and rotary take.
inline torch::Tensor heads_first(const torch::Tensor& x) { return x.transpose(1, 2); }

// One SiLU-gated MLP: down(silu(x gate^T + b_g) * (x up^T + b_u)) + b_d (a dense layer's MLP, a
// routed or a shared expert). Biases are optional. fuse_gate_up() concatenates gate and up into
// gate_up (gate rows first, as GLM stores it) and releases them.
struct SwigluWeights {
  torch::Tensor gate, gate_bias;        // (F, D), (F)
  torch::Tensor up, up_bias;            // (F, D), (F)
  torch::Tensor gate_up, gate_up_bias;  // (2F, D), (2F)
  torch::Tensor down, down_bias;        // (D, F), (D)
  void fuse_gate_up();
};

// x: (..., D) -> (..., D); one GEMM for gate and up once fused.
torch::Tensor swiglu(const torch::Tensor& x, const SwigluWeights& w);

// The same gate with another activation (transformers' ACT2FN name, e.g. gelu_pytorch_tanh for
// Gemma): down(act(x gate^T) * (x up^T)); "silu" is swiglu(). x: (..., D) -> (..., D).
torch::Tensor gated_mlp(const torch::Tensor& x, const SwigluWeights& w, const std::string& activation_name);

// The Hub's tensor names of one SwiGLU MLP: gate_proj/up_proj/down_proj almost everywhere,
// w1/w3/w2 in Mixtral's block_sparse_moe experts.
struct SwigluNames {
  const char* gate;
  const char* up;
  const char* down;
};
inline constexpr SwigluNames kProjNames{"gate_proj", "up_proj", "down_proj"};
inline constexpr SwigluNames kMixtralExpertNames{"w1", "w3", "w2"};

// Appends prefix + "<name>.weight" for the three matrices of `w` (D = hidden, F = intermediate),
// and "<name>.bias" rows when `bias`. `w` must not move afterwards (the specs point into it).
void add_swiglu_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const SwigluNames& names,
                      int64_t hidden, int64_t intermediate, SwigluWeights& w, bool bias = false);

// The rows outside the layers: model.embed_tokens.weight (V, D), model.norm.weight (D) and
// lm_head.weight (V, D), the last optional when the embeddings are tied.
void add_decoder_end_specs(std::vector<WeightSpec>& specs, int64_t vocab, int64_t hidden, bool tied,
                           torch::Tensor& embed_tokens, torch::Tensor& norm, torch::Tensor& lm_head);

// Old exports saved the rotary buffers ("...rotary_emb.inv_freq"); transformers ignores them, so
// do the loaders (load_weights' `ignore`).
bool is_saved_rotary_buffer(const std::string& tensor_name);

// Fills family, vocab_size, hidden_size, num_layers and num_parameters (from the loaded specs,
// a tied lm_head.weight counted once). Call before any fusion releases the loaded slots.
void describe_loaded_model(ModelInfo& info, const std::string& family, int64_t vocab, int64_t hidden,
                           int64_t num_layers, const std::vector<WeightSpec>& specs, bool tied);

// The pre-norm residual stream of the Llama-like decoders: for each block b in order (attention and
// MLP of each layer), x = x + block(b, rms_norm(x, norms[b])); returns rms_norm(x, final_norm). Each
// residual add runs fused with the next norm (one pass on CUDA); the results equal the plain
// sequence. Where the next norm's weight sits on another device (layers split across devices), the
// stream moves there. x: (B, T, D); norms: (D) each; block(b, h) returns (B, T, D) on h's device.
torch::Tensor pre_norm_residual_stream(torch::Tensor x, const std::vector<torch::Tensor>& norms,
                                       const torch::Tensor& final_norm, double eps,
                                       const std::function<torch::Tensor(size_t, const torch::Tensor&)>& block);

// The 2L block norms of pre_norm_residual_stream for layers holding input_layernorm (before attention)
// and post_attention_layernorm (before the MLP), in order.
template <typename Layer>
std::vector<torch::Tensor> attention_and_mlp_norms(const std::vector<Layer>& layers) {
  std::vector<torch::Tensor> norms;
  for (const auto& l : layers) norms.insert(norms.end(), {l.input_layernorm, l.post_attention_layernorm});
  return norms;
}

// Layers split across devices (`gpus: k`, a pipeline): layer i of `layers` on devices[i * k / layers]
// (k = devices.size()): contiguous, balanced blocks; the embedding sits with the first block, the
// final norm and the output head with the last.
torch::Device layer_device(const std::vector<torch::Device>& devices, int64_t layer, int64_t layers);

// Places the rows of a model split across `devices`: "<base>layers.<i>.*" on layer i's device,
// "<base>norm.weight" and `head` (add_decoder_end_specs' names by default) on the last, the rest (the
// embedding) on the first (the load's default device). Returns the (L) layer devices.
std::vector<torch::Device> place_split_layers(std::vector<WeightSpec>& specs, const std::vector<torch::Device>& devices,
                                              int64_t num_layers, const std::string& base = "model.",
                                              const std::string& head = "lm_head.weight");

// The output head of a model with tied embeddings: transformers points lm_head at the embedding,
// ignoring any saved lm_head.weight; a split model keeps a copy beside its last layers. (V, D)
torch::Tensor tied_lm_head(const torch::Tensor& embed_tokens, const std::vector<torch::Device>& devices);

// What one forward of a split model needs once per device: the rotary tables cos/sin (T, Dh) and the
// attention masks per window (attention_mask(), or the family's own `make_mask`), made on first use.
class PerDeviceAttentionInputs {
 public:
  using MaskMaker = torch::Tensor (*)(int64_t seq_len, int64_t window, torch::Device device);
  PerDeviceAttentionInputs(const RopeConfig& rope, int64_t seq_len, torch::ScalarType dtype,
                           MaskMaker make_mask = attention_mask)
      : rope_(rope), seq_len_(seq_len), dtype_(dtype), make_mask_(make_mask) {}
  const std::pair<torch::Tensor, torch::Tensor>& rotary(torch::Device device);
  const torch::Tensor& mask(torch::Device device, int64_t window);

 private:
  const RopeConfig& rope_;
  int64_t seq_len_;
  torch::ScalarType dtype_;
  MaskMaker make_mask_;
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> rotary_;
  std::map<std::pair<std::string, int64_t>, torch::Tensor> masks_;
};

// hidden (N, D) x lm_head^T -> logits (N, V), in the model dtype.
torch::Tensor head_logits(const torch::Tensor& hidden, const torch::Tensor& lm_head);

}  // namespace icsweep
