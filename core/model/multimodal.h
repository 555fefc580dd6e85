// The language model inside a multimodal wrapper checkpoint (Gemma 3, Llama 4, Mistral 3): where its
// rows sit and which rows belong to the image side, which the text scorer skips without loading.
#pragma once

#include <string>

#include "core/model/decoder.h"

namespace icsweep {

// The first layout the checkpoint holds: a text-only model.* + lm_head.weight; the published wrappers'
// language_model.model.* + language_model.lm_head.weight (written by transformers 4.x); transformers
// 5's model.language_model.* + lm_head.weight. None found: the text-only names (for the error).
EndNames language_model_end_names(const SafetensorsCheckpoint& checkpoint);

// True for the image side in either layout: <tower>.* and multi_modal_projector.*, with or without a
// leading "model." (tower: "vision_tower" for Gemma 3 and Mistral 3, "vision_model" for Llama 4).
bool is_image_side_tensor(const std::string& tensor_name, const std::string& tower);

}  // namespace icsweep
