#include "core/config/safetensors_index.h"

#include <fstream>

#include "core/common/errors.h"

namespace icsweep {

SafetensorsIndex read_safetensors_index(const std::string& path) {
  nlohmann::json j;
  try {
    std::ifstream in(path);
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw ModelError(path + ": missing object 'weight_map'");
  SafetensorsIndex index;
  if (auto m = j.find("metadata"); m != j.end() && m->is_object()) index.metadata = *m;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) throw ModelError(path + ": weight_map['" + it.key() + "'] is not a file name");
    index.weight_map[it.key()] = it.value().get<std::string>();
  }
  return index;
}

}  // namespace icsweep
