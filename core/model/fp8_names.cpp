#include "core/model/fp8_names.h"

#include <cctype>
#include <cstring>

#include "core/common/errors.h"

namespace icsweep {

std::string fp8_companion(const std::string& weight_name, const std::string& suffix) {
  const std::string tail = ".weight";
  if (weight_name.size() < tail.size() || weight_name.compare(weight_name.size() - tail.size(), tail.size(), tail) != 0)
    return "";
  return weight_name.substr(0, weight_name.size() - tail.size() + 1) + suffix;
}

std::vector<int64_t> fp8_logical_shape(const SafetensorsCheckpoint& checkpoint, const TensorEntry& weight) {
  const TensorEntry* original = checkpoint.find(fp8_companion(weight.name, "weight_shape_original"));
  if (!original) return weight.shape;
  const bool i64 = original->dtype == StDtype::kI64;
  if ((!i64 && original->dtype != StDtype::kI32) || original->numel() != 2)
    throw ModelError(*original->file + ": tensor '" + original->name + "' should hold the two dims of '" + weight.name +
                     "' (I64 or I32), has " + st_dtype_name(original->dtype) + " with " +
                     std::to_string(original->numel()) + " values");
  std::vector<int64_t> shape(2);
  for (int i = 0; i < 2; ++i) {  // little-endian, as safetensors stores it
    if (i64) {
      std::memcpy(&shape[i], original->data + 8 * i, 8);
    } else {
      int32_t v = 0;
      std::memcpy(&v, original->data + 4 * i, 4);
      shape[i] = v;
    }
  }
  if (weight.shape.size() != 2 || shape[0] < 1 || shape[1] < 1 || shape[0] > weight.shape[0] ||
      shape[1] > weight.shape[1])
    throw ModelError(*original->file + ": tensor '" + original->name + "' is [" + std::to_string(shape[0]) + ", " +
                     std::to_string(shape[1]) + "], not within the stored shape of '" + weight.name + "'");
  return shape;
}

int64_t layer_of_tensor(const std::string& name) {
  for (const char* marker : {".layers.", ".h."}) {
    const size_t at = name.find(marker);
    if (at == std::string::npos) continue;
    const size_t begin = at + std::strlen(marker);
    size_t end = begin;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    if (end > begin && end - begin < 10 && end < name.size() && name[end] == '.')
      return std::stoll(name.substr(begin, end - begin));
  }
  return -1;
}

}  // namespace icsweep
