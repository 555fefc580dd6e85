#include "core/model/multimodal.h"

namespace icsweep {

EndNames language_model_end_names(const SafetensorsCheckpoint& checkpoint) {
  const EndNames text_only;
  const EndNames published{"language_model.model.", text_only.embed, text_only.norm, "language_model.lm_head.weight"};
  const EndNames transformers5{"model.language_model."};
  for (const EndNames& names : {text_only, published, transformers5})
    if (checkpoint.find(names.base + names.embed)) return names;
  return text_only;
}

bool is_image_side_tensor(const std::string& tensor_name, const std::string& tower) {
  for (const std::string& side : {tower + ".", std::string("multi_modal_projector.")})
    if (tensor_name.rfind(side, 0) == 0 || tensor_name.rfind("model." + side, 0) == 0) return true;
  return false;
}

}  // namespace icsweep
