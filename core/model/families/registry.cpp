#include "core/model/families/registry.h"

#include <iterator>

#include "core/model/families/all_families.h"

namespace icsweep {
namespace {

constexpr FamilyRow kRows[] = {
#define ICSWEEP_FAMILY(architecture, model_type, family, splits, shape, loader) \
  {architecture, model_type, family, splits, shape},
#include "core/model/families/registry_rows.h"
#undef ICSWEEP_FAMILY
};

}  // namespace

const FamilyRow* find_family(const std::string& architecture, const std::string& model_type) {
  for (const auto& row : kRows)
    if (architecture.empty() ? model_type == row.model_type : architecture == row.architecture) return &row;
  return nullptr;
}

size_t family_index(const FamilyRow& row) { return static_cast<size_t>(&row - std::begin(kRows)); }

const FamilyRow* find_family(const HfConfig& top, std::string* model_type) {
  *model_type = top.text().get_string("model_type", top.get_string("model_type", ""));
  return find_family(top.architecture(), *model_type);
}

std::string supported_architectures() {
  std::string s;
  for (const auto& r : kRows) s += std::string(s.empty() ? "" : ", ") + r.architecture + " (" + r.model_type + ")";
  return s;
}

std::string splitting_families() {
  std::string s, last;
  for (const auto& r : kRows) {
    if (!r.splits) continue;
    if (r.family == last) {
      s.insert(s.size() - 1, std::string(", ") + r.architecture);
      continue;
    }
    s += std::string(s.empty() ? "" : ", ") + r.family + " (" + r.architecture + ")";
    last = r.family;
  }
  return s;
}

std::string supported_model_types() {
  std::string s;
  for (const auto& r : kRows) s += std::string(s.empty() ? "" : ", ") + r.model_type;
  return s;
}

}  // namespace icsweep
