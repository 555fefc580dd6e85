#include "core/metrics/flops_shapes.h"

#include "core/common/errors.h"
#include "core/model/families/registry.h"

namespace icsweep {

std::string exact_profile_model_types() { return supported_model_types(); }

ModelShape exact_model_shape(const HfConfig& full, const std::string& context) {
  std::string model_type;
  const FamilyRow* row = find_family(full, &model_type);
  // The registry looks up architectures[0] when config.json names one (a wrapper's text model_type
  // may be known while the wrapper is not), else the model_type.
  if (!row && full.architecture().empty())
    throw ModelError(context + ": model_type '" + model_type + "' is not known to the exact profile (it knows " +
                     exact_profile_model_types() + "); use flops_profile: reference");
  if (!row)
    throw ModelError(context + ": architecture " + full.architecture() + " (model_type '" +
                     full.get_string("model_type", model_type) + "') is not known to the exact profile (it knows " +
                     supported_architectures() + "); use flops_profile: reference");
  try {
    return row->shape(full.text(), row->model_type);
  } catch (const ModelError& e) {
    throw ModelError(context + ": " + e.what());
  }
}

}  // namespace icsweep
