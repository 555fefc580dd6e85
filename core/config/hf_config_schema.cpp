#include "core/config/hf_config_schema.h"

#include <map>
#include <nlohmann/json.hpp>

namespace icsweep {

extern const char* const kHfConfigSchemaJson;  // generated from hf_config_schema.json

namespace {

struct Schema {
  nlohmann::json doc;
  std::map<std::string, HfConfigClass> classes;
};

const Schema& schema() {
  static const Schema s = [] {
    Schema out;
    out.doc = nlohmann::json::parse(kHfConfigSchemaJson);
    static const nlohmann::json kEmpty = nlohmann::json::object();
    for (const auto& [type, entry] : out.doc.at("model_types").items()) {
      HfConfigClass c;
      c.class_name = entry.value("class", std::string());
      c.attribute_map = entry.contains("attribute_map") ? &entry.at("attribute_map") : &kEmpty;
      c.defaults = entry.contains("defaults") ? &entry.at("defaults") : &kEmpty;
      c.text_model_type = entry.value("text_model_type", std::string());
      out.classes.emplace(type, c);
    }
    return out;
  }();
  return s;
}

}  // namespace

const HfConfigClass* hf_config_class(const std::string& model_type) {
  const auto& classes = schema().classes;
  auto it = classes.find(model_type);
  return it == classes.end() ? nullptr : &it->second;
}

std::string hf_config_schema_version() { return schema().doc.value("transformers", std::string()); }

}  // namespace icsweep
