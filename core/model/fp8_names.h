// The torch-free part of reading FP8 checkpoints (fp8_weight.h): the names of an FP8 weight's companion
// tensors, the shape a padded weight stands for, and the layer a tensor belongs to. `icsweep models` and
// the planner use them without loading any weight.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/safetensors.h"

namespace icsweep {

// "<m>.weight" -> "<m>." + suffix (e.g. weight_scale_inv); "" when `weight_name` does not end in ".weight".
std::string fp8_companion(const std::string& weight_name, const std::string& suffix);

// The (rows, cols) a checkpoint's FP8 weight stands for: <m>.weight_shape_original (I64 or I32, two values)
// when present (a compressed-tensors block weight padded to whole blocks), else its shape. ModelError
// naming the file and tensor when that record is malformed or larger than the stored weight.
std::vector<int64_t> fp8_logical_shape(const SafetensorsCheckpoint& checkpoint, const TensorEntry& weight);

// The layer index in a tensor name ("model.layers.12.mlp..." -> 12, GPT-2's "h.3."), -1 when none.
int64_t layer_of_tensor(const std::string& name);

}  // namespace icsweep
