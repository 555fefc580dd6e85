#include "core/config/hf_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/errors.h"
#include "core/config/hf_config_schema.h"

namespace icsweep {

HfConfig HfConfig::load(const std::string& model_dir) {
  const std::string path = (std::filesystem::path(model_dir) / "config.json").string();
  std::ifstream in(path);
  if (!in) throw ModelError(path + ": cannot read (is '" + model_dir + "' a Hugging Face model directory?)");
  return load_file(path);
}

HfConfig HfConfig::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelError(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

HfConfig HfConfig::parse(const std::string& json_text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw ModelError(source + ": expected a JSON object at the top level");
  return HfConfig(j, source);
}

namespace {

std::string model_type_of(const nlohmann::json& j) {
  auto it = j.find("model_type");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

HfConfig::HfConfig(const nlohmann::json& json, std::string source)
    : json_(std::make_shared<const nlohmann::json>(json)), source_(std::move(source)), model_type_(model_type_of(json)) {}

HfConfig::HfConfig() : HfConfig(nlohmann::json::object(), "(no config.json)") {}

bool HfConfig::is_wrapper() const {
  auto it = json_->find("text_config");
  return it != json_->end() && it->is_object();
}

HfConfig HfConfig::text() const {
  auto it = json_->find("text_config");
  if (it == json_->end() || it->is_null()) return *this;
  if (!it->is_object()) fail("text_config", "is not an object");
  HfConfig sub(*it, source_ + " [text_config]");
  sub.parent_ = json_;
  if (sub.model_type_.empty())
    if (const HfConfigClass* wrapper = hf_config_class(model_type_)) sub.model_type_ = wrapper->text_model_type;
  return sub;
}

std::optional<HfConfig> HfConfig::object(const std::string& key) const {
  const nlohmann::json* v = value(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail(key, "is not an object");
  HfConfig sub(*v, source_ + " [" + key + "]");
  sub.model_type_.clear();  // nested objects (rope_scaling, ...) have no class defaults
  return sub;
}

const nlohmann::json* HfConfig::resolve(const std::string& key, std::string* origin) const {
  auto found = [&](const nlohmann::json& v, std::string where) -> const nlohmann::json* {
    if (origin) *origin = v.is_null() ? "" : std::move(where);
    return v.is_null() ? nullptr : &v;
  };
  if (auto it = json_->find(key); it != json_->end()) return found(*it, "config.json");
  const HfConfigClass* cls = model_type_.empty() ? nullptr : hf_config_class(model_type_);
  if (cls) {
    if (auto alias = cls->attribute_map->find(key); alias != cls->attribute_map->end() && alias->is_string()) {
      const std::string name = alias->get<std::string>();
      if (auto it = json_->find(name); it != json_->end())
        return found(*it, name + " (" + cls->class_name + " attribute_map)");
    }
  }
  if (parent_) {
    if (auto it = parent_->find(key); it != parent_->end()) return found(*it, "top level");
  }
  if (cls) {
    if (auto it = cls->defaults->find(key); it != cls->defaults->end()) return found(*it, cls->class_name + " default");
  }
  if (origin) origin->clear();
  return nullptr;
}

const nlohmann::json* HfConfig::value(const std::string& key) const { return resolve(key, nullptr); }

std::string HfConfig::origin(const std::string& key) const {
  std::string where;
  resolve(key, &where);
  return where;
}

std::string HfConfig::model_type() const { return model_type_; }

std::string HfConfig::class_name() const {
  const HfConfigClass* cls = model_type_.empty() ? nullptr : hf_config_class(model_type_);
  return cls ? cls->class_name : std::string();
}

void HfConfig::fail(const std::string& key, const std::string& what) const {
  throw ModelError(source_ + ": key '" + key + "' " + what);
}

bool HfConfig::has(const std::string& key) const { return value(key) != nullptr; }

int64_t HfConfig::get_int(const std::string& key) const {
  const nlohmann::json* v = value(key);
  if (!v) fail(key, "is missing (required for this architecture)");
  if (v->is_number_integer()) return v->get<int64_t>();
  // Some exporters write 4096.0; accept integral floats.
  if (v->is_number_float() && v->get<double>() == static_cast<double>(static_cast<int64_t>(v->get<double>())))
    return static_cast<int64_t>(v->get<double>());
  fail(key, "should be an integer, got " + v->dump());
}

int64_t HfConfig::get_int(const std::string& key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}

double HfConfig::get_double(const std::string& key) const {
  const nlohmann::json* v = value(key);
  if (!v) fail(key, "is missing (required for this architecture)");
  if (!v->is_number()) fail(key, "should be a number, got " + v->dump());
  return v->get<double>();
}

double HfConfig::get_double(const std::string& key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

bool HfConfig::get_bool(const std::string& key, bool fallback) const {
  const nlohmann::json* v = value(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "should be true or false, got " + v->dump());
  return v->get<bool>();
}

std::string HfConfig::get_string(const std::string& key) const {
  const nlohmann::json* v = value(key);
  if (!v) fail(key, "is missing (required for this architecture)");
  if (!v->is_string()) fail(key, "should be a string, got " + v->dump());
  return v->get<std::string>();
}

std::string HfConfig::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::vector<std::string> HfConfig::get_strings(const std::string& key) const {
  std::vector<std::string> out;
  const nlohmann::json* v = value(key);
  if (!v) return out;
  if (!v->is_array()) fail(key, "should be a list of strings, got " + v->dump());
  for (const auto& s : *v) {
    if (!s.is_string()) fail(key, "should be a list of strings, got " + v->dump());
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::vector<double> HfConfig::get_doubles(const std::string& key) const {
  std::vector<double> out;
  const nlohmann::json* v = value(key);
  if (!v) return out;
  if (!v->is_array()) fail(key, "should be a list of numbers, got " + v->dump());
  for (const auto& s : *v) {
    if (!s.is_number()) fail(key, "should be a list of numbers, got " + v->dump());
    out.push_back(s.get<double>());
  }
  return out;
}

std::vector<int64_t> HfConfig::get_ints(const std::string& key) const {
  std::vector<int64_t> out;
  const nlohmann::json* v = value(key);
  if (!v) return out;
  if (!v->is_array()) fail(key, "should be a list of integers, got " + v->dump());
  for (const auto& s : *v) {
    if (!s.is_number_integer()) fail(key, "should be a list of integers, got " + v->dump());
    out.push_back(s.get<int64_t>());
  }
  return out;
}

std::string HfConfig::architecture() const {
  const auto archs = get_strings("architectures");
  return archs.empty() ? std::string() : archs.front();
}

std::string HfConfig::dump() const { return json_->dump(); }

}  // namespace icsweep
