// Ministral 3 and the language model of the Mistral 3 wrapper: Ministral3ForCausalLM and
// Mistral3ForConditionalGeneration (transformers' modeling_ministral3.py, modeling_mistral3.py). The
// Mistral decoder (explicit head_dim, optional window) with YaRN rope from rope_parameters and the
// Llama-4 query scale: q, after rope, times 1 + beta * log(1 + floor(position / original_max_position_
// embeddings)), exactly 1 below the original length. The wrapper's text_config is ministral3
// (Ministral 3, Devstral 2) or mistral (Mistral Small 3.1: no query scale). The image side (Pixtral
// tower, projector) is skipped without loading.
#pragma once

#include <string>

#include "core/model/families/llama.h"

namespace icsweep {

struct Ministral3Config : LlamaConfig {
  double query_scale_beta = 0.0;          // rope_parameters.llama_4_scaling_beta; 0: no query scale
  int64_t query_scale_original_max = 0;   // rope_parameters.original_max_position_embeddings

  // The text model's config (text_config of a wrapper). Ministral3Config's YaRN default applies when a
  // ministral3 config has no rope_parameters.
  static Ministral3Config from_hf(const HfConfig& config);
};

ModelShape ministral3_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_ministral3(const LoadRequest& request);

}  // namespace icsweep
