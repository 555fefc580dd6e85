// The `exact` FLOPs profile on the dense families of model zoo III (Granite, ERNIE 4.5, StableLM,
// Falcon), each config read as its family reads it. Expected values are worked out by hand in the
// comments; every case is one sequence of L = 4 tokens (4·5/2 = 10 attended keys per layer) over a
// tiny model of d 64, 2 layers, 4 heads, V 100:
//   FLOPs = 2 layers · 4 tokens · 2·(attention + MLP weights) + 2 layers · 2·H·(2·Dh)·10 + 4 · 2·64·100
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/metrics/flops.h"

namespace icsweep {
namespace {

using nlohmann::json;

json tiny(const std::string& model_type) {
  return {{"model_type", model_type}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"intermediate_size", 128}, {"vocab_size", 100}};
}

double exact4(const json& config) { return exact_flops(HfConfig(config, "config.json"), {4}).total_flops; }

// Dh 16: q 64·64 = 4,096, k and v 2·64·32 = 4,096, o 4,096 -> 12,288; gated MLP 3·64·128 = 24,576.
// 2·4·2·36,864 = 589,824 + attention 2·(2·4·32·10 = 2,560) = 5,120 + lm_head 51,200 = 646,144.
constexpr double kGqaDh16 = 646144.0;

TEST(ExactFlopsZoo3, GraniteMultipliersCostNothing) {
  json config = tiny("granite");
  EXPECT_EQ(exact4(config), kGqaDh16);
  config["embedding_multiplier"] = 12.0;
  config["residual_multiplier"] = 0.22;
  config["attention_multiplier"] = 0.015625;
  config["logits_scaling"] = 8.0;
  EXPECT_EQ(exact4(config), kGqaDh16);  // scalars on activations: no matmul weights
}

TEST(ExactFlopsZoo3, Ernie45HeadDimIsTheClassDefaultUnlessGiven) {
  json config = tiny("ernie4_5");
  // Ernie4_5Config's head_dim 128 when absent: q 64·512 = 32,768, k and v 2·64·256 = 32,768, o 32,768
  // -> 98,304; + MLP 24,576 = 122,880. 2·4·2·122,880 = 1,966,080 + attention 2·(2·4·256·10 = 20,480)
  // = 40,960 + lm_head 51,200 = 2,058,240.
  EXPECT_EQ(exact4(config), 2058240.0);
  config["head_dim"] = nullptr;  // None: hidden_size / heads = 16
  EXPECT_EQ(exact4(config), kGqaDh16);
  config["head_dim"] = 32;  // q, k+v, o 8,192 each -> 24,576 + 24,576 = 49,152: 786,432 + 2·5,120 + 51,200
  EXPECT_EQ(exact4(config), 847872.0);
}

TEST(ExactFlopsZoo3, StableLmIgnoresAHeadDimKey) {
  json config = tiny("stablelm");
  config["head_dim"] = 32;  // StableLmAttention: head_dim = hidden_size / heads = 16 regardless
  config["qk_layernorm"] = true;
  config["use_parallel_residual"] = true;
  EXPECT_EQ(exact4(config), kGqaDh16);
}

json tiny_falcon() {
  return {{"model_type", "falcon"}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"vocab_size", 100}};
}

TEST(ExactFlopsZoo3, FalconLayoutsSetTheKvHeads) {
  // Multi-query (the class default): query_key_value 64·(64 + 2·16) = 6,144 + dense 4,096 = 10,240;
  // ungated MLP ffn_hidden_size 4·64 = 256: 2·64·256 = 32,768. 2·4·2·43,008 = 688,128 + attention
  // 2·(2·4·32·10) = 5,120 + lm_head 51,200 = 744,448.
  json config = tiny_falcon();
  EXPECT_EQ(exact4(config), 744448.0);
  // The new decoder with 2 kv heads and ffn_hidden_size 96: 64·(64 + 64) = 8,192 + 4,096 = 12,288;
  // MLP 2·64·96 = 12,288. 2·4·2·24,576 = 393,216 + 5,120 + 51,200 = 449,536.
  config["new_decoder_architecture"] = true;
  config["num_kv_heads"] = 2;
  config["ffn_hidden_size"] = 96;
  EXPECT_EQ(exact4(config), 449536.0);
  // Falcon-RW: neither, every head its own k and v: 4·4,096 = 16,384 + 32,768 = 49,152;
  // 2·4·2·49,152 = 786,432 + 5,120 + 51,200 = 842,752. ALiBi adds no matmul.
  config = tiny_falcon();
  config["multi_query"] = false;
  config["alibi"] = true;
  config["parallel_attn"] = false;
  EXPECT_EQ(exact4(config), 842752.0);
}

TEST(ExactFlopsZoo3, FalconLayoutsTransformersCannotRunAreRefused) {
  json config = tiny_falcon();
  config["new_decoder_architecture"] = true;
  config["parallel_attn"] = false;
  EXPECT_THROW(exact4(config), ModelError);
  config = tiny_falcon();
  config["num_ln_in_parallel_attn"] = 2;  // ln_attn/ln_mlp without the new decoder
  EXPECT_THROW(exact4(config), ModelError);
}

}  // namespace
}  // namespace icsweep
