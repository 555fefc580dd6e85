#include "core/metrics/flops_shapes.h"

#include "core/common/errors.h"
#include "core/model/families/registry.h"

namespace icsweep {

std::string exact_profile_model_types() { return supported_model_types(); }

ModelShape exact_model_shape(const HfConfig& full, const std::string& context) {
  std::string model_type;
  const FamilyRow* row = find_family(full, &model_type);
  if (!row)
    throw ModelError(context + ": model_type '" + model_type + "'" +
                     (full.architecture().empty() ? "" : " (architecture " + full.architecture() + ")") +
                     " is not known to the exact profile (it knows " + exact_profile_model_types() +
                     "); use flops_profile: reference");
  try {
    return row->shape(full.text(), row->model_type);
  } catch (const ModelError& e) {
    throw ModelError(context + ": " + e.what());
  }
}

}  // namespace icsweep
