// load_causal_lm: reads config.json, maps architectures[0] (or model_type) to a family with one
// explicit switch, and lets the family load its weights. A new family is a new case here and a
// new file pair, never new branches inside another family.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/deepseek.h"
#include "core/model/gemma3.h"
#include "core/model/glm4.h"
#include "core/model/glm4_moe.h"
#include "core/model/gpt2.h"
#include "core/model/gpt_neox.h"
#include "core/model/gpt_oss.h"
#include "core/config/hf_config.h"
#include "core/model/hunyuan_dense.h"
#include "core/model/internlm2.h"
#include "core/model/llama.h"
#include "core/model/llama4.h"
#include "core/model/mixtral.h"
#include "core/model/olmo2.h"
#include "core/model/phi3.h"
#include "core/model/qwen2_moe.h"
#include "core/model/qwen3.h"
#include "core/model/qwen3_moe.h"
#include "core/model/safetensors.h"
#include "core/model/torchscript.h"

namespace icsweep {
namespace {

enum class Family {
  kLlama, kQwen3, kOlmo2, kGpt2, kGptNeox, kPhi3,
  kGemma3, kGlm4, kHunyuanDense, kInternLM2,
  kMixtral, kQwen2Moe, kQwen3Moe, kDeepseek, kGlm4Moe, kGptOss, kLlama4,
};

struct Architecture {
  const char* architecture;  // config.json architectures[0]
  const char* model_type;    // config.json model_type
  Family family;
};

constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", Family::kLlama},
    {"MistralForCausalLM", "mistral", Family::kLlama},
    {"Qwen2ForCausalLM", "qwen2", Family::kLlama},
    {"Qwen3ForCausalLM", "qwen3", Family::kQwen3},
    {"Olmo2ForCausalLM", "olmo2", Family::kOlmo2},
    {"GPT2LMHeadModel", "gpt2", Family::kGpt2},
    {"GPTNeoXForCausalLM", "gpt_neox", Family::kGptNeox},
    {"Phi3ForCausalLM", "phi3", Family::kPhi3},
    {"SeedOssForCausalLM", "seed_oss", Family::kLlama},
    {"Gemma3ForCausalLM", "gemma3_text", Family::kGemma3},
    {"Gemma3ForConditionalGeneration", "gemma3", Family::kGemma3},
    {"Glm4ForCausalLM", "glm4", Family::kGlm4},
    {"HunYuanDenseV1ForCausalLM", "hunyuan_v1_dense", Family::kHunyuanDense},
    {"InternLM2ForCausalLM", "internlm2", Family::kInternLM2},
    {"MixtralForCausalLM", "mixtral", Family::kMixtral},
    {"Qwen2MoeForCausalLM", "qwen2_moe", Family::kQwen2Moe},
    {"Qwen3MoeForCausalLM", "qwen3_moe", Family::kQwen3Moe},
    {"DeepseekV2ForCausalLM", "deepseek_v2", Family::kDeepseek},
    {"DeepseekV3ForCausalLM", "deepseek_v3", Family::kDeepseek},
    {"Glm4MoeForCausalLM", "glm4_moe", Family::kGlm4Moe},
    {"GptOssForCausalLM", "gpt_oss", Family::kGptOss},
    {"Llama4ForCausalLM", "llama4_text", Family::kLlama4},
    {"Llama4ForConditionalGeneration", "llama4", Family::kLlama4},
};

// The families whose loaders split the layers across devices (`gpus: k`), named as the error lists them.
struct SplittableFamily {
  Family family;
  const char* name;
};
constexpr SplittableFamily kSplittableFamilies[] = {
    {Family::kLlama, "llama (Llama, Mistral, Qwen2, Seed-OSS)"},
    {Family::kQwen3, "qwen3"},
    {Family::kQwen3Moe, "qwen3_moe"},
    {Family::kQwen2Moe, "qwen2_moe"},
    {Family::kMixtral, "mixtral"},
    {Family::kDeepseek, "deepseek (V2, V3)"},
    {Family::kGlm4Moe, "glm4_moe"},
    {Family::kGptOss, "gpt_oss"},
    {Family::kLlama4, "llama4"},
    {Family::kOlmo2, "olmo2"},
    {Family::kGlm4, "glm4"},
};

bool splits_layers(Family family) {
  for (const auto& s : kSplittableFamilies)
    if (s.family == family) return true;
  return false;
}

}  // namespace

