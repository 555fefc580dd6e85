#include "core/config/model_dtype.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/errors.h"
#include "core/config/fp8_format.h"
#include "core/config/hf_config.h"
#include "core/config/safetensors_index.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

// safetensors dtype codes of floating-point tensors, by the name transformers gives them.
const std::map<std::string, std::string>& safetensors_float_dtypes() {
  static const std::map<std::string, std::string> m = {
      {"F32", "float32"}, {"BF16", "bfloat16"}, {"F16", "float16"}, {"F64", "float64"},
      {"F8_E4M3", "float8_e4m3fn"}, {"F8_E5M2", "float8_e5m2"}, {"F8_E8M0", "float8_e8m0fnu"}};
  return m;
}

std::string what_to_set() {
  return "set `dtype: float32` (or bfloat16, float16) for this model in the sweep, or --dtype with icsweep score";
}

// The header of one safetensors file: {"name": {"dtype": "BF16", ...}, "__metadata__": ...}.
nlohmann::json safetensors_header(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path.string() + ": cannot be read");
  uint64_t length = 0;
  in.read(reinterpret_cast<char*>(&length), 8);
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!in || ec || length > (uint64_t{100} << 20) || length + 8 > size)
    throw ModelError(path.string() + ": not a safetensors file (bad header length); is the download complete?");
  std::string text(length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(length));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path.string() + ": safetensors header is not valid JSON (" + e.what() + ")");
  }
}

std::optional<ModelDtype> from_config(const HfConfig& config) {
  const HfConfig levels[] = {config, config.text()};
  for (int i = 0; i < (config.is_wrapper() ? 2 : 1); ++i) {
    for (const char* key : {"dtype", "torch_dtype"}) {
      auto it = levels[i].json().find(key);
      if (it == levels[i].json().end() || it->is_null()) continue;
      if (!it->is_string()) throw ModelError(levels[i].source() + ": '" + key + "' should be a string, got " + it->dump());
      return ModelDtype{it->get<std::string>(), std::string("config.json ") + key + (i ? " (text_config)" : "")};
    }
  }
  return std::nullopt;
}

std::optional<ModelDtype> from_checkpoint(const fs::path& dir) {
  fs::path first;
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const SafetensorsIndex shards = read_safetensors_index(index.string());
    if (auto d = shards.metadata.find("dtype"); d != shards.metadata.end() && d->is_string())
      return ModelDtype{d->get<std::string>(), "model.safetensors.index.json metadata dtype"};
    std::set<std::string> files;
    for (const auto& [name, file] : shards.weight_map) files.insert(file);
    if (!files.empty()) first = dir / *files.begin();
  } else if (fs::exists(dir / "model.safetensors")) {
    first = dir / "model.safetensors";
  }
  if (first.empty()) return std::nullopt;
  const nlohmann::json header = safetensors_header(first);
  std::optional<std::pair<std::string, std::string>> any;  // (tensor, code) of the first tensor at all
  for (const auto& [name, entry] : header.items()) {  // nlohmann's objects iterate in name order
    if (name == "__metadata__" || !entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string()) continue;
    const std::string code = entry["dtype"].get<std::string>();
    if (!any) any = std::make_pair(name, code);
    if (auto f = safetensors_float_dtypes().find(code); f != safetensors_float_dtypes().end())
      return ModelDtype{f->second, "safetensors header (" + first.filename().string() + ": " + name + ")"};
  }
  if (any) throw ModelError(first.string() + ": no floating-point tensor (the first, " + any->first + ", is " +
                            any->second + "); " + what_to_set());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> canonical_dtype_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.rfind("torch.", 0) == 0) lower = lower.substr(6);
  static const std::map<std::string, std::string> kNames = {
      {"float32", "float32"}, {"fp32", "float32"}, {"float", "float32"},   {"bfloat16", "bfloat16"},
      {"bf16", "bfloat16"},   {"float16", "float16"}, {"fp16", "float16"}, {"half", "float16"},
      {"auto", "auto"}};
  auto it = kNames.find(lower);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

ModelDtype resolve_model_dtype(const std::string& setting, const std::string& model_dir) {
  return resolve_model_dtype(setting, HfConfig::load(model_dir), model_dir);
}

ModelDtype resolve_model_dtype(const std::string& setting, const HfConfig& config, const std::string& model_dir) {
  const auto canonical = canonical_dtype_name(setting);
  if (!canonical) throw ModelError("dtype '" + setting + "' is not one of auto, float32, bfloat16, float16");
  if (*canonical != "auto") return ModelDtype{*canonical, "set explicitly"};
  std::optional<ModelDtype> found = from_config(config);
  if (!found) found = from_checkpoint(model_dir);
  if (!found)
    throw ModelError(model_dir + ": dtype auto: config.json declares no dtype and there is no safetensors file to "
                     "read one from; " + what_to_set());
  if (found->dtype.rfind("float8", 0) == 0 && read_fp8_format(config))  // FP8 weights compute in bf16 by default
    return ModelDtype{"bfloat16", "FP8 checkpoint (" + found->source + "): bfloat16 compute"};
  const auto usable = canonical_dtype_name(found->dtype);
  if (!usable || *usable == "auto")
    throw ModelError(model_dir + ": dtype auto resolves to '" + found->dtype + "' (" + found->source +
                     "), which icsweep does not compute in; " + what_to_set());
  found->dtype = *usable;
  return *found;
}

}  // namespace icsweep
