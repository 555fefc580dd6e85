#include "core/model/families/deepseek.h"

#include <algorithm>
#include <cmath>

#include "core/common/errors.h"
#include "core/config/fp8_format.h"

namespace icsweep {
namespace {

// yarn_get_mscale in transformers' DeepSeek attention.
double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

// DeepSeek routing keys: ModelError naming config.json and the key unless 1 <= value.
int64_t positive(const HfConfig& config, const std::string& key, int64_t value) {
  if (value < 1)
    throw ModelError(config.source() + ": key '" + key + "' must be >= 1 (got " + std::to_string(value) + ")");
  return value;
}

// mlp_layer_types (V3.2, GLM-5) when present: leading "dense" layers, then "sparse" ones; the count
// of dense layers (else first_k_dense_replace).
int64_t leading_dense_layers(const HfConfig& config, int64_t num_layers) {
  const auto types = config.get_strings("mlp_layer_types");
  if (types.empty()) return config.get_int("first_k_dense_replace", 0);
  size_t dense = 0;
  while (dense < types.size() && types[dense] == "dense") ++dense;
  for (size_t i = dense; i < types.size(); ++i)
    if (types[i] != "sparse")
      throw ModelError(config.source() + ": key 'mlp_layer_types' must list \"dense\" layers, then \"sparse\" ones (entry " +
                       std::to_string(i) + " is '" + types[i] + "')");
  if (static_cast<int64_t>(types.size()) != num_layers)
    throw ModelError(config.source() + ": key 'mlp_layer_types' has " + std::to_string(types.size()) +
                     " entries for " + std::to_string(num_layers) + " layers");
  return static_cast<int64_t>(dense);
}

// The rotary width: qk_rope_head_dim. Mistral4RotaryEmbedding takes int(head_dim * partial_rotary_factor)
// with head_dim as config.json writes it (else qk_nope + qk_rope) and the factor qk_rope / (qk_nope +
// qk_rope) unless written: a config where that is not qk_rope_head_dim is refused (transformers would
// rotate a different width than the rope slice).
int64_t mistral4_rope_width(const HfConfig& config, const DeepseekConfig& c) {
  if (!c.mistral4) return c.qk_rope_head_dim;
  const double qk = static_cast<double>(c.qk_head_dim());
  const double factor = partial_rotary_factor(config, static_cast<double>(c.qk_rope_head_dim) / qk);
  const auto width = static_cast<int64_t>(static_cast<double>(config.get_int("head_dim", c.qk_head_dim())) * factor);
  if (width != c.qk_rope_head_dim)
    throw ModelError(config.source() + ": head_dim * partial_rotary_factor (" + std::to_string(width) +
                     " rotary dims) must equal qk_rope_head_dim (" + std::to_string(c.qk_rope_head_dim) + ")");
  return width;
}

// GlmMoeDsaConfig's indexer_types: as written, else index_topk_pattern ("F"ull / "S"hared per layer),
// else full where max(i - index_skip_topk_offset + 1, 0) % index_topk_freq == 0. (L) true = shared.
std::vector<bool> glm_shared_indexers(const HfConfig& config, int64_t num_layers) {
  std::vector<std::string> types = config.get_strings("indexer_types");
  if (types.empty() && config.has("index_topk_pattern")) {
    for (char t : config.get_string("index_topk_pattern")) {
      if (t != 'F' && t != 'S')
        throw ModelError(config.source() + ": key 'index_topk_pattern' holds '" + std::string(1, t) +
                         "' (expected F for full or S for shared, one per layer)");
      types.push_back(t == 'S' ? "shared" : "full");
    }
  }
  std::vector<bool> shared;
  if (types.empty()) {
    const int64_t freq = std::max<int64_t>(config.get_int("index_topk_freq", 1), 1);
    const int64_t offset = config.get_int("index_skip_topk_offset", 2);
    for (int64_t i = 0; i < num_layers; ++i) shared.push_back(std::max<int64_t>(i - offset + 1, 0) % freq != 0);
    return shared;
  }
  if (static_cast<int64_t>(types.size()) != num_layers)
    throw ModelError(config.source() + ": key 'indexer_types' has " + std::to_string(types.size()) + " entries for " +
                     std::to_string(num_layers) + " layers");
  for (const auto& t : types) {
    if (t != "full" && t != "shared")
      throw ModelError(config.source() + ": key 'indexer_types' holds '" + t + "' (expected full or shared)");
    shared.push_back(t == "shared");
  }
  if (!shared.empty() && shared[0])
    throw ModelError(config.source() + ": key 'indexer_types': the first layer cannot share a previous selection");
  return shared;
}

// DeepSeek-V3.2's lightning indexer: index_topk, index_n_heads, index_head_dim (it reads the q latent).
void read_indexer(const HfConfig& config, const std::string& model_type, DeepseekConfig& c) {
  c.index_topk = positive(config, "index_topk", config.get_int("index_topk"));
  c.index_n_heads = positive(config, "index_n_heads", config.get_int("index_n_heads"));
  c.index_head_dim = positive(config, "index_head_dim", config.get_int("index_head_dim"));
  if (c.q_lora_rank <= 0)
    throw ModelError(config.source() + ": key 'q_lora_rank' must be set: the sparse-attention indexer reads the q latent");
  if (c.index_head_dim < c.qk_rope_head_dim)
    throw ModelError(config.source() + ": key 'index_head_dim' must be at least qk_rope_head_dim");
  c.index_rope_interleave = model_type == "glm_moe_dsa";
  c.indexer_shared = model_type == "glm_moe_dsa" ? glm_shared_indexers(config, c.num_layers)
                                                 : std::vector<bool>(c.num_layers, false);
}

}  // namespace

DeepseekConfig DeepseekConfig::from_hf(const HfConfig& config, const std::string& model_type) {
  DeepseekConfig c;
  const bool sparse_attention = model_type == "deepseek_v32" || model_type == "glm_moe_dsa";
  c.mistral4 = model_type == "mistral4";
  c.v3 = model_type == "deepseek_v3" || c.mistral4 || sparse_attention;  // V3 MLA (and router, but Mistral 4's)
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.q_lora_rank = config.get_int("q_lora_rank", 0);
  c.kv_lora_rank = config.get_int("kv_lora_rank");
  c.qk_nope_head_dim = config.get_int("qk_nope_head_dim");
  c.qk_rope_head_dim = config.get_int("qk_rope_head_dim");
  c.v_head_dim = config.get_int("v_head_dim");
  c.attention_bias = config.get_bool("attention_bias", false);
  // V3 and Mistral 4 read rope_interleave; V2, V3.2 and GLM-5 always rotate adjacent pairs.
  c.rope_interleave = model_type == "deepseek_v3" || c.mistral4 ? config.get_bool("rope_interleave", true) : true;
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the deepseek family implements only silu");
  if (config.get_bool("mlp_bias", false))
    throw ModelError(config.source() + ": key 'mlp_bias' is true; the deepseek family implements MLPs without bias");
  if (c.qk_rope_head_dim % 2 != 0)
    throw ModelError(config.source() + ": key 'qk_rope_head_dim' must be even (got " +
                     std::to_string(c.qk_rope_head_dim) + ")");

  // MoE layout (DeepseekV2Config's / DeepseekV3Config's class defaults where a key is absent).
  c.first_k_dense_replace = leading_dense_layers(config, c.num_layers);
  c.num_experts = positive(config, "n_routed_experts", config.get_int("n_routed_experts"));
  c.top_k = positive(config, "num_experts_per_tok", config.get_int("num_experts_per_tok"));
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.n_shared_experts = config.get_int("n_shared_experts", 0);
  c.routed_scaling_factor = config.get_double("routed_scaling_factor", 1.0);
  if (c.v3) {
    // noaux_tc whatever scoring_func/topk_method say: transformers' DeepseekV3 and Mistral4 have no other router.
    c.n_group = positive(config, "n_group", config.get_int("n_group"));
    c.topk_group = positive(config, "topk_group", config.get_int("topk_group"));
    c.norm_topk_prob = config.get_bool("norm_topk_prob", true);
  } else {
    const std::string method = config.get_string("topk_method", "greedy");
    if (method == "group_limited_greedy") {
      c.n_group = positive(config, "n_group", config.get_int("n_group"));
      c.topk_group = positive(config, "topk_group", config.get_int("topk_group"));
    } else if (method != "greedy") {
      throw ModelError(config.source() + ": key 'topk_method' is '" + method +
                       "'; deepseek_v2 supports greedy and group_limited_greedy");
    }
  }

  if (sparse_attention) read_indexer(config, model_type, c);
  c.rope = RopeConfig::from_hf(config, c.qk_rope_head_dim);
  c.rope = RopeConfig::from_hf(config, mistral4_rope_width(config, c));
  // Yarn with mscale_all_dim also sharpens the softmax (V2 and V3; the "factor" key as written).
  const std::optional<HfConfig> params = rope_object(config);
  if (params && c.mistral4 && params->has("llama_4_scaling_beta")) {
    c.llama4_scaling_beta = params->get_double("llama_4_scaling_beta");
    c.llama4_original_max_position =
        params->get_int("original_max_position_embeddings", config.get_int("max_position_embeddings"));
    if (c.llama4_original_max_position < 1)
      throw ModelError(config.source() + ": rope_parameters 'original_max_position_embeddings' must be >= 1 for " +
                       "llama_4_scaling_beta");
  }
  if (params && c.rope.type != "default") {
    const double mscale_all_dim = params->get_double("mscale_all_dim", 0.0);
    if (mscale_all_dim != 0.0) {
      const double m = yarn_mscale(params->get_double("factor"), mscale_all_dim);
      c.score_scale = m * m;
    }
  }
  return c;
}

void DeepseekConfig::check_loadable(const HfConfig& config) const {
  read_fp8_format(config);  // FP8 checkpoints load (fp8_store.h); any other quantization: ModelError naming it
  if (num_experts % n_group != 0 || topk_group > n_group ||
      top_k > topk_group * (num_experts / n_group))
    throw ModelError(config.source() + ": n_routed_experts (" + std::to_string(num_experts) + "), n_group (" +
                     std::to_string(n_group) + "), topk_group (" + std::to_string(topk_group) +
                     ") and num_experts_per_tok (" + std::to_string(top_k) +
                     ") do not fit: the groups must split the experts evenly and hold the top-k");
}

ModelShape deepseek_shape(const HfConfig& config, const std::string& model_type) {
  const auto c = DeepseekConfig::from_hf(config, model_type);
  const int64_t d = c.hidden_size, h = c.num_heads, rope = c.qk_rope_head_dim, vd = c.v_head_dim;
  const int64_t q_rank = c.q_lora_rank, kv_rank = c.kv_lora_rank, qk = c.qk_head_dim();
  // Multi-head latent attention as implemented (no weight absorption): q (LoRA or not), kv_a, kv_b, o.
  LayerShape attention;
  attention.attention_weights = (q_rank > 0 ? d * q_rank + q_rank * h * qk : d * h * qk) + d * (kv_rank + rope) +
                                kv_rank * h * (c.qk_nope_head_dim + vd) + h * vd * d;
  attention.heads = h;
  attention.qk_dim = qk;
  attention.v_dim = vd;
  if (c.index_topk > 0) attention.top_k_keys = c.index_topk;
  LayerShape indexed = attention;  // the indexer: wq_b, wk, weights_proj; scores over every causal key
  if (c.index_topk > 0) {
    const int64_t hi = c.index_n_heads, di = c.index_head_dim;
    indexed.attention_weights += q_rank * hi * di + d * di + d * hi;
    indexed.indexer_per_key = 2 * hi * di + 2 * hi;
  }
  const int64_t f = c.intermediate_size, fe = c.moe_intermediate_size;
  const ExpertDims experts{c.num_experts, c.top_k, fe, fe * c.n_shared_experts};
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i) {  // GLM-5's shared layers reuse a selection: no indexer
    layers.push_back(c.index_topk > 0 && c.indexer_shared[i] ? attention : indexed);
    layers[i].mlp_weights = i >= c.first_k_dense_replace ? experts.weights(d) : gated_mlp_weights(d, f);
  }
  auto shape = model_shape({d, c.num_layers, h, h, qk, f, c.vocab_size}, std::move(layers), experts);
  shape.notes.push_back("multi-head latent attention, latent expanded per head (as implemented)");
  if (c.index_topk > 0)
    shape.notes.push_back("sparse attention: each query attends to at most index_topk = " + std::to_string(c.index_topk) +
                          " keys; the indexer scores every causal key (" + std::to_string(c.index_n_heads) + " heads of " +
                          std::to_string(c.index_head_dim) + ")" +
                          (std::count(c.indexer_shared.begin(), c.indexer_shared.end(), true) > 0
                               ? " in the layers that run one; the shared layers reuse the previous choice"
                               : ""));
  return shape;
}

}  // namespace icsweep
