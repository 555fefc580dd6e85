#include "driver/model_check.h"

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/config/fp8_format.h"
#include "core/config/hf_config.h"
#include "core/config/model_dtype.h"
#include "core/metrics/flops.h"
#include "core/model/families/registry.h"
#include "core/model/fp8_names.h"
#include "core/model/safetensors.h"
#include "core/tokenizer/tokenizer.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// config.json quantization_config.quant_method, at the top level or in text_config; "" when none.
std::string quant_method(const HfConfig& top) {
  const nlohmann::json& json = top.json();
  for (const nlohmann::json* config : {&json, json.contains("text_config") ? &json.at("text_config") : nullptr}) {
    if (!config || !config->is_object() || !config->contains("quantization_config")) continue;
    const nlohmann::json& q = config->at("quantization_config");
    if (q.is_object() && q.contains("quant_method") && q.at("quant_method").is_string()) return q.at("quant_method").get<std::string>();
    return "unknown";
  }
  return "";
}

// The architecture, the family that loads it and the parameters in its safetensors headers.
void check_family_and_weights(const ModelSpec& m, const HfConfig& top, ModelCheck* out) {
  std::string model_type;
  const FamilyRow* row = find_family(top, &model_type);
  out->architecture = top.architecture().empty() ? "model_type " + model_type : top.architecture();
  if (fs::exists(fs::path(m.path) / "model.torchscript.pt")) {
    out->family = "torchscript";
    if (m.gpus > 1) out->problems.push_back(m.path + ": a TorchScript model cannot be split across devices; use gpus: 1");
    return;
  }
  if (row) out->family = row->family;
  if (const std::string problem = family_problem(m.path, top, m.gpus); !problem.empty()) out->problems.push_back(problem);
  try {
    out->parameters = checkpoint_parameters(m.path, out->quantization);
  } catch (const std::exception& e) {
    out->problems.push_back(e.what());
  }
}

// An FP8 checkpoint's format (a problem when icsweep does not read it) and the bytes a load holds.
void check_weight_format(const ModelSpec& m, const HfConfig& top, ModelCheck* out) {
  bool fp8 = false;
  try {
    if (const auto format = read_fp8_format(top)) {
      out->weight_format = format->describe();
      fp8 = true;
    }
  } catch (const std::exception& e) {
    out->problems.push_back(e.what());
  }
  if (out->dtype.empty() || out->family == "torchscript") return;
  try {
    out->resident_bytes = resident_weight_bytes(m.path, out->dtype, fp8, top.text().get_int("num_hidden_layers", -1));
  } catch (const std::exception& e) {
    out->problems.push_back(e.what());
  }
}

// Both FLOPs profiles; the one the sweep uses must apply (a problem otherwise). The exact profile
// reads the family's config struct as its loader does, so where the family is known its failure is
// a load problem too (e.g. a quantization the family does not load).
void check_flops(const ModelSpec& m, const HfConfig& top, const std::string& profile, ModelCheck* out) {
  try {
    out->reference_flops_per_token = reference_flops(top, m.name, out->tokens, m.attention).flops_per_token;
  } catch (const std::exception& e) {
    out->reference_flops_note = e.what();
    if (profile == "reference") out->problems.push_back(std::string("FLOPs (reference profile): ") + e.what());
  }
  try {
    out->exact_flops_per_token = exact_flops(top, {out->tokens}).flops_per_token;
  } catch (const std::exception& e) {
    out->exact_flops_note = e.what();
    const bool family_reads_config = !out->family.empty() && out->family != "torchscript";
    if (profile == "exact" || family_reads_config) out->problems.push_back(e.what());
  }
}

}  // namespace

int64_t checkpoint_parameters(const std::string& model_dir, const std::string& quantization) {
  const SafetensorsCheckpoint checkpoint(model_dir);
  int64_t total = 0;
  for (const auto& [name, entry] : checkpoint.tensors()) {
    if (quantization == "mxfp4" && ends_with(name, "_scales")) continue;
    const bool fp8 = quantization == "fp8" || quantization == "compressed-tensors";
    if (fp8 && (ends_with(name, "weight_scale_inv") || ends_with(name, "_scale") ||
                ends_with(name, "weight_shape_original")))
      continue;
    const bool packed = quantization == "mxfp4" && ends_with(name, "_blocks") && entry->dtype == StDtype::kU8;
    if (fp8 && entry->dtype == StDtype::kF8E4M3) {  // a padded block weight: the parameters it stands for
      const auto shape = fp8_logical_shape(checkpoint, *entry);
      total += shape.size() == 2 ? shape[0] * shape[1] : entry->numel();
      continue;
    }
    total += entry->numel() * (packed ? 2 : 1);
  }
  return total;
}

int64_t resident_weight_bytes(const std::string& model_dir, const std::string& dtype, bool fp8, int64_t num_layers) {
  const int64_t element = dtype == "float32" ? 4 : 2;
  const SafetensorsCheckpoint checkpoint(model_dir);
  int64_t total = 0;
  for (const auto& [name, entry] : checkpoint.tensors()) {
    if (num_layers >= 0 && layer_of_tensor(name) >= num_layers && name.rfind("model.layers.", 0) == 0) continue;
    if (!fp8) {
      total += entry->numel() * element;
    } else if (entry->dtype == StDtype::kF8E4M3) {
      const auto shape = fp8_logical_shape(checkpoint, *entry);
      total += shape.size() == 2 ? shape[0] * shape[1] : entry->numel();
    } else if (ends_with(name, "weight_scale_inv") || ends_with(name, "_scale")) {
      total += entry->numel() * 4;
    } else if (!ends_with(name, "weight_shape_original")) {
      total += entry->numel() * element;
    }
  }
  return total;
}

std::string format_parameters(int64_t parameters) {
  if (parameters < 0) return "?";
  const double p = static_cast<double>(parameters);
  char text[32];
  if (p >= 1e9) std::snprintf(text, sizeof text, "%.3gB", p / 1e9);
  else if (p >= 1e6) std::snprintf(text, sizeof text, "%.3gM", p / 1e6);
  else if (p >= 1e3) std::snprintf(text, sizeof text, "%.3gk", p / 1e3);
  else std::snprintf(text, sizeof text, "%lld", static_cast<long long>(parameters));
  return text;
}

ModelCheck check_model(const ModelSpec& m, const std::string& default_profile, int64_t tokens) {
  ModelCheck out;
  out.name = m.name;
  out.dir = m.path;
  out.tokens = tokens;
  HfConfig top;
  try {
    top = HfConfig::load(m.path);
  } catch (const std::exception& e) {
    out.problems.push_back(e.what());
    return out;
  }
  out.quantization = quant_method(top);
  check_family_and_weights(m, top, &out);
  try {
    const ModelDtype dtype = resolve_model_dtype(m.dtype, top, m.path);
    out.dtype = dtype.dtype;
    out.dtype_source = dtype.source;
  } catch (const std::exception& e) {
    out.problems.push_back(e.what());
  }
  check_weight_format(m, top, &out);
  check_flops(m, top, m.flops_profile.empty() ? default_profile : m.flops_profile, &out);
  try {
    out.tokenizer_size = load_tokenizer(m.tokenizer.empty() ? m.path : m.tokenizer)->size();
  } catch (const std::exception& e) {
    out.problems.push_back(std::string("tokenizer: ") + e.what());
  }
  return out;
}

}  // namespace icsweep
