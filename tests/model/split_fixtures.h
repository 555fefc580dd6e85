// Parity fixtures of the families besides llama that split their layers across devices (`gpus: k`):
// tied heads, sliding windows, dense and MoE layers, MLA attention, router biases, MXFP4 experts, and
// llama4's nested checkpoint names with chunked and NoPE layers, post-norm blocks (olmo2, glm4).
#pragma once

#include <string>
#include <vector>

namespace icsweep::testing {

inline const std::vector<std::string> kSplitFamilyFixtures = {
    "qwen3_mha_tied_bias_window", "qwen3_moe_top1_dense_layer", "qwen2_moe_top2",       "mixtral_top1_window",
    "deepseek_v2_lite_yarn_group", "deepseek_v3_group_bias",    "glm4_moe_qk_norm_top1", "glm4_moe_shared",
    "gpt_oss_top2",               "gpt_oss_mxfp4",             "llama4_text_chunked_nope", "olmo2_gqa",
    "olmo2_mha_tied_bias",        "glm4_gqa_bias",             "glm4_mha_tied_quarter"};

}  // namespace icsweep::testing
