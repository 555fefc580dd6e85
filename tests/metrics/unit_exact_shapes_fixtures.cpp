// The exact FLOPs profile's per-layer shape (core/metrics/flops_shapes.h, each family's own) against
// what the checkpoints hold, for every checkpoint fixture of tests/fixtures/index.json (one test case
// per fixture). The expected values come from the tensors alone, read here from the
// safetensors headers: per layer, the attention matrices' elements, the MLP matrices' elements a token
// passes through (a dense MLP; or the router, num_experts_per_tok experts and any shared expert), the
// heads x head widths behind the output projection, and the output head's V x D. Gemma 4's
// per_layer_model_projection (L·P, D) feeds every layer P of its rows: D·P counted in each layer's MLP.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "core/config/hf_config.h"
#include "core/metrics/flops_shapes.h"
#include "model/fixture_index.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

// name -> shape, from a safetensors file's header (8-byte little-endian length, then JSON).
std::map<std::string, std::vector<int64_t>> tensor_shapes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | length_bytes[i];
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  std::map<std::string, std::vector<int64_t>> shapes;
  const auto entries = nlohmann::json::parse(header);
  for (const auto& [name, entry] : entries.items())
    if (name != "__metadata__") shapes[name] = entry.at("shape").get<std::vector<int64_t>>();
  return shapes;
}

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// What one decoder layer's tensors give.
struct LayerTensors {
  int64_t attention = 0;      // attention matrices' elements
  int64_t dense_mlp = 0;      // dense MLP, shared expert(s), shared expert gate
  int64_t router = 0;         // router matrix elements (E x D)
  int64_t experts = 0;        // routed experts: number E
  int64_t expert = 0;         // one routed expert's matrix elements
  int64_t output_inputs = 0;  // input width of the attention output projection (heads x v width)
  int64_t query_rows = 0;     // rows of the query projection (q_b_proj with a q LoRA)
  // Mamba-2 mixers (mamba.*) and LFM2's short convolutions (conv.*):
  int64_t ssm_proj = 0;       // in_proj and out_proj elements
  int64_t conv_channels = 0;  // the depthwise conv weight (C, 1, K)
  int64_t conv_kernel = 0;
  int64_t ssd_heads = 0;      // A_log (H)
};

// The layer's per-token MLP weights with `top_k` routed experts.
int64_t mlp_weights(const LayerTensors& l, int64_t top_k) { return l.dense_mlp + l.router + top_k * l.expert; }

void add_expert_tensor(LayerTensors& l, const std::string& name, const std::vector<int64_t>& shape) {
  static const std::regex per_expert(R"(\.experts\.(\d+)\.)");
  std::smatch m;
  if (std::regex_search(name, m, per_expert)) {  // experts.<e>.{gate,up,down}_proj / w1, w2, w3
    l.experts = std::max<int64_t>(l.experts, std::stoll(m[1]) + 1);
    if (m[1] == "0" && shape.size() == 2) l.expert += elements(shape);
  } else if (ends_with(name, "_blocks")) {  // MXFP4 (E, out, in / 32, 16) bytes of two 4-bit values each
    l.experts = shape[0];
    l.expert += 2 * elements(shape) / shape[0];
  } else if (shape.size() == 3 && !ends_with(name, "_bias") && !ends_with(name, "_scales")) {  // fused (E, in, out)
    l.experts = shape[0];
    l.expert += elements(shape) / shape[0];
  }
}

// Granite 4's block_sparse_moe: router.layer (E, D), input_linear (E, 2F, D), output_linear (E, D, F).
bool add_granite_moe_tensor(LayerTensors& l, const std::string& module, const std::vector<int64_t>& shape) {
  if (!contains(module, "block_sparse_moe.")) return false;
  if (ends_with(module, "router.layer.weight"))
    l.router = elements(shape);
  else if (shape.size() == 3)
    add_expert_tensor(l, module, shape);
  return shape.size() == 3 || ends_with(module, "router.layer.weight");
}

// Mamba-2 (mamba.*) and LFM2's short convolution (conv.*): true when the tensor is one of theirs.
bool add_conv_ssm_tensor(LayerTensors& l, const std::string& module, const std::vector<int64_t>& shape) {
  if (!contains(module, "mamba.") && module.rfind("conv.", 0) != 0) return false;
  if (shape.size() == 2 && (ends_with(module, "in_proj.weight") || ends_with(module, "out_proj.weight")))
    l.ssm_proj += elements(shape);
  if (shape.size() == 3) l.conv_channels = shape[0], l.conv_kernel = shape[2];
  if (ends_with(module, "A_log")) l.ssd_heads = shape[0];
  return true;
}

