#include "core/model/weights.h"

#include <map>
#include <set>
#include <sstream>

#include "core/common/errors.h"
#include "core/model/fp8_store.h"

namespace icsweep {
namespace {

torch::ScalarType torch_dtype(StDtype dtype, const TensorEntry& entry) {
  switch (dtype) {
    case StDtype::kBool: return torch::kBool;
    case StDtype::kU8: return torch::kUInt8;
    case StDtype::kI8: return torch::kInt8;
    case StDtype::kI16: return torch::kInt16;
    case StDtype::kI32: return torch::kInt32;
    case StDtype::kI64: return torch::kInt64;
    case StDtype::kF16: return torch::kFloat16;
    case StDtype::kBF16: return torch::kBFloat16;
    case StDtype::kF32: return torch::kFloat32;
    case StDtype::kF64: return torch::kFloat64;
    case StDtype::kF8E4M3:
    case StDtype::kF8E5M2:
    case StDtype::kF8E8M0: break;
  }
  throw ModelError(*entry.file + ": tensor '" + entry.name + "' has dtype " + st_dtype_name(dtype) +
                   ", which icsweep cannot convert (quantized fp8 checkpoints are not supported; use a "
                   "bf16/fp16/fp32 checkpoint)");
}

// An FP8 weight's slot: the store's placeholder; through a family's own conversion (spec.convert), the
// dequantized weight handed to it as an F32 entry instead (resident in the compute dtype).
torch::Tensor load_fp8_slot(const SafetensorsCheckpoint& checkpoint, const TensorEntry& entry, const WeightSpec& spec,
                            Fp8Store& fp8, torch::ScalarType dtype, torch::Device target) {
  if (!spec.convert) return fp8.add(read_fp8_weight(checkpoint, entry, fp8.format(), target), dtype);
  auto values = dequantize_fp8(read_fp8_weight(checkpoint, entry, fp8.format(), torch::kCPU), torch::kFloat32);
  TensorEntry dense = entry;
  dense.dtype = StDtype::kF32;
  dense.shape = values.sizes().vec();
  dense.data = static_cast<const uint8_t*>(values.data_ptr());
  dense.nbytes = static_cast<size_t>(values.numel()) * sizeof(float);
  return spec.convert(dense, target);
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

torch::Tensor keep_fp32(const TensorEntry& entry, torch::Device device) {
  return tensor_from_entry(entry, torch::kFloat32, device);
}

torch::Tensor tensor_from_entry(const TensorEntry& entry, torch::ScalarType dtype, torch::Device device) {
  const auto src_dtype = torch_dtype(entry.dtype, entry);
  // from_blob never frees; the mapping is read-only, and copy=true below guarantees the result
  // owns its memory, so nothing ever writes through this view.
  auto view = torch::from_blob(const_cast<uint8_t*>(entry.data), entry.shape,
                               torch::TensorOptions().dtype(src_dtype).device(torch::kCPU));
  return view.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

void load_weights(const SafetensorsCheckpoint& checkpoint, const std::vector<WeightSpec>& specs,
                  torch::ScalarType dtype, torch::Device device,
                  const std::function<bool(const std::string&)>& ignore, Fp8Store* fp8) {
  std::vector<std::string> missing, misshaped, not_float, unexpected;
  std::set<std::string> expected;
  for (const auto& spec : specs) {
    expected.insert(spec.name);
    const TensorEntry* e = checkpoint.find(spec.name);
    if (!e) {
      if (!spec.optional) missing.push_back(spec.name + " " + shape_string(spec.shape));
      continue;
    }
    const bool is_fp8 = fp8 && e->dtype == StDtype::kF8E4M3;
    if (is_fp8)  // its scales and shape record belong to it
      for (const char* suffix : {"weight_scale_inv", "weight_scale", "activation_scale", "input_scale",
                                 "weight_shape_original"})
        expected.insert(fp8_companion(spec.name, suffix));
    const auto shape = is_fp8 ? fp8_logical_shape(checkpoint, *e) : e->shape;
    if (shape != spec.shape)
      misshaped.push_back(spec.name + ": checkpoint has " + shape_string(shape) + ", config.json implies " +
                          shape_string(spec.shape));
    // A plain weight is floating point; an integer one would be read as numbers, not as weights.
    const bool floating = e->dtype == StDtype::kF16 || e->dtype == StDtype::kBF16 || e->dtype == StDtype::kF32 ||
                          e->dtype == StDtype::kF64 || is_fp8;
    if (!spec.convert && !floating)
      not_float.push_back(spec.name + ": checkpoint stores " + st_dtype_name(e->dtype) + ", a floating-point weight");
  }
  for (const auto& [name, entry] : checkpoint.tensors())
    if (!expected.count(name) && !(ignore && ignore(name)))
      unexpected.push_back(name + " " + shape_string(entry->shape));

  if (!missing.empty() || !misshaped.empty() || !not_float.empty() || !unexpected.empty()) {
    std::ostringstream msg;
    msg << checkpoint.dir() << ": the checkpoint does not match config.json (" << missing.size() << " missing, "
        << misshaped.size() << " with the wrong shape, " << not_float.size() << " not floating point, " << unexpected.size()
        << " unexpected); check that config.json belongs to these weights and that the download is complete";
    auto list = [&](const char* title, const std::vector<std::string>& items) {
      if (items.empty()) return;
      msg << "\n" << title << ":";
      for (const auto& s : items) msg << "\n  - " << s;
    };
    list("missing tensors", missing);
    list("wrong shapes", misshaped);
    list("wrong dtypes", not_float);
    list("unexpected tensors", unexpected);
    throw ModelError(msg.str());
  }

  for (const auto& spec : specs) {
    const TensorEntry* e = checkpoint.find(spec.name);
    if (!e) continue;
    const torch::Device target = spec.device.value_or(device);
    if (fp8 && e->dtype == StDtype::kF8E4M3)
      *spec.slot = load_fp8_slot(checkpoint, *e, spec, *fp8, dtype, target);
    else
      *spec.slot = spec.convert ? spec.convert(*e, target) : tensor_from_entry(*e, dtype, target);
  }
  for (const auto& file : checkpoint.files()) file->release_pages();
}

int64_t count_parameters(const std::vector<WeightSpec>& specs, const std::string& tied_head) {
  int64_t params = 0;
  for (const auto& s : specs)
    if (s.slot->defined() && (tied_head.empty() || s.name != tied_head)) params += s.slot->numel();
  return params;
}

}  // namespace icsweep
