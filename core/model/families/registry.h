// The registry's torch-free side (rows in registry_rows.h): which family implements a config, whether
// it splits across devices, and its shape for the exact FLOPs profile. load_causal_lm() (causal_lm.h)
// adds the loaders; core/metrics' exact_model_shape() asks here.
#pragma once

#include <string>
#include <vector>

#include "core/config/hf_config.h"
#include "core/model/families/family_config.h"

namespace icsweep {

struct FamilyRow {
  const char* architecture;  // config.json architectures[0]
  const char* model_type;    // config.json model_type
  const char* family;        // the family that implements it (core/model/families/<family>.h)
  bool splits;               // whether its loader splits the layers across devices
  FamilyShape shape;         // per-layer shape for the exact FLOPs profile
};

// The row for a config: by architectures[0] when the config names one, else by model_type. nullptr
// when none matches. index: the row's position (load_causal_lm.cpp's loaders are in the same order).
const FamilyRow* find_family(const std::string& architecture, const std::string& model_type);
size_t family_index(const FamilyRow& row);

// The row for a config.json (its top level: architectures; its text model: model_type), nullptr
// when none matches. `model_type` receives the text model's model_type.
const FamilyRow* find_family(const HfConfig& top, std::string* model_type);

// Every row, in registry order (`icsweep models` lists them).
std::vector<FamilyRow> family_rows();

// Why MODEL_DIR's config cannot be loaded by a family, "" when it can: an architecture (or, without
// architectures, a model_type) no row implements, or `devices` > 1 for a family that does not split.
// load_causal_lm throws it; the planner lists it before any model loads.
std::string family_problem(const std::string& model_dir, const HfConfig& top, int devices);

// "LlamaForCausalLM (llama), ...": every row, for messages.
std::string supported_architectures();
// "llama (LlamaForCausalLM, ...), ...": the families that split, for messages.
std::string splitting_families();
// "llama, mistral, ...": every row's model_type, for messages.
std::string supported_model_types();

}  // namespace icsweep
