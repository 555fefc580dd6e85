// CausalLM: the one model interface (docs/design.md §5). Includes torch: only model/ and score/ use it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config/fp8_format.h"

namespace icsweep {

struct ModelInfo {
  std::string architecture;  // config.json architectures[0] (or model_type)
  std::string family;        // icsweep family file that implements it, e.g. "llama"
  int64_t vocab_size = 0;    // rows of the output embedding (config vocab_size)
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_parameters = 0;
  int64_t resident_bytes = 0;  // the weights as held on the devices (FP8: codes + scales); 0 when unknown
  std::string weight_format;   // "" (as stored), or e.g. "fp8 block [128, 128], w8a8" (fp8_store.h)
};

class CausalLM {
 public:
  virtual ~CausalLM() = default;

  // ids: (B, T) int64 on the model's device, right-padded; causal attention, positions 0..T-1.
  // Returns the final hidden states after the last norm: (B, T, D) in the model dtype.
  virtual torch::Tensor forward_hidden(const torch::Tensor& ids) = 0;

  // hidden: (N, D) -> logits (N, V) in the model dtype (lm_head, plus any family-specific
  // scaling or soft-capping). The scorer calls it on chunks of rows.
  virtual torch::Tensor logits(const torch::Tensor& hidden) = 0;

  virtual const ModelInfo& info() const = 0;
  virtual torch::Device device() const = 0;
  virtual torch::ScalarType dtype() const = 0;
};

// Loads a Hugging Face model directory (config.json + model.safetensors or a sharded index) with the
// family the registry names for architectures[0]/model_type (core/model/families/registry_rows.h). Throws ModelError listing every
// missing/unexpected tensor and shape mismatch at once, or naming an unsupported architecture
// together with the supported ones.
// An FP8 checkpoint (config.json quantization_config fp8 / compressed-tensors float-quantized,
// core/config/fp8_format.h) keeps its weights FP8 and computes as `fp8_mode` says (kAuto: dequant; the
// scorer resolves auto by the GPU). ModelInfo::weight_format and resident_bytes say what is held.
std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         torch::Device device, Fp8Mode fp8_mode = Fp8Mode::kAuto);

// The same with the decoder layers split across `devices` in order (a pipeline: the embedding and the
// first L/k layers on devices[0], ..., the last layers, final norm and output head on devices.back();
// a device may be listed more than once). device() is devices[0], where the ids go; forward_hidden
// returns on devices.back(). Families that do not split are refused (ModelError naming the family
// and the families that split).
std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices,
                                         Fp8Mode fp8_mode = Fp8Mode::kAuto);

// Whether the family of a config.json architectures[0] splits its layers across devices; false for
// an architecture icsweep does not know.
bool architecture_splits_layers(const std::string& architecture);

// "float32" | "bfloat16" | "float16" (also fp32/bf16/fp16) -> ScalarType; ModelError otherwise.
torch::ScalarType parse_dtype(const std::string& name);

}  // namespace icsweep
