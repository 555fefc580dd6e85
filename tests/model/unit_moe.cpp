// moe.h: grouped experts against a per-token loop, and the routers on hand-made logits; the MoE
// families' config parsing on Hub-style (transformers 4) config.json variants.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "core/model/families/deepseek.h"
#include "core/model/moe.h"
#include "core/model/families/qwen3_moe.h"

namespace icsweep {
namespace {

// Gate rows chosen so x gate^T reproduces `logits` when x is the identity: x (N, N), gate (E, N).
torch::Tensor identity(int64_t n) { return torch::eye(n, torch::kFloat32); }

TEST(GroupedExperts, MatchesHandComputedSums) {
  // Expert e scales its input by (e + 1). Token 0 -> 0.5*e0 + 0.25*e2 = 0.5*x + 0.75*x = 1.25*x;
  // token 1 -> 1.0*e1 = 2*x; token 2 -> 0.5*e2 + 0.5*e0 = 1.5*x + 0.5*x = 2*x.
  auto x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}).view({3, 2});
  auto ids = torch::tensor({0, 2, 1, 1, 2, 0}, torch::kInt64).view({3, 2});
  auto weights = torch::tensor({0.5f, 0.25f, 1.0f, 0.0f, 0.5f, 0.5f}).view({3, 2});
  std::vector<int64_t> calls;
  auto out = grouped_experts(x, ids, weights, /*num_experts=*/4, /*out_dim=*/2, [&](int64_t e, const torch::Tensor& xe) {
    calls.push_back(xe.size(0));
    return xe * static_cast<float>(e + 1);
  });
  auto expected = torch::tensor({1.25f, 2.5f, 6.0f, 8.0f, 10.0f, 12.0f}).view({3, 2});
  EXPECT_TRUE(torch::allclose(out, expected)) << out;
  // One call per expert that received tokens (0: 2 tokens, 1: 2 slots, 2: 2 tokens), none for expert 3.
  EXPECT_EQ(calls, (std::vector<int64_t>{2, 2, 2}));
}

TEST(GroupedExperts, SwigluMatchesPerTokenLoop) {
  torch::manual_seed(0);
  const int64_t n = 7, d = 8, f = 5, e_count = 4, k = 2;
  RoutedExperts experts;
  experts.each.resize(e_count);
  for (auto& e : experts.each) {
    e.gate = torch::randn({f, d});
    e.up = torch::randn({f, d});
    e.down = torch::randn({d, f});
  }
  const auto originals = experts.each;  // copies of the handles: the loaded matrices
  auto x = torch::randn({n, d});
  auto routing = softmax_topk_routing(x, torch::randn({e_count, d}), k, /*renormalize=*/true);
  auto expected = torch::zeros({n, d});
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < k; ++j) {
      const auto& e = originals[routing.ids[t][j].item<int64_t>()];
      auto row = x[t].unsqueeze(0);
      auto y = torch::matmul(torch::silu(torch::matmul(row, e.gate.t())) * torch::matmul(row, e.up.t()), e.down.t());
      expected[t] += routing.weights[t][j] * y[0];
    }
  // One matrix per expert, as loaded.
  EXPECT_TRUE(torch::allclose(routed_swiglu_experts(x, routing, experts), expected, 1e-5, 1e-5));
  // Stacked: (E, 2F, D) gate rows then up rows, (E, D, F); each expert a view of them.
  experts.stack();
  ASSERT_EQ(experts.gate_up.sizes(), (std::vector<int64_t>{e_count, 2 * f, d}));
  ASSERT_EQ(experts.down.sizes(), (std::vector<int64_t>{e_count, d, f}));
  for (int64_t e = 0; e < e_count; ++e) {
    EXPECT_FALSE(experts.each[e].gate.defined());
    EXPECT_TRUE(torch::equal(experts.gate_up[e].narrow(0, 0, f), originals[e].gate));
    EXPECT_TRUE(torch::equal(experts.gate_up[e].narrow(0, f, f), originals[e].up));
    EXPECT_TRUE(torch::equal(experts.down[e], originals[e].down));
    EXPECT_EQ(experts.each[e].gate_up.data_ptr(), experts.gate_up[e].data_ptr());
  }
  EXPECT_TRUE(torch::allclose(routed_swiglu_experts(x, routing, experts), expected, 1e-5, 1e-5));
  // Loaded stacked (transformers 5's experts.gate_up_proj / down_proj): stack() only makes the views.
  RoutedExperts saved_stacked;
  saved_stacked.gate_up = experts.gate_up.clone();
  saved_stacked.down = experts.down.clone();
  saved_stacked.stack();
  ASSERT_EQ(saved_stacked.size(), e_count);
  EXPECT_TRUE(torch::allclose(routed_swiglu_experts(x, routing, saved_stacked), expected, 1e-5, 1e-5));
}

