// load_weights: every tensor is checked against what the family expects before anything loads.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "core/model/weights.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string bytes_of(std::initializer_list<float> v) {
  std::string out(v.size() * 4, '\0');
  std::memcpy(out.data(), v.begin(), out.size());
  return out;
}

// A float weight stored with an integer dtype in the header was read as integers (NLL 3.7e9
// bits/token); now the load stops naming the tensor and both dtypes.
TEST(LoadWeights, RefusesAnIntegerDtypeWhereAFloatWeightIsExpected) {
  const auto dir = std::filesystem::path(testing::scratch_dir("weights_integer_dtype"));
  write_safetensors((dir / "model.safetensors").string(),
                    {{"model.norm.weight", StDtype::kI32, {2}, bytes_of({1.0f, 2.0f})},
                     {"model.embed.weight", StDtype::kF32, {2}, bytes_of({1.0f, 2.0f})}});
  SafetensorsCheckpoint checkpoint(dir.string());
  torch::Tensor norm, embed;
  const std::vector<WeightSpec> specs = {{"model.norm.weight", {2}, &norm}, {"model.embed.weight", {2}, &embed}};
  try {
    load_weights(checkpoint, specs, torch::kFloat32, torch::kCPU);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model.norm.weight: checkpoint stores I32, a floating-point weight"), std::string::npos) << what;
    EXPECT_EQ(what.find("model.embed.weight:"), std::string::npos) << what;
  }
  EXPECT_FALSE(norm.defined());
}

}  // namespace
}  // namespace icsweep

namespace icsweep {
namespace {

// num_hidden_layers: 1e9 allocated per-layer state until bad_alloc; now the load stops first,
// naming the key and the layers the checkpoint holds.
TEST(LoadCausalLm, ALayerCountBeyondTheCheckpointIsRefusedBeforeAllocating) {
  const auto dir = std::filesystem::path(testing::scratch_dir("layers_1e9"));
  std::filesystem::copy(std::filesystem::path(testing::source_dir()) / "tests/fixtures/llama_gqa", dir,
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  std::string config;
  {
    std::ifstream in(dir / "config.json");
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string key = "\"num_hidden_layers\": 2";
  ASSERT_NE(config.find(key), std::string::npos);
  config.replace(config.find(key), key.size(), "\"num_hidden_layers\": 1000000000");
  std::ofstream(dir / "config.json") << config;
  try {
    load_causal_lm(dir.string(), torch::kFloat32, torch::kCPU);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("num_hidden_layers is 1000000000 but the checkpoint"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("holds layers 0..1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep
