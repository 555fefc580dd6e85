// The layouts the qwen3_5 family loads, on one random tiny model written four ways: Qwen3-Next
// (in_proj_qkvz / in_proj_ba grouped per key head, plus an mtp.* head), Qwen3.5-MoE text-only (four
// separate input projections), its multimodal wrapper (model.language_model.*, a model.visual.* tower)
// and with transformers 5's stacked experts. With mlp_only_layers empty and norm_topk_prob true the
// Qwen3-Next and Qwen3.5-MoE forwards are the same function, so all four must give the same hidden
// states; the transformers parity fixtures check the numbers themselves.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

// d 32, 2 layers (linear, full), 2 heads of 16 (1 kv head); linear Hk 2, Hv 4, Dk 8, Dv 4, 4 taps;
// 4 experts of 16, top 2, shared expert 24; V 64.
constexpr int64_t kD = 32, kHk = 2, kHv = 4, kDk = 8, kDv = 4, kV = 64;

nlohmann::json text_config(const std::string& model_type) {
  return {{"model_type", model_type}, {"hidden_size", kD}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
          {"num_key_value_heads", 1}, {"head_dim", 16}, {"vocab_size", kV}, {"intermediate_size", 48},
          {"linear_num_key_heads", kHk}, {"linear_num_value_heads", kHv}, {"linear_key_head_dim", kDk},
          {"linear_value_head_dim", kDv}, {"linear_conv_kernel_dim", 4}, {"num_experts", 4},
          {"num_experts_per_tok", 2}, {"moe_intermediate_size", 16}, {"shared_expert_intermediate_size", 24},
          {"layer_types", {"linear_attention", "full_attention"}},
          {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", 10000.0}, {"partial_rotary_factor", 0.25}}}};
}

TensorData data(const std::string& name, const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat32).contiguous();
  return {name, StDtype::kF32, c.sizes().vec(),
          std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * 4)};
}

// The model's tensors under Qwen3.5-MoE's text-only names (the linear layer's projections separate).
std::map<std::string, torch::Tensor> random_qwen3_5_moe() {
  torch::manual_seed(11);
  const auto r = [](std::vector<int64_t> shape, double scale = 0.2) { return torch::randn(shape) * scale; };
  const int64_t conv = 2 * kHk * kDk + kHv * kDv;
  std::map<std::string, torch::Tensor> t = {{"model.embed_tokens.weight", r({kV, kD}, 1.0)},
                                            {"model.norm.weight", r({kD})},
                                            {"lm_head.weight", r({kV, kD})}};
  const std::string l0 = "model.layers.0.linear_attn.", l1 = "model.layers.1.self_attn.";
  t[l0 + "in_proj_qkv.weight"] = r({conv, kD});
  t[l0 + "in_proj_z.weight"] = r({kHv * kDv, kD});
  t[l0 + "in_proj_b.weight"] = r({kHv, kD});
  t[l0 + "in_proj_a.weight"] = r({kHv, kD});
  t[l0 + "conv1d.weight"] = r({conv, 1, 4}, 0.5);
  t[l0 + "dt_bias"] = torch::rand({kHv});
  t[l0 + "A_log"] = torch::rand({kHv}).log();
  t[l0 + "norm.weight"] = torch::rand({kDv}) + 0.5;
  t[l0 + "out_proj.weight"] = r({kD, kHv * kDv});
  t[l1 + "q_proj.weight"] = r({2 * 2 * 16, kD});
  t[l1 + "k_proj.weight"] = r({16, kD});
  t[l1 + "v_proj.weight"] = r({16, kD});
  t[l1 + "o_proj.weight"] = r({kD, 2 * 16});
  t[l1 + "q_norm.weight"] = r({16});
  t[l1 + "k_norm.weight"] = r({16});
  for (const std::string i : {"0", "1"}) {
    const std::string p = "model.layers." + i + ".";
    t[p + "input_layernorm.weight"] = r({kD});
    t[p + "post_attention_layernorm.weight"] = r({kD});
    t[p + "mlp.gate.weight"] = r({4, kD});
    for (int e = 0; e < 4; ++e) {
      const std::string x = p + "mlp.experts." + std::to_string(e) + ".";
      t[x + "gate_proj.weight"] = r({16, kD}), t[x + "up_proj.weight"] = r({16, kD}), t[x + "down_proj.weight"] = r({kD, 16});
    }
    for (const std::string m : {"gate_proj", "up_proj"}) t[p + "mlp.shared_expert." + m + ".weight"] = r({24, kD});
    t[p + "mlp.shared_expert.down_proj.weight"] = r({kD, 24});
    t[p + "mlp.shared_expert_gate.weight"] = r({1, kD});
  }
  return t;
}