TEST(Routing, SoftmaxTopkRenormalisesOverTheChosenExperts) {
  auto logits = torch::log(torch::tensor({0.1f, 0.6f, 0.3f})).view({1, 3});  // softmax = (0.1, 0.6, 0.3)
  auto plain = softmax_topk_routing(logits, identity(3), 2, /*renormalize=*/false);
  EXPECT_EQ(plain.ids[0][0].item<int64_t>(), 1);
  EXPECT_EQ(plain.ids[0][1].item<int64_t>(), 2);
  EXPECT_NEAR(plain.weights[0][0].item<float>(), 0.6, 1e-6);
  auto renorm = softmax_topk_routing(logits, identity(3), 2, /*renormalize=*/true);
  EXPECT_NEAR(renorm.weights[0][0].item<float>(), 0.6 / 0.9, 1e-6);
  EXPECT_NEAR(renorm.weights[0][1].item<float>(), 0.3 / 0.9, 1e-6);
}

TEST(Routing, SoftmaxGroupLimitKeepsTheGroupWithTheBestExpert) {
  // Groups {0, 1} and {2, 3}: group 0's best (0.4) beats group 1's best (0.3), so top-2 comes from
  // group 0 even though expert 3 (0.3) outscores expert 1 (0.05). Scaled by 2.
  auto x = torch::log(torch::tensor({0.4f, 0.05f, 0.25f, 0.3f})).view({1, 4});
  auto greedy = softmax_group_routing(x, identity(4), 2, 1, 1, 2.0);
  auto limited = softmax_group_routing(x, identity(4), 2, 2, 1, 2.0);
  auto sorted_ids = [](const Routing& r) { return std::get<0>(r.ids[0].sort()); };
  EXPECT_TRUE(torch::equal(sorted_ids(greedy), torch::tensor({0, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(sorted_ids(limited), torch::tensor({0, 1}, torch::kInt64)));
  EXPECT_NEAR(limited.weights.sum().item<float>(), 2.0 * (0.4 + 0.05), 1e-6);
}

TEST(Routing, SigmoidBiasPicksButDoesNotWeigh) {
  // sigmoid(0) = 0.5 for all four; the bias makes experts 2 and 3 win (group sums 0+0 vs 0.2+0.3
  // with two groups), the weights stay the unbiased 0.5, renormalised to 0.5 each, times 2.5.
  auto x = torch::zeros({1, 4});
  auto bias = torch::tensor({0.0f, 0.0f, 0.2f, 0.3f});
  auto r = sigmoid_group_routing(x, identity(4), bias, 2, 2, 1, /*renormalize=*/true, 2.5);
  EXPECT_TRUE(torch::equal(std::get<0>(r.ids[0].sort()), torch::tensor({2, 3}, torch::kInt64)));
  EXPECT_NEAR(r.weights[0][0].item<float>(), 1.25, 1e-6);
  EXPECT_NEAR(r.weights[0][1].item<float>(), 1.25, 1e-6);
  auto raw = sigmoid_group_routing(x, identity(4), bias, 2, 1, 1, /*renormalize=*/false, 1.0);
  EXPECT_NEAR(raw.weights.sum().item<float>(), 1.0, 1e-6);
}

// DeepSeek-V2-Lite's config.json as published (trimmed): transformers-4 rope_scaling with "type".
constexpr const char* kDeepseekV2LiteHub = R"({
  "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "hidden_size": 2048,
  "intermediate_size": 10944, "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
  "vocab_size": 102400, "max_position_embeddings": 163840, "q_lora_rank": null, "kv_lora_rank": 512,
  "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 64,
  "n_shared_experts": 2, "num_experts_per_tok": 6, "moe_intermediate_size": 1408, "first_k_dense_replace": 1,
  "moe_layer_freq": 1, "topk_method": "greedy", "n_group": 1, "topk_group": 1, "norm_topk_prob": false,
  "routed_scaling_factor": 1.0, "scoring_func": "softmax", "rms_norm_eps": 1e-06, "rope_theta": 10000,
  "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
                   "original_max_position_embeddings": 4096, "type": "yarn"},
  "attention_bias": false, "hidden_act": "silu", "tie_word_embeddings": false})";