bool architecture_splits_layers(const std::string& architecture) {
  for (const auto& a : kArchitectures)
    if (architecture == a.architecture) return splits_layers(a.family);
  return false;
}

namespace {

std::string splittable_list() {
  std::string s;
  for (const auto& f : kSplittableFamilies) s += std::string(s.empty() ? "" : ", ") + f.name;
  return s;
}

std::string supported_list() {
  std::string s;
  for (const auto& a : kArchitectures) s += std::string(s.empty() ? "" : ", ") + a.architecture + " (" + a.model_type + ")";
  return s;
}

// FNV-1a 64: stable across runs and machines, enough to tell checkpoints apart in provenance.
uint64_t fnv1a(const std::string& bytes, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(uint64_t h) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// config.json's layer count against the checkpoint's layer tensors (".layers.N." / GPT-2's ".h.N."),
// before a family allocates anything per layer: a wrong count (num_hidden_layers: 1e9) is a clear
// error naming the key instead of a bad_alloc.
void check_layer_count(const HfConfig& config, const SafetensorsCheckpoint& checkpoint) {
  const int64_t layers = config.get_int("num_hidden_layers", -1);
  if (layers < 0) return;
  int64_t highest = -1;
  for (const auto& [name, entry] : checkpoint.tensors()) {
    for (const char* marker : {".layers.", ".h."}) {
      const size_t at = name.find(marker);
      if (at == std::string::npos) continue;
      const size_t begin = at + std::strlen(marker);
      size_t end = begin;
      while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
      if (end > begin && end - begin < 10) highest = std::max<int64_t>(highest, std::stoll(name.substr(begin, end - begin)));
    }
  }
  // Only more layers than the checkpoint holds: a wrapper's vision tower or an MTP layer may add more.
  if (highest >= 0 && layers > highest + 1)
    throw ModelError(config.source() + ": num_hidden_layers is " + std::to_string(layers) + " but the checkpoint in " +
                     checkpoint.dir() + " holds layers 0.." + std::to_string(highest) +
                     "; check that config.json belongs to these weights");
}

}  // namespace

torch::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "fp32" || name == "float") return torch::kFloat32;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16" || name == "half") return torch::kFloat16;
  throw ModelError("unknown dtype '" + name + "' (use float32, bfloat16 or float16)");
}

std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         torch::Device device) {
  return load_causal_lm(model_dir, dtype, std::vector<torch::Device>{device});
}