// Qwen3-Next's grouping: per key head [q k v z] rows, then per key head [b a] rows (r = Hv / Hk = 2).
void to_qwen3_next_layout(std::map<std::string, torch::Tensor>& t) {
  const std::string p = "model.layers.0.linear_attn.";
  const auto qkv = t[p + "in_proj_qkv.weight"].split_with_sizes({kHk * kDk, kHk * kDk, kHv * kDv});
  const auto per_head = [](const torch::Tensor& x, int64_t heads) { return x.view({heads, -1, kD}); };
  t[p + "in_proj_qkvz.weight"] = torch::cat({per_head(qkv[0], kHk), per_head(qkv[1], kHk), per_head(qkv[2], kHk),
                                             per_head(t[p + "in_proj_z.weight"], kHk)}, 1).reshape({-1, kD});
  t[p + "in_proj_ba.weight"] =
      torch::cat({per_head(t[p + "in_proj_b.weight"], kHk), per_head(t[p + "in_proj_a.weight"], kHk)}, 1).reshape({-1, kD});
  for (const char* name : {"in_proj_qkv", "in_proj_z", "in_proj_b", "in_proj_a"}) t.erase(p + name + ".weight");
}

std::string write_model(const std::string& name, const nlohmann::json& config,
                        const std::map<std::string, torch::Tensor>& tensors) {
  const std::string dir = testing::scratch_dir(name);
  std::ofstream(fs::path(dir) / "config.json") << config.dump(1);
  std::vector<TensorData> all;
  for (const auto& [n, t] : tensors) all.push_back(data(n, t));
  write_safetensors((fs::path(dir) / "model.safetensors").string(), all);
  return dir;
}

torch::Tensor hidden_of(const std::string& dir) {
  auto model = load_causal_lm(dir, torch::kFloat32, torch::kCPU);
  return model->forward_hidden(torch::arange(1, 71, torch::kInt64).remainder(kV).view({1, 70}));  // two chunks
}

// As Fixture/FixtureSplit: the layers split over the same device listed twice give the whole model's
// numbers bit for bit (linear and attention layers, MoE and its shared expert on the second half).
void expect_splits_like_the_whole(const std::string& dir) {
  torch::InferenceMode guard;
  const torch::Device cpu("cpu");
  auto whole = load_causal_lm(dir, torch::kFloat32, cpu);
  auto split = load_causal_lm(dir, torch::kFloat32, std::vector<torch::Device>(2, cpu));
  const auto ids = torch::randint(0, kV, {2, 70}, torch::TensorOptions().dtype(torch::kInt64));
  EXPECT_TRUE(torch::equal(split->forward_hidden(ids), whole->forward_hidden(ids)));
  EXPECT_EQ(split->info().num_parameters, whole->info().num_parameters);
}

TEST(Qwen3_5Layouts, NextTextOnlyWrapperAndStackedExpertsGiveTheSameModel) {
  const auto tensors = random_qwen3_5_moe();
  auto text = text_config("qwen3_5_moe_text");
  text["architectures"] = {"Qwen3_5MoeForCausalLM"};
  const std::string text_dir = write_model("qwen3_5_moe_text_layout", text, tensors);
  const auto reference = hidden_of(text_dir);
  expect_splits_like_the_whole(text_dir);

  auto next = tensors;
  to_qwen3_next_layout(next);
  next["mtp.fc.weight"] = torch::zeros({kD, 2 * kD});  // the multi-token-prediction head: never loaded
  auto next_config = text_config("qwen3_next");
  next_config["architectures"] = {"Qwen3NextForCausalLM"};
  const std::string next_dir = write_model("qwen3_next_layout", next_config, next);
  EXPECT_TRUE(torch::allclose(hidden_of(next_dir), reference, 1e-5, 1e-5));
  expect_splits_like_the_whole(next_dir);

  std::map<std::string, torch::Tensor> wrapped = {{"model.visual.patch_embed.proj.weight", torch::zeros({4, 4})}};
  for (const auto& [n, t] : tensors)
    wrapped[n.rfind("model.", 0) == 0 ? "model.language_model." + n.substr(6) : n] = t;
  for (const std::string i : {"0", "1"}) {  // transformers 5's stacked experts: (E, 2F, D) and (E, D, F)
    const std::string p = "model.language_model.layers." + i + ".mlp.experts.";
    std::vector<torch::Tensor> gate_up, down;
    for (int e = 0; e < 4; ++e) {
      const std::string x = p + std::to_string(e) + ".";
      gate_up.push_back(torch::cat({wrapped[x + "gate_proj.weight"], wrapped[x + "up_proj.weight"]}, 0));
      down.push_back(wrapped[x + "down_proj.weight"]);
      for (const char* m : {"gate_proj", "up_proj", "down_proj"}) wrapped.erase(x + m + ".weight");
    }
    wrapped[p + "gate_up_proj"] = torch::stack(gate_up), wrapped[p + "down_proj"] = torch::stack(down);
  }
  const nlohmann::json wrapper = {{"architectures", {"Qwen3_5MoeForConditionalGeneration"}},
                                  {"model_type", "qwen3_5_moe"}, {"text_config", text_config("qwen3_5_moe_text")},
                                  {"vision_config", {{"hidden_size", 4}}}};
  EXPECT_TRUE(torch::allclose(hidden_of(write_model("qwen3_5_moe_wrapper_layout", wrapper, wrapped)), reference, 1e-5,
                              1e-5));
}

}  // namespace
}  // namespace icsweep
