// Lfm2VlForConditionalGeneration (LFM2-VL, LFM2.5-VL) is scored on its text model: the LFM2 parity
// fixture (tests/fixtures/lfm2_conv_attention, from transformers) rewritten in the wrapper's layout
// (model.language_model.*, lm_head.weight, a vision tower and projector under model.*, config.json's
// text_config) must give the fixture's own numbers, and the same parameter count as the text model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "model/nll_bits.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

fs::path fixture() { return fs::path(testing::source_dir()) / "tests" / "fixtures" / "lfm2_conv_attention"; }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// The fixture written as transformers 5 saves an Lfm2VlForConditionalGeneration; returns its folder.
std::string write_wrapper() {
  const std::string dir = testing::scratch_dir("lfm2_vl_layout");
  const SafetensorsCheckpoint text(fixture().string());
  std::vector<TensorData> tensors;
  for (const auto& [name, entry] : text.tensors()) {
    const std::string renamed = name.rfind("model.", 0) == 0 ? "model.language_model." + name.substr(6) : name;
    tensors.push_back({renamed, entry->dtype, entry->shape,
                       std::string(reinterpret_cast<const char*>(entry->data), entry->nbytes)});
  }
  const std::string four_floats(16, '\0');
  tensors.push_back({"model.vision_tower.vision_model.embeddings.patch_embedding.weight", StDtype::kF32, {4}, four_floats});
  tensors.push_back({"model.multi_modal_projector.linear_1.weight", StDtype::kF32, {2, 2}, four_floats});
  write_safetensors(dir + "/model.safetensors", tensors);
  const nlohmann::json config = {{"architectures", {"Lfm2VlForConditionalGeneration"}},
                                 {"model_type", "lfm2_vl"},
                                 {"text_config", read_json(fixture() / "config.json")},
                                 {"vision_config", {{"model_type", "siglip2_vision_model"}}}};
  std::ofstream(dir + "/config.json") << config.dump(2);
  return dir;
}

TEST(Lfm2VlLayout, TheWrapperScoresAsItsTextModel) {
  const std::string dir = write_wrapper();
  auto wrapper = load_causal_lm(dir, torch::kFloat32, torch::kCPU);
  auto text = load_causal_lm(fixture().string(), torch::kFloat32, torch::kCPU);
  EXPECT_EQ(wrapper->info().architecture, "Lfm2VlForConditionalGeneration");
  EXPECT_EQ(wrapper->info().num_parameters, text->info().num_parameters);  // the vision side is not loaded
  const double diff = testing::max_abs_diff(*wrapper, read_json(fixture() / "logprobs.json"));
  std::printf("lfm2_vl layout: max |diff| %.3e bits against transformers' text-model numbers\n", diff);
  EXPECT_LE(diff, 1e-4);
}

}  // namespace
}  // namespace icsweep
