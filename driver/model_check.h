// What can be known about a model without loading its weights (`icsweep models`, `icsweep plan`, and
// the checks `icsweep run` makes before the first model loads): where it is, whether a family of the
// registry (or the TorchScript escape hatch) loads it, its dtype, parameter count and quantization
// from the safetensors headers and config.json, its FLOPs per token under both profiles, and whether
// its tokenizer loads. Reads config.json, the tokenizer files and the safetensors headers only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/sweep_config.h"

namespace icsweep {

struct ModelCheck {
  std::string name;          // the model's name (FLOPs quirks match it)
  std::string dir;           // the directory read
  std::string architecture;  // config.json architectures[0], else "model_type X"
  std::string family;        // the registry family, "torchscript", or "" when none loads it
  std::string dtype, dtype_source;  // the compute dtype (auto resolved) and why
  int64_t parameters = -1;          // from the safetensors headers; -1 when unknown
  std::string quantization;         // config.json quantization_config.quant_method ("" when none)
  std::string weight_format;        // FP8 checkpoints: the format as icsweep reads it ("fp8 block [128, 128]")
  int64_t resident_bytes = -1;      // the weights as a load holds them (resident_weight_bytes); -1: unknown
  int64_t tokenizer_size = 0;       // V_tok
  int64_t tokens = 1024;            // T of the FLOPs figures
  double reference_flops_per_token = -1, exact_flops_per_token = -1;  // FLOPs per token; -1: not applicable
  std::string reference_flops_note, exact_flops_note;                  // why not applicable
  std::vector<std::string> problems;  // why it would not load or score; empty: it loads

  bool loads() const { return problems.empty(); }
};

// Checks MODEL (path, tokenizer, dtype, gpus, flops profile and attention as in a sweep; the profile
// "" = `default_profile`) for sequences of `tokens` tokens.
ModelCheck check_model(const ModelSpec& model, const std::string& default_profile, int64_t tokens);

// Parameters a checkpoint holds, from its safetensors headers: every tensor's elements, MXFP4 blocks
// (U8 "*_blocks", two 4-bit values per byte) counted unpacked, their "*_scales" and FP8
// "*weight_scale_inv" / "*_scale" tensors left out when `quantization` is mxfp4 / fp8.
int64_t checkpoint_parameters(const std::string& model_dir, const std::string& quantization);

// Bytes a load holds in `dtype` (float32 | bfloat16 | float16), from the safetensors headers: every tensor in
// the compute dtype, except an FP8 checkpoint's (`fp8`): F8_E4M3 weights 1 byte per parameter (a padded
// one cropped to its weight_shape_original), their scales 4 (held in fp32), weight_shape_original none.
// Layers beyond `num_layers` (DeepSeek-V3's multi-token-prediction layer, which no family loads) left out.
int64_t resident_weight_bytes(const std::string& model_dir, const std::string& dtype, bool fp8, int64_t num_layers);

// "7.62B", "183k", "57.3M": parameters for reading.
std::string format_parameters(int64_t parameters);

}  // namespace icsweep