TEST(MoeConfigs, DeepseekV2HubConfigUsesYarnWithSoftmaxScale) {
  const auto c = DeepseekConfig::from_hf(HfConfig::parse(kDeepseekV2LiteHub, "config.json"), "deepseek_v2");
  EXPECT_FALSE(c.v3);
  EXPECT_EQ(c.q_lora_rank, 0);
  EXPECT_EQ(c.rope.type, "yarn");
  EXPECT_EQ(c.rope.dim, 64);
  EXPECT_DOUBLE_EQ(c.rope.factor, 40.0);
  EXPECT_DOUBLE_EQ(c.rope.attention_factor, 1.0);  // mscale == mscale_all_dim
  const double m = 0.1 * 0.707 * std::log(40.0) + 1.0;
  EXPECT_NEAR(c.score_scale, m * m, 1e-12);
  EXPECT_EQ(c.n_group, 1);
  EXPECT_EQ(c.n_shared_experts, 2);
}

TEST(MoeConfigs, DeepseekV3DefaultsToInterleavedRopeAndGroupRouting) {
  auto j = nlohmann::json::parse(kDeepseekV2LiteHub);
  j["model_type"] = "deepseek_v3";
  j["topk_method"] = "noaux_tc";
  j["scoring_func"] = "sigmoid";
  j["n_group"] = 8;
  j["topk_group"] = 4;
  j["norm_topk_prob"] = true;
  const auto c = DeepseekConfig::from_hf(HfConfig(j, "config.json"), "deepseek_v3");
  EXPECT_TRUE(c.v3);
  EXPECT_TRUE(c.rope_interleave);
  EXPECT_EQ(c.n_group, 8);
  EXPECT_EQ(c.topk_group, 4);
  EXPECT_TRUE(c.norm_topk_prob);
}

TEST(MoeConfigs, DeepseekV2RejectsUnknownTopkMethodNamingTheKey) {
  auto j = nlohmann::json::parse(kDeepseekV2LiteHub);
  j["topk_method"] = "noaux_tc";
  try {
    DeepseekConfig::from_hf(HfConfig(j, "config.json"), "deepseek_v2");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("'topk_method'"), std::string::npos) << e.what();
  }
}

TEST(MoeConfigs, Qwen3MoeAcceptsNumExpertsAndNumLocalExperts) {
  nlohmann::json j = {{"hidden_size", 64}, {"intermediate_size", 96}, {"num_hidden_layers", 2},
                      {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"head_dim", 16}, {"vocab_size", 256},
                      {"num_experts_per_tok", 2}, {"moe_intermediate_size", 32}, {"mlp_only_layers", {0}}};
  j["num_experts"] = 8;  // Hub
  EXPECT_EQ(Qwen3MoeConfig::from_hf(HfConfig(j, "config.json")).num_experts, 8);
  j.erase("num_experts");
  j["num_local_experts"] = 6;  // saved by transformers 5
  const auto c = Qwen3MoeConfig::from_hf(HfConfig(j, "config.json"));
  EXPECT_EQ(c.num_experts, 6);
  EXPECT_EQ(c.sparse, (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace icsweep
