// What transformers' configuration classes know about config.json keys, by model_type: aliases
// (attribute_map) and constant __init__ defaults. Data: hf_config_schema.json, written by
// scripts/gen_hf_config_schema.py from transformers and compiled in (see CMakeLists.txt).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace icsweep {

struct HfConfigClass {
  std::string class_name;                 // e.g. "GPT2Config"
  const nlohmann::json* attribute_map;    // {"hidden_size": "n_embd", ...}; an empty object when none
  const nlohmann::json* defaults;         // {"head_dim": 256, ...}
  std::string text_model_type;            // a wrapper's text_config model_type, else ""
};

// nullptr for a model_type the schema does not list.
const HfConfigClass* hf_config_class(const std::string& model_type);

// The transformers version the schema was generated from.
std::string hf_config_schema_version();

}  // namespace icsweep
