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

std::vector<FamilyRow> family_rows() { return std::vector<FamilyRow>(std::begin(kRows), std::end(kRows)); }

std::string family_problem(const std::string& model_dir, const HfConfig& top, int devices) {
  std::string model_type;
  const FamilyRow* row = find_family(top, &model_type);
  if (!row)
    return model_dir + "/config.json: unsupported architecture '" +
           (top.architecture().empty() ? "model_type " + model_type : top.architecture()) +
           "'; icsweep supports: " + supported_architectures();
  if (devices > 1 && !row->splits)
    return model_dir + ": splitting the layers across " + std::to_string(devices) + " devices (gpus: " +
           std::to_string(devices) + ") is implemented for the " + splitting_families() + " families only; " +
           row->architecture + " must fit on one device (gpus: 1)";
  return "";
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
