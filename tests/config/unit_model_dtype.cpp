// dtype auto, resolved as transformers' dtype="auto" resolves it (core/config/model_dtype.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "config/model_error_of.h"
#include "core/common/errors.h"
#include "core/config/model_dtype.h"
#include "test_paths.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

// A safetensors file of the given (name, dtype code, bytes) tensors, in the order given: 8-byte
// little-endian header length, the JSON header, then the data.
void write_safetensors(const fs::path& path, const std::vector<std::tuple<std::string, std::string, int>>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  int64_t offset = 0;
  for (const auto& [name, code, bytes] : tensors) {
    header[name] = {{"dtype", code}, {"shape", {bytes}}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  const std::string text = header.dump();
  const uint64_t length = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << text << std::string(static_cast<size_t>(offset), '\0');
}

fs::path model_dir(const std::string& name, const std::string& config) {
  const fs::path dir = testing::scratch_dir("model_dtype_" + name);
  std::ofstream(dir / "config.json") << config;
  return dir;
}

using testing::model_error_of;

TEST(ModelDtype, CanonicalNames) {
  EXPECT_EQ(canonical_dtype_name("BF16"), "bfloat16");
  EXPECT_EQ(canonical_dtype_name("torch.float16"), "float16");
  EXPECT_EQ(canonical_dtype_name("half"), "float16");
  EXPECT_EQ(canonical_dtype_name("fp32"), "float32");
  EXPECT_EQ(canonical_dtype_name("Auto"), "auto");
  EXPECT_FALSE(canonical_dtype_name("int8"));
}

TEST(ModelDtype, ConfigDeclaresItFirst) {
  const fs::path dir = model_dir("config", R"({"dtype": "float32", "torch_dtype": "bfloat16"})");
  write_safetensors(dir / "model.safetensors", {{"w", "F16", 2}});
  const ModelDtype d = resolve_model_dtype("auto", dir.string());
  EXPECT_EQ(d.dtype, "float32");
  EXPECT_EQ(d.source, "config.json dtype");
  EXPECT_EQ(resolve_model_dtype("auto", model_dir("torch", R"({"torch_dtype": "float16"})").string()).dtype, "float16");
  const ModelDtype nested =
      resolve_model_dtype("auto", model_dir("nested", R"({"text_config": {"torch_dtype": "bfloat16"}})").string());
  EXPECT_EQ(nested.dtype, "bfloat16");
  EXPECT_EQ(nested.source, "config.json torch_dtype (text_config)");
}

TEST(ModelDtype, ExplicitSettingWins) {
  const fs::path dir = model_dir("explicit", R"({"dtype": "float32"})");
  EXPECT_EQ(resolve_model_dtype("bf16", dir.string()).dtype, "bfloat16");
  EXPECT_EQ(resolve_model_dtype("bf16", dir.string()).source, "set explicitly");
}

// No dtype in config.json: the first floating-point tensor of the first file, tensors in name order
// (transformers' get_state_dict_dtype over safetensors' sorted keys), integer tensors skipped.
TEST(ModelDtype, OtherwiseTheFirstFloatingPointTensorInNameOrder) {
  const fs::path dir = model_dir("header", R"({"model_type": "llama"})");
  write_safetensors(dir / "model.safetensors", {{"z.weight", "F32", 4}, {"b.weight", "BF16", 2}, {"a.ids", "I64", 8}});
  const ModelDtype d = resolve_model_dtype("auto", dir.string());
  EXPECT_EQ(d.dtype, "bfloat16");
  EXPECT_EQ(d.source, "safetensors header (model.safetensors: b.weight)");
}

TEST(ModelDtype, ShardedCheckpointsReadTheIndex) {
  const fs::path dir = model_dir("sharded", R"({})");
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors"}})";
  write_safetensors(dir / "model-00001-of-00002.safetensors", {{"b", "F16", 2}});
  write_safetensors(dir / "model-00002-of-00002.safetensors", {{"a", "F32", 4}});
  EXPECT_EQ(resolve_model_dtype("auto", dir.string()).dtype, "float16") << "the first file in name order";
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"metadata": {"dtype": "bfloat16"}, "weight_map": {"a": "model-00002-of-00002.safetensors"}})";
  EXPECT_EQ(resolve_model_dtype("auto", dir.string()).dtype, "bfloat16");
}

TEST(ModelDtype, ErrorsNameTheModelAndWhatToSet) {
  const fs::path f64 = model_dir("f64", R"({"torch_dtype": "float64"})");
  std::string msg = model_error_of([&] { resolve_model_dtype("auto", f64.string()); });
  EXPECT_NE(msg.find(f64.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("float64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dtype: float32"), std::string::npos) << msg;
  const fs::path none = model_dir("none", R"({})");
  msg = model_error_of([&] { resolve_model_dtype("auto", none.string()); });
  EXPECT_NE(msg.find("declares no dtype"), std::string::npos) << msg;
  const fs::path ints = model_dir("ints", R"({})");
  write_safetensors(ints / "model.safetensors", {{"ids", "I32", 4}});
  msg = model_error_of([&] { resolve_model_dtype("auto", ints.string()); });
  EXPECT_NE(msg.find("no floating-point tensor"), std::string::npos) << msg;
}

}  // namespace
}  // namespace icsweep
