// Published checkpoint layouts of the gpt_oss and llama4 families, built from the parity fixtures:
// the multimodal Llama 4 wrapper (text_config, language_model.* tensors beside a vision tower) must
// give the text model's numbers, and a broken MXFP4 checkpoint must name what is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) { return fs::path(testing::source_dir()) / "tests" / "fixtures" / name; }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(1); }

// Copies a fixture's tensors into `out_dir`, renamed by `rename` ("" drops the tensor), plus `extra`.
void copy_tensors(const std::string& name, const std::string& out_dir,
                  const std::function<std::string(const std::string&)>& rename, std::vector<TensorData> extra = {}) {
  const SafetensorsCheckpoint src(fixture(name).string());
  std::vector<TensorData> tensors = std::move(extra);
  for (const auto& [tensor, e] : src.tensors()) {
    const std::string renamed = rename(tensor);
    if (!renamed.empty())
      tensors.push_back({renamed, e->dtype, e->shape, std::string(reinterpret_cast<const char*>(e->data), e->nbytes)});
  }
  write_safetensors((fs::path(out_dir) / "model.safetensors").string(), tensors);
}

torch::Tensor hidden_of(const std::string& dir) {
  auto model = load_causal_lm(dir, torch::kFloat32, torch::kCPU);
  auto ids = torch::arange(1, 21, torch::kInt64).unsqueeze(0);  // (1, 20): crosses two attention chunks
  return model->forward_hidden(ids);
}

TEST(Llama4Layout, ConditionalGenerationCheckpointScoresLikeTheTextModel) {
  const std::string text_dir = fixture("llama4_text_chunked_nope").string();
  const auto text_config = read_json(fs::path(text_dir) / "config.json");
  const std::string hub = testing::scratch_dir("llama4_hub_layout");
  nlohmann::json config = {{"architectures", {"Llama4ForConditionalGeneration"}}, {"model_type", "llama4"},
                           {"text_config", text_config}, {"vision_config", {{"hidden_size", 8}}},
                           {"tie_word_embeddings", false}};
  config["text_config"].erase("architectures");
  write_json(fs::path(hub) / "config.json", config);
  const TensorData vision{"vision_model.patch_embedding.linear.weight", StDtype::kF32, {2, 2}, std::string(16, '\0')};
  const TensorData projector{"multi_modal_projector.linear_1.weight", StDtype::kF32, {1}, std::string(4, '\0')};
  // As published: language_model.model.* and language_model.lm_head.weight.
  copy_tensors("llama4_text_chunked_nope", hub, [](const std::string& n) { return "language_model." + n; },
               {vision, projector});
  auto expected = hidden_of(text_dir);
  EXPECT_TRUE(torch::equal(hidden_of(hub), expected));

  // transformers 5 saves the same model as model.language_model.* + lm_head.
  const std::string v5 = testing::scratch_dir("llama4_v5_layout");
  write_json(fs::path(v5) / "config.json", config);
  copy_tensors("llama4_text_chunked_nope", v5, [](const std::string& n) {
    return n.rfind("model.", 0) == 0 ? "model.language_model." + n.substr(6) : n;
  });
  EXPECT_TRUE(torch::equal(hidden_of(v5), expected));
}

TEST(GptOssLayout, MissingMxfp4ScalesAreNamedWithEveryOtherProblem) {
  const std::string dir = testing::scratch_dir("gpt_oss_broken_mxfp4");
  fs::copy_file(fixture("gpt_oss_mxfp4") / "config.json", fs::path(dir) / "config.json");
  copy_tensors("gpt_oss_mxfp4", dir, [](const std::string& n) {
    const bool dropped = n == "model.layers.1.mlp.experts.down_proj_scales" || n == "model.layers.0.self_attn.sinks";
    return dropped ? std::string() : n;
  });
  try {
    load_causal_lm(dir, torch::kFloat32, torch::kCPU);
    FAIL() << "a checkpoint without scales loaded";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model.layers.1.mlp.experts.down_proj_scales [4, 64, 2]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model.layers.0.self_attn.sinks [4]"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace icsweep
