#include "core/model/hf_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/errors.h"

namespace icsweep {

HfConfig HfConfig::load(const std::string& model_dir) {
  const std::string path = (std::filesystem::path(model_dir) / "config.json").string();
  std::ifstream in(path);
  if (!in) throw ModelError(path + ": cannot read (is '" + model_dir + "' a Hugging Face model directory?)");
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

HfConfig::HfConfig(const nlohmann::json& json, std::string source)
    : json_(std::make_shared<const nlohmann::json>(json)), source_(std::move(source)) {}

HfConfig HfConfig::text() const {
  const nlohmann::json* t = lookup("text_config");
  if (!t) return *this;
  if (!t->is_object()) fail("text_config", "is not an object");
  HfConfig sub(*t, source_ + " [text_config]");
  sub.parent_ = json_;
  return sub;
}

std::optional<HfConfig> HfConfig::object(const std::string& key) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) fail(key, "is not an object");
  return HfConfig(*v, source_ + " [" + key + "]");
}

const nlohmann::json* HfConfig::lookup(const std::string& key) const {
  auto it = json_->find(key);
  if (it != json_->end() && !it->is_null()) return &*it;
  if (parent_) {
    auto p = parent_->find(key);
    if (p != parent_->end() && !p->is_null()) return &*p;
  }
  return nullptr;
}

void HfConfig::fail(const std::string& key, const std::string& what) const {
  throw ModelError(source_ + ": key '" + key + "' " + what);
}

bool HfConfig::has(const std::string& key) const { return lookup(key) != nullptr; }

int64_t HfConfig::get_int(const std::string& key) const {
  const nlohmann::json* v = lookup(key);
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
  const nlohmann::json* v = lookup(key);
  if (!v) fail(key, "is missing (required for this architecture)");
  if (!v->is_number()) fail(key, "should be a number, got " + v->dump());
  return v->get<double>();
}

double HfConfig::get_double(const std::string& key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

bool HfConfig::get_bool(const std::string& key, bool fallback) const {
  const nlohmann::json* v = lookup(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "should be true or false, got " + v->dump());
  return v->get<bool>();
}

std::string HfConfig::get_string(const std::string& key) const {
  const nlohmann::json* v = lookup(key);
  if (!v) fail(key, "is missing (required for this architecture)");
  if (!v->is_string()) fail(key, "should be a string, got " + v->dump());
  return v->get<std::string>();
}

std::string HfConfig::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::vector<std::string> HfConfig::get_strings(const std::string& key) const {
  std::vector<std::string> out;
  const nlohmann::json* v = lookup(key);
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
  const nlohmann::json* v = lookup(key);
  if (!v) return out;
  if (!v->is_array()) fail(key, "should be a list of numbers, got " + v->dump());
  for (const auto& s : *v) {
    if (!s.is_number()) fail(key, "should be a list of numbers, got " + v->dump());
    out.push_back(s.get<double>());
  }
  return out;
}

std::string HfConfig::architecture() const {
  const auto archs = get_strings("architectures");
  return archs.empty() ? std::string() : archs.front();
}

std::string HfConfig::dump() const { return json_->dump(); }

}  // namespace icsweep
