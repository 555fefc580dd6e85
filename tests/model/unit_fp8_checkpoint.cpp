// Reading FP8 checkpoints: quantization_config (core/config/fp8_format.h) and an FP8 weight with its
// companions from safetensors (core/model/fp8_weight.h), on hand-written files. The expected values are
// the stored codes (0x38 = 1.0) times the hand-chosen scales.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/common/errors.h"
#include "core/config/hf_config.h"
#include "core/model/fp8_weight.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string f32_bytes(std::vector<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string i64_bytes(std::vector<int64_t> v) {
  std::string s(v.size() * 8, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

TensorData fp8_weight(const std::string& name, int64_t rows, int64_t cols) {
  return {name, StDtype::kF8E4M3, {rows, cols}, std::string(rows * cols, '\x38')};  // 1.0 everywhere
}

// A checkpoint directory holding `tensors` (model.safetensors).
SafetensorsCheckpoint checkpoint(const std::string& test, const std::vector<TensorData>& tensors) {
  const std::string dir = testing::scratch_dir(test);
  write_safetensors(dir + "/model.safetensors", tensors);
  return SafetensorsCheckpoint(dir);
}

Fp8Format block_format(const std::string& scale_name = "weight_scale_inv") {
  Fp8Format f;
  f.method = "fp8";
  f.scale_name = scale_name;
  return f;
}

// Dequantized corners of a 130 x 130 (or cropped) weight: one per block of the 2 x 2 grid.
std::vector<float> corners(const Fp8Weight& w) {
  auto d = dequantize_fp8(w, torch::kFloat32);
  const int64_t r = w.rows() - 1, c = w.cols() - 1;
  return {d[0][0].item<float>(), d[0][c].item<float>(), d[r][0].item<float>(), d[r][c].item<float>()};
}

TEST(Fp8Checkpoint, ReadsBlockScalesInEveryStoredDtype) {
  const std::vector<float> want = {1, 2, 4, 8};
  const std::string bf16("\x80\x3f\x00\x40\x80\x40\x00\x41", 8);  // 1, 2, 4, 8 little-endian
  const std::string e8m0("\x7f\x80\x81\x82", 4);                  // 2^(b - 127): 1, 2, 4, 8
  const std::vector<std::pair<StDtype, std::string>> scales = {
      {StDtype::kF32, f32_bytes(want)}, {StDtype::kBF16, bf16}, {StDtype::kF8E8M0, e8m0}, {StDtype::kU8, e8m0}};
  for (const auto& [dtype, bytes] : scales) {
    auto ck = checkpoint("fp8_block_scales",
                         {fp8_weight("m.weight", 130, 130), {"m.weight_scale_inv", dtype, {2, 2}, bytes}});
    auto w = read_fp8_weight(ck, *ck.find("m.weight"), block_format(), torch::kCPU);
    EXPECT_EQ(corners(w), want) << st_dtype_name(dtype);
    EXPECT_EQ(w.resident_bytes(), 130 * 130 + 4 * 4) << "scales are held in fp32";
  }
}

TEST(Fp8Checkpoint, CropsAPaddedCompressedTensorsWeightToItsOriginalShape) {
  auto ck = checkpoint("fp8_padded", {fp8_weight("m.weight", 256, 256),
                                      {"m.weight_scale", StDtype::kF32, {2, 2}, f32_bytes({1, 2, 4, 8})},
                                      {"m.weight_shape_original", StDtype::kI64, {2}, i64_bytes({130, 200})}});
  EXPECT_EQ(fp8_logical_shape(ck, *ck.find("m.weight")), (std::vector<int64_t>{130, 200}));
  auto w = read_fp8_weight(ck, *ck.find("m.weight"), block_format("weight_scale"), torch::kCPU);
  ASSERT_EQ(w.codes.sizes(), (std::vector<int64_t>{130, 200}));
  EXPECT_EQ(corners(w), (std::vector<float>{1, 2, 4, 8}));
}

TEST(Fp8Checkpoint, ReadsPerChannelScalesAndStaticActivationScales) {
  Fp8Format f = block_format("weight_scale");
  f.scales = Fp8Scales::kChannel;
  f.activations = Fp8Activations::kStatic;
  f.act_scale_name = "input_scale";
  auto ck = checkpoint("fp8_channel", {fp8_weight("m.weight", 2, 3),
                                       {"m.weight_scale", StDtype::kF32, {2, 1}, f32_bytes({3, 0.25f})},
                                       {"m.input_scale", StDtype::kF32, {1}, f32_bytes({0.5f})}});
  auto w = read_fp8_weight(ck, *ck.find("m.weight"), f, torch::kCPU);
  auto d = dequantize_fp8(w, torch::kFloat32);
  EXPECT_EQ(d[0][2].item<float>(), 3.0f);
  EXPECT_EQ(d[1][0].item<float>(), 0.25f);
  EXPECT_EQ(w.activation_scale.item<float>(), 0.5f);
}

void expect_model_error(const std::function<void()>& f, const std::vector<std::string>& mentions) {
  try {
    f();
    FAIL() << "no ModelError";
  } catch (const ModelError& e) {
    for (const auto& m : mentions) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
  }
}

TEST(Fp8Checkpoint, NamesAMissingOrMisshapenScale) {
  auto missing = checkpoint("fp8_missing", {fp8_weight("m.weight", 130, 130)});
  expect_model_error([&] { read_fp8_weight(missing, *missing.find("m.weight"), block_format(), torch::kCPU); },
                     {"'m.weight'", "m.weight_scale_inv", "missing"});
  auto wrong = checkpoint("fp8_wrong", {fp8_weight("m.weight", 130, 130),
                                        {"m.weight_scale_inv", StDtype::kF32, {1, 2}, f32_bytes({1, 2})}});
  expect_model_error([&] { read_fp8_weight(wrong, *wrong.find("m.weight"), block_format(), torch::kCPU); },
                     {"m.weight_scale_inv", "[1, 2]", "[2, 2]"});
  auto wide = checkpoint("fp8_original", {fp8_weight("m.weight", 4, 4),
                                          {"m.weight_shape_original", StDtype::kI64, {2}, i64_bytes({5, 4})}});
  expect_model_error([&] { fp8_logical_shape(wide, *wide.find("m.weight")); }, {"m.weight_shape_original"});
}

std::optional<Fp8Format> format_of(const std::string& quantization_config) {
  return read_fp8_format(HfConfig::parse(R"({"quantization_config": )" + quantization_config + "}", "m/config.json"));
}

TEST(Fp8Checkpoint, ReadsQuantizationConfigs) {
  auto ds = format_of(R"({"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                          "weight_block_size": [128, 128], "scale_fmt": "ue8m0"})");
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->describe(), "fp8 block [128, 128]");
  EXPECT_EQ(ds->activations, Fp8Activations::kGroup);
  auto tensor = format_of(R"({"quant_method": "fp8", "activation_scheme": "static", "weight_block_size": null})");
  EXPECT_EQ(tensor->scales, Fp8Scales::kTensor);
  EXPECT_EQ(tensor->act_scale_name, "activation_scale");
  auto ct = format_of(R"({"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
      "config_groups": {"group_0": {"targets": ["Linear"],
        "weights": {"num_bits": 8, "type": "float", "strategy": "block", "block_structure": [128, 128]},
        "input_activations": {"num_bits": 8, "type": "float", "strategy": "group", "group_size": 128,
                              "dynamic": true}}}})");
  EXPECT_EQ(ct->describe(), "compressed-tensors block [128, 128]");
  EXPECT_EQ(ct->scale_name, "weight_scale");
  EXPECT_EQ(ct->not_converted, (std::vector<std::string>{"lm_head"}));
  EXPECT_FALSE(format_of(R"({"quant_method": "mxfp4"})"));  // gpt-oss's family reads it
  EXPECT_FALSE(read_fp8_format(HfConfig::parse("{}", "m/config.json")));
  expect_model_error([] { format_of(R"({"quant_method": "awq", "bits": 4})"); }, {"quant_method", "\"awq\""});
  expect_model_error([] { format_of(R"({"quant_method": "fp8", "fmt": "e5m2"})"); }, {"quantization_config.fmt"});
  expect_model_error([] { format_of(R"({"quant_method": "compressed-tensors", "format": "pack-quantized"})"); },
                     {"format", "pack-quantized"});
}

}  // namespace
}  // namespace icsweep
