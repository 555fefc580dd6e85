#include "core/config/fp8_format.h"

#include <initializer_list>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/config/hf_config.h"

namespace icsweep {
namespace {

using Json = nlohmann::json;

// One quantization_config with its location for messages ("<file>: quantization_config").
struct QuantConfig {
  const Json& json;
  std::string where;

  // ModelError naming the key (a dotted path below quantization_config), its value and why.
  [[noreturn]] void unsupported(const std::string& key, const std::string& why, const Json* value = nullptr) const {
    if (!value) value = find_in(json, key);
    throw ModelError(where + "." + key + " is " + (value ? value->dump() : std::string("absent")) + ": " + why +
                     " (icsweep reads FP8 e4m3 weights: quant_method fp8 with weight_block_size [br, bc] or null, "
                     "or compressed-tensors float-quantized with strategy tensor, channel or block)");
  }
  const Json* find(const std::string& key) const { return find_in(json, key); }
  static const Json* find_in(const Json& j, const std::string& key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  }
  // j[key] (`path` names it in messages): one of `allowed`, the first when absent.
  std::string one_of(const Json& j, const std::string& key, const std::string& path,
                     std::initializer_list<const char*> allowed, const std::string& why) const {
    const Json* v = find_in(j, key);
    if (!v) return *allowed.begin();
    if (v->is_string())
      for (const char* a : allowed)
        if (v->get<std::string>() == a) return a;
    unsupported(path, why, v);
  }
};

std::vector<std::string> strings_of(const Json* v) {
  std::vector<std::string> out;
  if (v && v->is_array())
    for (const auto& s : *v)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// [rows, cols] of a block (weight_block_size, block_structure) into f.
void read_block(const QuantConfig& q, const Json* b, const std::string& path, Fp8Format& f) {
  if (!b || !b->is_array() || b->size() != 2 || !(*b)[0].is_number_integer() || !(*b)[1].is_number_integer() ||
      (*b)[0].get<int64_t>() < 1 || (*b)[1].get<int64_t>() < 1)
    q.unsupported(path, "expected two positive integers [rows, cols]", b);
  f.scales = Fp8Scales::kBlock;
  f.block_rows = (*b)[0].get<int64_t>(), f.block_cols = (*b)[1].get<int64_t>();
}

Fp8Format read_fine_grained(const QuantConfig& q) {
  Fp8Format f{"fp8", "weight_scale_inv"};
  q.one_of(q.json, "fmt", "fmt", {"e4m3"}, "only e4m3 weights are read");
  q.one_of(q.json, "scale_fmt", "scale_fmt", {"float", "ue8m0"}, "expected float or ue8m0");  // both: by dtype
  const std::string scheme =
      q.one_of(q.json, "activation_scheme", "activation_scheme", {"dynamic", "static"}, "expected dynamic or static");
  const Json* block = q.find("weight_block_size");
  if (block) {
    read_block(q, block, "weight_block_size", f);
    if (scheme == "static") q.unsupported("activation_scheme", "static activations with block scales");
    f.act_group = f.block_cols;  // activations are grouped as the weight's input blocks
  } else {
    f.scales = Fp8Scales::kTensor;
  }
  if (scheme == "static") {
    f.activations = Fp8Activations::kStatic;
    f.act_scale_name = "activation_scale";
  }
  const Json* skip = q.find("modules_to_not_convert");
  f.not_converted = strings_of(skip ? skip : q.find("ignored_layers"));
  return f;
}

// compressed-tensors: every config group must be FP8 e4m3 with the same weight strategy and inputs.
Fp8Format read_compressed_tensors(const QuantConfig& q) {
  Fp8Format f{"compressed-tensors", "weight_scale"};
  q.one_of(q.json, "format", "format", {"float-quantized"}, "only float-quantized (FP8) checkpoints are read");
  const Json* groups = q.find("config_groups");
  if (!groups || !groups->is_object() || groups->empty()) q.unsupported("config_groups", "expected one or more groups");
  std::string seen;
  for (const auto& [name, g] : groups->items()) {
    const std::string key = "config_groups." + name;
    q.one_of(g, "format", key + ".format", {"float-quantized"}, "expected float-quantized");
    const Json* w = QuantConfig::find_in(g, "weights");
    if (!w || !w->is_object() || w->value("type", std::string()) != "float" || w->value("num_bits", 0) != 8)
      q.unsupported(key + ".weights", "expected 8-bit float weights", w);
    const std::string strategy = q.one_of(*w, "strategy", key + ".weights.strategy", {"tensor", "channel", "block"},
                                          "expected tensor, channel or block");
    const Json* a = QuantConfig::find_in(g, "input_activations");
    const std::string signature = w->dump() + (a ? a->dump() : "null");
    if (!seen.empty() && signature != seen) q.unsupported("config_groups", "groups with different schemes");
    seen = signature;
    if (strategy == "tensor") {
      f.scales = Fp8Scales::kTensor;
    } else if (strategy == "channel") {
      f.scales = Fp8Scales::kChannel;
    } else {
      read_block(q, QuantConfig::find_in(*w, "block_structure"), key + ".weights.block_structure", f);
    }
    if (!a) {
      f.activations = Fp8Activations::kNone;
      continue;
    }
    const std::string act = a->value("strategy", std::string());
    const bool dynamic = a->value("dynamic", false);
    if (act == "token" && dynamic) {
      f.activations = Fp8Activations::kToken;
    } else if (act == "group" && dynamic && a->contains("group_size") && (*a)["group_size"].is_number_integer()) {
      f.activations = Fp8Activations::kGroup;
      f.act_group = (*a)["group_size"].get<int64_t>();
    } else if (act == "tensor" && !dynamic) {
      f.activations = Fp8Activations::kStatic;
      f.act_scale_name = "input_scale";
    } else {
      q.unsupported(key + ".input_activations", "expected dynamic token or group, or static tensor", a);
    }
  }
  f.not_converted = strings_of(q.find("ignore"));
  return f;
}

}  // namespace

std::string Fp8Format::describe() const {
  std::string s = method;
  if (scales == Fp8Scales::kBlock)
    s += " block [" + std::to_string(block_rows) + ", " + std::to_string(block_cols) + "]";
  else
    s += scales == Fp8Scales::kTensor ? " tensor" : " channel";
  if (activations == Fp8Activations::kStatic) s += ", static activation scales";
  return s;
}

std::optional<Fp8Format> read_fp8_format(const HfConfig& config) {
  const Json& top = config.json();
  const Json* where = QuantConfig::find_in(top, "quantization_config");
  std::string source = config.source() + ": quantization_config";
  if (!where && top.contains("text_config") && top["text_config"].is_object()) {
    where = QuantConfig::find_in(top["text_config"], "quantization_config");
    source = config.source() + ": text_config.quantization_config";
  }
  if (!where) return std::nullopt;
  if (!where->is_object()) throw ModelError(source + " is not an object");
  const QuantConfig q{*where, source};
  const Json* m = QuantConfig::find_in(*where, "quant_method");
  const std::string method = m && m->is_string() ? m->get<std::string>() : "";
  if (method == "mxfp4") return std::nullopt;  // gpt-oss's experts: its family reads them (mxfp4.h)
  if (method == "fp8") return read_fine_grained(q);
  if (method == "compressed-tensors") return read_compressed_tensors(q);
  q.unsupported("quant_method", "not a format icsweep reads (besides gpt-oss's mxfp4)");
}

Fp8Mode parse_fp8_mode(const std::string& name) {
  if (name == "auto") return Fp8Mode::kAuto;
  if (name == "dequant") return Fp8Mode::kDequant;
  if (name == "w8a8") return Fp8Mode::kW8a8;
  throw UsageError("fp8 mode '" + name + "' is not one of auto, dequant, w8a8");
}

const char* fp8_mode_name(Fp8Mode mode) {
  switch (mode) {
    case Fp8Mode::kAuto: return "auto";
    case Fp8Mode::kDequant: return "dequant";
    case Fp8Mode::kW8a8: return "w8a8";
  }
  return "?";
}

}  // namespace icsweep
