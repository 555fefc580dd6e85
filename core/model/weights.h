// Turning safetensors entries into torch tensors, and checking a family's name/shape table
// against a checkpoint with every problem reported at once (docs/design.md §5).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/model/safetensors.h"

namespace icsweep {

// One copy: a zero-copy view of the mapped bytes, converted straight to (device, dtype). The
// host never holds a second full copy of the model. Throws ModelError for dtypes torch lacks.
torch::Tensor tensor_from_entry(const TensorEntry& entry, torch::ScalarType dtype, torch::Device device);

// A WeightSpec::convert for the tensors transformers keeps in fp32 whatever the model dtype
// (_keep_in_fp32_modules, e.g. gpt_oss's norms, the e_score_correction_bias of DeepSeek V3 and GLM-4 MoE).
torch::Tensor keep_fp32(const TensorEntry& entry, torch::Device device);

// One row of a family's weight table: the Hugging Face tensor name, verbatim, and its shape.
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  torch::Tensor* slot;
  bool optional = false;  // e.g. lm_head.weight when the embeddings are tied
  // When set, builds the slot from the checkpoint entry, on the given device, instead of the plain
  // conversion to the model dtype (e.g. MXFP4 dequantization, or norms kept in fp32).
  std::function<torch::Tensor(const TensorEntry&, torch::Device)> convert = nullptr;
  // Where the slot goes when not the model's device (layers split across devices).
  std::optional<torch::Device> device = std::nullopt;
};

class Fp8Store;

// Validates every spec against the checkpoint first (missing, mis-shaped, and unexpected
// tensors, i.e. present but in no spec and not matched by `ignore`), throwing one ModelError
// that lists them all; then loads each spec into its slot. Absent optional specs stay undefined.
// With `fp8` (an FP8 checkpoint, fp8_store.h), an F8_E4M3 weight is checked by the shape it stands for,
// its scales count as expected, and its slot receives the store's placeholder (a spec with a convert
// gets the dequantized weight instead, resident in the compute dtype).
void load_weights(const SafetensorsCheckpoint& checkpoint, const std::vector<WeightSpec>& specs,
                  torch::ScalarType dtype, torch::Device device,
                  const std::function<bool(const std::string&)>& ignore = nullptr, Fp8Store* fp8 = nullptr);

// Parameters held in the loaded slots; a tied output head (named `tied_head`, "" when untied)
// shares the embedding's storage and is not counted twice.
int64_t count_parameters(const std::vector<WeightSpec>& specs, const std::string& tied_head);

std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace icsweep