std::unique_ptr<CausalLM> load_causal_lm(const std::string& model_dir, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices) {
  if (devices.empty()) throw ModelError(model_dir + ": no device to load the model onto");
  const torch::Device device = devices.front();
  const auto start = std::chrono::steady_clock::now();
  const HfConfig top = HfConfig::load(model_dir);
  const HfConfig config = top.text();
  const std::string architecture = top.architecture();
  const std::string model_type = config.get_string("model_type", top.get_string("model_type", ""));
  if (is_torchscript_model(model_dir)) {
    if (devices.size() > 1)
      throw ModelError(model_dir + ": a TorchScript model cannot be split across devices; use gpus: 1");
    ModelInfo info;
    info.architecture = "TorchScript (" + (architecture.empty() ? model_type : architecture) + ")";
    info.fingerprint = hex64(fnv1a(read_file((std::filesystem::path(model_dir) / "config.json").string())));
    info.hidden_size = config.get_int("hidden_size", 0);
    info.num_layers = config.get_int("num_hidden_layers", 0);
    auto model = load_torchscript(model_dir, config.get_int("vocab_size"), info, dtype, device);
    auto& loaded = const_cast<ModelInfo&>(model->info());
    loaded.checkpoint_bytes = static_cast<int64_t>(std::filesystem::file_size(std::filesystem::path(model_dir) / kTorchScriptFile));
    loaded.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return model;
  }

  // architectures[0] decides; model_type is the fallback for configs without architectures.
  const Architecture* match = nullptr;
  for (const auto& a : kArchitectures)
    if (architecture.empty() ? model_type == a.model_type : architecture == a.architecture) match = &a;
  if (!match)
    throw ModelError(model_dir + "/config.json: unsupported architecture '" +
                     (architecture.empty() ? "model_type " + model_type : architecture) +
                     "'; icsweep supports: " + supported_list());

  if (devices.size() > 1 && !splits_layers(match->family))
    throw ModelError(model_dir + ": splitting the layers across " + std::to_string(devices.size()) +
                     " devices (gpus: " + std::to_string(devices.size()) + ") is implemented for the " +
                     splittable_list() + " families only; " + match->architecture +
                     " must fit on one device (gpus: 1)");
  const SafetensorsCheckpoint checkpoint(model_dir);
  check_layer_count(config, checkpoint);
  ModelInfo info;
  info.architecture = architecture.empty() ? model_type : architecture;
  uint64_t h = fnv1a(read_file((std::filesystem::path(model_dir) / "config.json").string()));
  for (const auto& f : checkpoint.files()) h = fnv1a(f->header_text(), h);
  info.fingerprint = hex64(h);

  std::unique_ptr<CausalLM> model;
  switch (match->family) {
    case Family::kLlama:
      model = load_llama(config, match->model_type, checkpoint, info, dtype, devices);
      break;
    case Family::kQwen3:
      model = load_qwen3(config, checkpoint, info, dtype, devices);
      break;
    case Family::kOlmo2:
      model = load_olmo2(config, checkpoint, info, dtype, devices);
      break;
    case Family::kGpt2:
      model = load_gpt2(config, checkpoint, info, dtype, device);
      break;
    case Family::kGptNeox:
      model = load_gpt_neox(config, checkpoint, info, dtype, device);
      break;
    case Family::kPhi3:
      model = load_phi3(config, checkpoint, info, dtype, device);
      break;
    case Family::kGemma3:
      model = load_gemma3(config, checkpoint, info, dtype, device);
      break;
    case Family::kGlm4:
      model = load_glm4(config, checkpoint, info, dtype, devices);
      break;
    case Family::kHunyuanDense:
      model = load_hunyuan_dense(config, checkpoint, info, dtype, device);
      break;
    case Family::kInternLM2:
      model = load_internlm2(config, checkpoint, info, dtype, device);
      break;
    case Family::kMixtral:
      model = load_mixtral(config, checkpoint, info, dtype, devices);
      break;
    case Family::kQwen2Moe:
      model = load_qwen2_moe(config, checkpoint, info, dtype, devices);
      break;
    case Family::kQwen3Moe:
      model = load_qwen3_moe(config, checkpoint, info, dtype, devices);
      break;
    case Family::kDeepseek:
      model = load_deepseek(config, match->model_type, checkpoint, info, dtype, devices);
      break;
    case Family::kGlm4Moe:
      model = load_glm4_moe(config, checkpoint, info, dtype, devices);
      break;
    case Family::kGptOss:
      model = load_gpt_oss(config, checkpoint, info, dtype, devices);
      break;
    case Family::kLlama4:
      model = load_llama4(config, checkpoint, info, dtype, devices);
      break;
  }
  if (!model) throw ModelError(model_dir + ": no loader for " + info.architecture);
  // The family built the object just now and we own it: filling in the load statistics here keeps
  // the timing in one place instead of in every family.
  auto& loaded = const_cast<ModelInfo&>(model->info());
  loaded.checkpoint_bytes = static_cast<int64_t>(checkpoint.total_bytes());
  loaded.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return model;
}

}  // namespace icsweep
