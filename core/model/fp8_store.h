// The FP8 weights of one loaded model, resident as e4m3 codes plus scales (fp8_weight.h), dequantized
// per decoder layer just in time: one path for every family, none of them FP8-aware.
//
// How: at load (load_weights), each FP8 weight's slot receives a placeholder: a tensor of the weight's
// shape and the compute dtype whose storage claims the full byte size but holds no memory (a null data
// pointer), so shapes, views (experts unstacked, .t()) and parameter counts work as usual. fuse_rows()
// (layers.h) turns placeholders into one fused placeholder whose parts are dequantized into their row
// slices (block scales do not survive concatenation when a dimension is not a multiple of the block).
// Before layer i runs, materialize(i) gives each of that layer's storages memory and dequantizes into
// it; release(i) frees it again (decoder.h's forward loops hold an Fp8LayerScope). Extra memory at a
// time: one layer's weights in the compute dtype. Weights outside the layers (an FP8 output head) are
// materialized once, at finish_loading().
//
// w8a8: linear() (layers.h) asks input_quantization(weight); for an FP8 weight of a model in w8a8 mode it
// quantizes the input to e4m3 (quantize_activations) before the GEMM, which then runs on the dequantized
// weight in the compute dtype: an emulation of the FP8 GEMM with the references' numerics. This is the
// seam for the real GEMM on GPUs with FP8 tensor cores (at::_scaled_mm on the codes and scales, skipping
// materialize), a later speed step.
#pragma once

#include <torch/torch.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <vector>

#include "core/config/fp8_format.h"
#include "core/model/fp8_weight.h"

namespace icsweep {

// How linear() quantizes an FP8 weight's input in w8a8 mode.
struct Fp8InputQuant {
  Fp8Activations how = Fp8Activations::kGroup;
  int64_t group = 128;
  torch::Tensor static_scale;  // kStatic: () fp32 (a fused weight: the largest of its parts', as vLLM does)
};

class Fp8Store {
 public:
  // `mode`: kDequant or kW8a8 (resolved, not kAuto).
  Fp8Store(Fp8Format format, Fp8Mode mode);
  ~Fp8Store();
  Fp8Store(const Fp8Store&) = delete;
  Fp8Store& operator=(const Fp8Store&) = delete;

  const Fp8Format& format() const { return format_; }
  Fp8Mode mode() const { return mode_; }

  // Load time: the placeholder (R, C) in `dtype` on w's device standing for `w`, in the layer its name
  // says ("...layers.<i>." / "...h.<i>."; none: outside the layers).
  torch::Tensor add(Fp8Weight w, torch::ScalarType dtype);
  // After the family's loader returned (fusions done): groups the weights by layer and materializes
  // those outside the layers for good.
  void finish_loading();

  // Forward time (nested scopes of one layer count).
  void materialize(int64_t layer);
  void release(int64_t layer);

  int64_t resident_bytes() const;  // codes + scales of every FP8 weight
  int64_t num_weights() const;     // FP8 tensors read from the checkpoint

  // fuse_rows()'s FP8 branch: when any part is a placeholder, `fused` becomes the placeholder of their
  // concatenation (rows), the parts are released and true returned; false when no part is one.
  static bool fuse(std::initializer_list<torch::Tensor*> parts, torch::Tensor& fused);
  // Whether `t` is an FP8 placeholder (its bytes are counted by its store, not as t.nbytes()).
  static bool is_placeholder(const torch::Tensor& t);
  // For linear(): the input quantization of an FP8 weight of a w8a8 model; nullptr for any other weight.
  static const Fp8InputQuant* input_quantization(const torch::Tensor& weight);

  struct Slot;

 private:
  Fp8Format format_;
  Fp8Mode mode_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::map<int64_t, std::vector<Slot*>> by_layer_;
};

// Layer `layer` of `store` materialized for the scope; nothing when store is null (not an FP8 model).
class Fp8LayerScope {
 public:
  Fp8LayerScope(Fp8Store* store, int64_t layer) : store_(store), layer_(layer) {
    if (store_) store_->materialize(layer_);
  }
  ~Fp8LayerScope() {
    if (store_) store_->release(layer_);
  }
  Fp8LayerScope(const Fp8LayerScope&) = delete;
  Fp8LayerScope& operator=(const Fp8LayerScope&) = delete;

 private:
  Fp8Store* store_;
  int64_t layer_;
};

}  // namespace icsweep