void add_tensor(LayerTensors& l, const std::string& module, const std::vector<int64_t>& shape) {
  if (add_conv_ssm_tensor(l, module, shape) || add_granite_moe_tensor(l, module, shape)) return;
  const bool attention = contains(module, "self_attn.") || contains(module, "attn.") || contains(module, "attention.");
  if (contains("." + module, ".experts.")) {  // Gemma 4's experts sit at the layer's top: "experts.down_proj"
    add_expert_tensor(l, module, shape);
    return;
  }
  if (!ends_with(module, ".weight") || shape.size() != 2) return;  // norms, biases, buffers, sinks
  if (attention) {
    l.attention += elements(shape);
    if (ends_with(module, "o_proj.weight") || ends_with(module, "attention.dense.weight") ||
        ends_with(module, "attention.wo.weight") || ends_with(module, "self_attn.out_proj.weight"))
      l.output_inputs = shape[1];
    if (ends_with(module, "attn.c_proj.weight")) l.output_inputs = shape[0];  // Conv1D: (in, out)
    if (ends_with(module, "q_b_proj.weight") || ends_with(module, "self_attn.q_proj.weight")) l.query_rows = shape[0];
  } else if (ends_with(module, "mlp.gate.weight") || ends_with(module, "block_sparse_moe.gate.weight") ||
             ends_with(module, "router.weight")) {
    l.router = elements(shape);
  } else {
    l.dense_mlp += elements(shape);
  }
}

struct CheckpointShape {
  std::map<int64_t, LayerTensors> layers;
  int64_t embedding = 0;  // V x D
  bool mla = false;       // DeepSeek's latent attention (kv_a_proj_with_mqa)
};

CheckpointShape read_checkpoint(const fs::path& file) {
  static const std::regex layer(R"((?:^|\.)(?:layers|h)\.(\d+)\.(.*)$)");
  CheckpointShape c;
  int64_t ple_projection = 0;  // Gemma 4's per_layer_model_projection
  for (const auto& [name, shape] : tensor_shapes(file)) {
    if (name.rfind("vision", 0) == 0 || contains(name, "vision_tower.") || contains(name, "multi_modal_projector"))
      continue;  // a multimodal wrapper's image side
    if (name.rfind("mtp.", 0) == 0) continue;  // Qwen3.5 / Qwen3-Next's multi-token-prediction head
    std::smatch m;
    if (std::regex_search(name, m, layer)) {
      add_tensor(c.layers[std::stoll(m[1])], m[2], shape);
      c.mla = c.mla || contains(name, "kv_a_proj_with_mqa");
    } else if (ends_with(name, "embed_tokens.weight") || ends_with(name, "wte.weight") ||
               ends_with(name, "embed_in.weight") || ends_with(name, "tok_embeddings.weight") ||
               ends_with(name, "word_embeddings.weight")) {
      c.embedding = elements(shape);
    } else if (ends_with(name, "per_layer_model_projection.weight")) {
      ple_projection = elements(shape);
    }
  }
  for (auto& [index, l] : c.layers) l.dense_mlp += ple_projection / static_cast<int64_t>(c.layers.size());
  return c;
}

// num_experts_per_tok as config.json (or its text_config) writes it (ERNIE 4.5: moe_k, Hunyuan: moe_topk,
// Gemma 4: top_k_experts);
// 0 for dense models.
int64_t top_k_as_written(const nlohmann::json& config) {
  const auto& text = config.contains("text_config") ? config["text_config"] : config;
  for (const char* key : {"num_experts_per_tok", "experts_per_token", "moe_k", "moe_topk", "top_k_experts"})
    if (text.contains(key) && text[key].is_number_integer()) return text[key].get<int64_t>();
  return 0;
}

using testing::FixtureName;
using testing::ModelFixture;
using testing::model_fixtures;

TEST(ExactShapesOfFixtures, TheIndexListsCheckpointFixtures) { EXPECT_FALSE(model_fixtures("checkpoint").empty()); }

class ExactShapeOfFixture : public ::testing::TestWithParam<ModelFixture> {};

TEST_P(ExactShapeOfFixture, PerLayerWeightsAndHeadsEqualTheCheckpointTensors) {
  const fs::path dir = GetParam().dir();
  const HfConfig config = HfConfig::load(dir.string());
  const ModelShape shape = exact_model_shape(config, GetParam().name);
  const CheckpointShape tensors = read_checkpoint(dir / "model.safetensors");
  std::ifstream in(dir / "config.json");
  const int64_t top_k = top_k_as_written(nlohmann::json::parse(in));

  EXPECT_EQ(shape.lm_head_weights, tensors.embedding);
  ASSERT_LE(shape.layers.size(), tensors.layers.size());  // more: a multi-token-prediction layer
  for (size_t i = 0; i < shape.layers.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    const LayerShape& s = shape.layers[i];
    const LayerTensors& t = tensors.layers.at(static_cast<int64_t>(i));
    EXPECT_EQ(s.attention_weights, t.attention);
    EXPECT_EQ(s.mlp_weights, mlp_weights(t, t.experts > 0 ? top_k : 0));
    EXPECT_EQ(s.heads * s.v_dim, t.output_inputs);
    EXPECT_EQ(s.ssm_proj_weights, t.ssm_proj);
    EXPECT_EQ(s.conv_channels, t.conv_channels);
    EXPECT_EQ(s.conv_kernel, t.conv_kernel);
    EXPECT_EQ(s.ssd_heads, t.ssd_heads);
    if (tensors.mla)
      EXPECT_EQ(s.heads * s.qk_dim, t.query_rows);
    else
      EXPECT_EQ(s.qk_dim, s.v_dim);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixture, ExactShapeOfFixture, ::testing::ValuesIn(model_fixtures("checkpoint")), FixtureName());

}  // namespace
}  // namespace icsweep
