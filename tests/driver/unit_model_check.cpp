// Parameters from safetensors headers (MXFP4 blocks unpacked, quantization scales left out), the
// readable forms (parameters, h:mm:ss), and `icsweep models`' verdict on checkpoints that load and
// on ones that would not, without loading weights.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "driver/model_check.h"
#include "driver/progress.h"
#include "test_paths.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

TensorData tensor(const std::string& name, StDtype dtype, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return {name, dtype, shape, std::string(static_cast<size_t>(n) * st_dtype_size(dtype), '\0')};
}

TEST(ModelCheck, ParametersFromHeaders) {
  const fs::path dir = testing::scratch_dir("model_check_parameters");
  // gpt-oss style: 2 experts x 4 rows x 2 blocks of 16 bytes (32 values each) = 512 values; the scales
  // (one byte per block of 32) are not parameters. Plus a 3 x 5 bf16 matrix.
  write_safetensors((dir / "model.safetensors").string(),
                    {tensor("mlp.experts.gate_up_proj_blocks", StDtype::kU8, {2, 4, 2, 16}),
                     tensor("mlp.experts.gate_up_proj_scales", StDtype::kU8, {2, 4, 2}),
                     tensor("embed.weight", StDtype::kBF16, {3, 5})});
  EXPECT_EQ(checkpoint_parameters(dir.string(), "mxfp4"), 512 + 15);
  EXPECT_EQ(checkpoint_parameters(dir.string(), ""), 2 * 4 * 2 * 16 + 2 * 4 * 2 + 15);  // as stored
  const fs::path fp8 = testing::scratch_dir("model_check_fp8");
  write_safetensors((fp8 / "model.safetensors").string(),
                    {tensor("q_proj.weight", StDtype::kF8E4M3, {8, 8}), tensor("q_proj.weight_scale_inv", StDtype::kF32, {1, 1}),
                     tensor("norm.weight", StDtype::kBF16, {8})});
  EXPECT_EQ(checkpoint_parameters(fp8.string(), "fp8"), 64 + 8);
}

// The bytes a load holds: FP8 codes 1 per parameter (a padded weight cropped to weight_shape_original),
// their scales 4 (held in fp32), the rest in the compute dtype; layers past num_layers (an MTP layer) none.
TEST(ModelCheck, ResidentBytesOfAnFp8Checkpoint) {
  const fs::path dir = testing::scratch_dir("model_check_resident");
  std::string original(16, '\0');
  const int64_t dims[2] = {130, 200};
  std::memcpy(original.data(), dims, 16);
  write_safetensors((dir / "model.safetensors").string(),
                    {tensor("model.layers.0.mlp.up_proj.weight", StDtype::kF8E4M3, {256, 256}),
                     tensor("model.layers.0.mlp.up_proj.weight_scale", StDtype::kBF16, {2, 2}),
                     {"model.layers.0.mlp.up_proj.weight_shape_original", StDtype::kI64, {2}, original},
                     tensor("model.layers.0.input_layernorm.weight", StDtype::kF32, {8}),
                     tensor("model.layers.1.mlp.up_proj.weight", StDtype::kF8E4M3, {8, 8})});
  EXPECT_EQ(resident_weight_bytes(dir.string(), "bfloat16", true, 1), 130 * 200 + 4 * 4 + 8 * 2);
  EXPECT_EQ(resident_weight_bytes(dir.string(), "float32", true, 2), 130 * 200 + 4 * 4 + 8 * 4 + 64);
  EXPECT_EQ(resident_weight_bytes(dir.string(), "float32", false, 2), 4 * (256 * 256 + 4 + 2 + 8 + 64));
}

// The headers' count is the loader's (ModelInfo::resident_bytes) on every FP8 fixture (tests/fixtures_fp8).
TEST(ModelCheck, ResidentBytesAreWhatTheLoaderHolds) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(testing::source_dir()) / "tests" / "fixtures_fp8")) {
    const std::string dir = entry.path().string();
    auto model = load_causal_lm(dir, torch::kFloat32, torch::kCPU, Fp8Mode::kDequant);
    EXPECT_EQ(resident_weight_bytes(dir, "float32", true, model->info().num_layers), model->info().resident_bytes)
        << dir;
    EXPECT_EQ(checkpoint_parameters(dir, "fp8"), model->info().num_parameters) << dir;
    ++checked;
  }
  EXPECT_EQ(checked, 7);
}

TEST(ModelCheck, ReadableForms) {
  EXPECT_EQ(format_parameters(7615616512), "7.62B");
  EXPECT_EQ(format_parameters(183000), "183k");
  EXPECT_EQ(format_parameters(57344), "57.3k");
  EXPECT_EQ(format_parameters(494032768), "494M");
  EXPECT_EQ(format_parameters(-1), "?");
  EXPECT_EQ(hms(0), "0:00:00");
  EXPECT_EQ(hms(111), "0:01:51");
  EXPECT_EQ(hms(3600 * 26 + 61), "26:01:01");
  EXPECT_EQ(hms(-1), "-");
}

TEST(ModelCheck, AFixtureLoadsAndABrokenCopyDoesNot) {
  const std::string fixture = testing::source_dir() + "/tests/fixtures/reference_cells/llama_fp32";
  ModelSpec m;
  m.name = "llama_fp32";
  m.path = fixture;
  const ModelCheck ok = check_model(m, "reference", 64);
  EXPECT_TRUE(ok.loads()) << (ok.problems.empty() ? "" : ok.problems.front());
  EXPECT_EQ(ok.architecture, "LlamaForCausalLM");
  EXPECT_EQ(ok.family, "llama");
  EXPECT_EQ(ok.dtype, "float32");
  EXPECT_GT(ok.parameters, 0);
  EXPECT_GT(ok.reference_flops_per_token, 0);
  EXPECT_GT(ok.exact_flops_per_token, 0);
  EXPECT_GT(ok.tokenizer_size, 0);

  const fs::path broken = testing::scratch_dir("model_check_broken") + "/m";
  fs::copy(fixture, broken, fs::copy_options::recursive);
  std::string config = testing::file_bytes(broken / "config.json");
  config.replace(config.find("LlamaForCausalLM"), 16, "MambaForCausalLM");
  std::ofstream(broken / "config.json") << config;
  fs::remove(broken / "tokenizer.json");
  m.path = broken.string();
  m.gpus = 1;
  const ModelCheck bad = check_model(m, "reference", 64);
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_NE(bad.problems[0].find("unsupported architecture 'MambaForCausalLM'"), std::string::npos) << bad.problems[0];
  EXPECT_NE(bad.problems[1].find("tokenizer: "), std::string::npos) << bad.problems[1];
  EXPECT_EQ(bad.family, "");
  EXPECT_EQ(bad.parameters, ok.parameters);  // the headers are still read
}

}  // namespace
}  // namespace icsweep
