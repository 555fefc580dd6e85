#include "core/model/torchscript.h"

#include <torch/script.h>

#include <filesystem>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// forward_hidden() returns the logits themselves (the module has no separate head), so logits() is
// the identity on them: the scorer's chunked log-softmax works unchanged, at the cost of holding
// (B, T, V) logits for the batch.
class TorchScriptModel : public CausalLM {
 public:
  TorchScriptModel(torch::jit::Module module, ModelInfo info, torch::ScalarType dtype, torch::Device device)
      : module_(std::move(module)), info_(std::move(info)), dtype_(dtype), device_(device) {}

  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    auto out = module_.forward({ids});
    torch::Tensor logits = out.isTuple() ? out.toTuple()->elements().at(0).toTensor() : out.toTensor();
    if (logits.dim() != 3 || logits.size(0) != ids.size(0) || logits.size(1) != ids.size(1) ||
        logits.size(2) < info_.vocab_size)
      throw ModelError(info_.architecture + ": the TorchScript module returned logits of shape " +
                       c10::str(logits.sizes()) + " for ids of shape " + c10::str(ids.sizes()) +
                       "; expected (B, T, V >= " + std::to_string(info_.vocab_size) + ")");
    return logits.narrow(2, 0, info_.vocab_size);  // (B, T, V)
  }
  torch::Tensor logits(const torch::Tensor& hidden) override { return hidden; }
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::jit::Module module_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

}  // namespace

bool is_torchscript_model(const std::string& model_dir) {
  return std::filesystem::exists(std::filesystem::path(model_dir) / kTorchScriptFile);
}

std::unique_ptr<CausalLM> load_torchscript(const std::string& model_dir, int64_t vocab_size, ModelInfo info,
                                           torch::ScalarType dtype, torch::Device device) {
  const std::string path = (std::filesystem::path(model_dir) / kTorchScriptFile).string();
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": not a loadable TorchScript module (" + std::string(e.what_without_backtrace()).substr(0, 300) +
                     "); export it with scripts/export_torchscript.py using a torch no newer than this build's libtorch");
  }
  module.eval();
  // A trace fixes its dtype casts (e.g. RMSNorm's .float() / .to(input dtype)): refuse another dtype
  // rather than casting the weights under it.
  int64_t parameters = 0;
  for (const auto& p : module.parameters()) {
    parameters += p.numel();
    if (p.is_floating_point() && p.scalar_type() != dtype)
      throw ModelError(path + ": traced in " + std::string(c10::toString(p.scalar_type())) + ", but the sweep asks for " +
                       std::string(c10::toString(dtype)) + "; export it again with scripts/export_torchscript.py --dtype "
                       "matching the model's dtype in the sweep (a trace keeps the dtype it was traced in)");
  }
  info.family = "torchscript";
  info.vocab_size = vocab_size;
  info.num_parameters = parameters;
  return std::make_unique<TorchScriptModel>(std::move(module), std::move(info), dtype, device);
}

}  // namespace icsweep
