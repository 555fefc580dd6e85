// The escape hatch for architectures icsweep does not implement: a TorchScript module traced by
// scripts/export_torchscript.py (input ids (B, T) int64 -> logits (B, T, V)) in a model directory
// beside config.json (FLOPs, vocabulary) and the tokenizer. See README "TorchScript models".
#pragma once

#include <memory>
#include <string>

#include "core/model/causal_lm.h"

namespace icsweep {

constexpr const char* kTorchScriptFile = "model.torchscript.pt";

// True when DIR holds model.torchscript.pt.
bool is_torchscript_model(const std::string& model_dir);

// Loads the module onto `device`. ModelError naming the file when it is not a loadable TorchScript
// archive (e.g. saved by a newer torch than this build's libtorch) or was traced in another dtype
// than `dtype`.
std::unique_ptr<CausalLM> load_torchscript(const std::string& model_dir, int64_t vocab_size, ModelInfo info,
                                           torch::ScalarType dtype, torch::Device device);

}  // namespace icsweep
