// The compute dtype of a model. The reference script loads every model with transformers'
// dtype="auto", so `auto` (the default) resolves the same way, without reading any weight:
//   1. config.json "dtype" (transformers 5) or "torch_dtype" (4.x), at the top level, then in text_config;
//   2. a sharded checkpoint's model.safetensors.index.json metadata "dtype";
//   3. the first floating-point tensor of the first safetensors file (files and tensors in name
//      order, as transformers reads them).
// An explicit float32 / bfloat16 / float16 wins.
#pragma once

#include <optional>
#include <string>

namespace icsweep {

class HfConfig;

struct ModelDtype {
  std::string dtype;   // float32 | bfloat16 | float16
  std::string source;  // why, e.g. "config.json dtype", "set in the sweep", "safetensors header (model.norm.weight)"
};

// "float32", "bfloat16", "float16" or "auto" for their spellings (fp32, bf16, fp16, half, float,
// torch.float16, any case); nullopt for anything else.
std::optional<std::string> canonical_dtype_name(const std::string& name);

// Resolves `setting` (a canonical name or "auto") for the model directory. ModelError naming the
// file and what to set when auto finds nothing or a dtype icsweep does not compute in (float64,
// float8: set dtype explicitly).
ModelDtype resolve_model_dtype(const std::string& setting, const std::string& model_dir);
ModelDtype resolve_model_dtype(const std::string& setting, const HfConfig& config, const std::string& model_dir);

}  // namespace icsweep
