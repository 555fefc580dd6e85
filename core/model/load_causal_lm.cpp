// load_causal_lm: reads config.json, asks the registry (core/model/families/registry_rows.h) which
// family implements architectures[0] (or model_type), and lets that family load its weights. A new
// family is a new family pair and registry row, never new branches here or inside another family.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <ATen/Context.h>

#include "core/common/errors.h"
#include "core/config/fp8_format.h"
#include "core/config/hf_config.h"
#include "core/model/causal_lm.h"
#include "core/model/decoder.h"
#include "core/model/families/all_families.h"
#include "core/model/families/registry.h"
#include "core/model/fp8_names.h"
#include "core/model/fp8_store.h"
#include "core/model/safetensors.h"
#include "core/model/torchscript.h"

namespace icsweep {
namespace {

// The registry's loaders, row for row (families/registry.h's rows hold the other columns).
constexpr FamilyLoader kLoaders[] = {
#define ICSWEEP_FAMILY(architecture, model_type, family, splits, shape, loader) loader,
#include "core/model/families/registry_rows.h"
#undef ICSWEEP_FAMILY
};

// config.json's layer count against the checkpoint's layer tensors (".layers.N." / GPT-2's ".h.N."),
// before a family allocates anything per layer: a wrong count (num_hidden_layers: 1e9) is a clear
// error naming the key instead of a bad_alloc.
void check_layer_count(const HfConfig& config, const SafetensorsCheckpoint& checkpoint) {
  const int64_t layers = config.get_int("num_hidden_layers", -1);
  if (layers < 0) return;
  int64_t highest = -1;
  for (const auto& [name, entry] : checkpoint.tensors()) highest = std::max(highest, layer_of_tensor(name));
  // Only more layers than the checkpoint holds: a wrapper's vision tower or an MTP layer may add more.
  if (highest >= 0 && layers > highest + 1)
    throw ModelError(config.source() + ": num_hidden_layers is " + std::to_string(layers) + " but the checkpoint in " +
                     checkpoint.dir() + " holds layers 0.." + std::to_string(highest) +
                     "; check that config.json belongs to these weights");
}


// A TorchScript module (torchscript.h) in place of a family: config.json gives its vocabulary.
std::unique_ptr<CausalLM> load_torchscript_model(const std::string& model_dir, const HfConfig& top,
                                                 torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  if (devices.size() > 1)
    throw ModelError(model_dir + ": a TorchScript model cannot be split across devices; use gpus: 1");
  const HfConfig config = top.text();
  const std::string architecture = top.architecture();
  ModelInfo info;
  const std::string model_type = config.get_string("model_type", top.get_string("model_type", ""));
  info.architecture = "TorchScript (" + (architecture.empty() ? model_type : architecture) + ")";
  info.hidden_size = config.get_int("hidden_size", 0);
  info.num_layers = config.get_int("num_hidden_layers", 0);
  return load_torchscript(model_dir, config.get_int("vocab_size"), info, dtype, devices.front());
}

// After an FP8 checkpoint loaded: its weights grouped per layer, and what it holds, on stderr.
void report_fp8_load(const std::string& model_dir, Fp8Store& fp8, const ModelInfo& info, torch::ScalarType dtype) {
  fp8.finish_loading();
  if (fp8.num_weights() == 0)
    throw ModelError(model_dir + ": config.json has an FP8 quantization_config but no weight of the " + info.family +
                     " model is F8_E4M3; check that config.json belongs to these weights");
  const double dense = static_cast<double>(info.num_parameters) * torch::elementSize(dtype);
  std::fprintf(stderr, "icsweep: %s: %lld FP8 weights (%s): %lld resident weight bytes (%.4g GB; %.4g GB in %s)\n",
               model_dir.c_str(), static_cast<long long>(fp8.num_weights()), info.weight_format.c_str(),
               static_cast<long long>(info.resident_bytes), info.resident_bytes / 1e9, dense / 1e9,
               c10::toString(dtype));
}

}  // namespace

torch::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32" || name == "float") return torch::kFloat32;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16" || name == "half") return torch::kFloat16;
  throw ModelError("unknown dtype '" + name + "' (use float32, bfloat16 or float16)");
}

bool architecture_splits_layers(const std::string& architecture) {
  const FamilyRow* row = architecture.empty() ? nullptr : find_family(architecture, "");
  return row && row->splits;
}

std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         torch::Device device, Fp8Mode fp8_mode) {
  return load_causal_lm(model_dir, dtype, std::vector<torch::Device>{device}, fp8_mode);
}

std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices, Fp8Mode fp8_mode) {
  if (devices.empty()) throw ModelError(model_dir + ": no device to load the model onto");
  // fp32 means fp32: cuDNN convolutions (the hybrids' conv1d) default to TF32's 10-bit mantissa on CUDA,
  // which moved a Qwen3.5-MoE fixture 1.9e-4 bits from the CPU; matmuls already default to full fp32.
  at::globalContext().setAllowTF32CuDNN(false);
  const HfConfig top = HfConfig::load(model_dir);
  if (is_torchscript_model(model_dir)) return load_torchscript_model(model_dir, top, dtype, devices);

  // architectures[0] decides; model_type is the fallback for configs without architectures.
  if (const std::string problem = family_problem(model_dir, top, static_cast<int>(devices.size())); !problem.empty())
    throw ModelError(problem);
  std::string model_type;
  const FamilyRow* row = find_family(top, &model_type);
  const std::string architecture = top.architecture().empty() ? model_type : top.architecture();
  const HfConfig config = top.text();
  const SafetensorsCheckpoint checkpoint(model_dir);
  check_layer_count(config, checkpoint);
  ModelInfo info;
  info.architecture = architecture;
  const std::string row_model_type = row->model_type;
  std::shared_ptr<Fp8Store> fp8;
  if (auto format = read_fp8_format(top)) {
    if (fp8_mode == Fp8Mode::kAuto) fp8_mode = Fp8Mode::kDequant;  // the scorer resolves auto per GPU
    info.weight_format = format->describe() + ", " + fp8_mode_name(fp8_mode);
    fp8 = std::make_shared<Fp8Store>(std::move(*format), fp8_mode);
  }
  auto model = kLoaders[family_index(*row)]({config, row_model_type, checkpoint, info, dtype, devices, fp8});
  if (fp8) report_fp8_load(model_dir, *fp8, model->info(), dtype);
  return model;
}

}  // namespace icsweep
