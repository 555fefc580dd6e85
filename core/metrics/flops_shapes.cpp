#include "core/metrics/flops_shapes.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/config/hf_config.h"

namespace icsweep {
namespace {

// The families of core/model/, by config.json model_type.
enum class Kind { kDense, kGpt2, kNeox, kMixtral, kQwenMoe, kDeepseek, kGlm4Moe, kGptOss, kLlama4 };
const std::map<std::string, Kind>& kinds() {
  static const std::map<std::string, Kind> k = {
      {"llama", Kind::kDense},      {"mistral", Kind::kDense},         {"qwen2", Kind::kDense},
      {"qwen3", Kind::kDense},      {"olmo2", Kind::kDense},           {"phi3", Kind::kDense},
      {"gemma3_text", Kind::kDense}, {"glm4", Kind::kDense},           {"hunyuan_v1_dense", Kind::kDense},
      {"seed_oss", Kind::kDense},   {"internlm2", Kind::kDense},       {"gpt2", Kind::kGpt2},
      {"gpt_neox", Kind::kNeox},    {"mixtral", Kind::kMixtral},       {"qwen2_moe", Kind::kQwenMoe},
      {"qwen3_moe", Kind::kQwenMoe}, {"deepseek_v2", Kind::kDeepseek}, {"deepseek_v3", Kind::kDeepseek},
      {"glm4_moe", Kind::kGlm4Moe}, {"gpt_oss", Kind::kGptOss},        {"llama4_text", Kind::kLlama4}};
  return k;
}

// Non-negative integers from the resolved config (aliases and class defaults applied).
class Keys {
 public:
  Keys(HfConfig c, std::string context) : c_(std::move(c)), context_(std::move(context)) {}
  bool has(const char* key) const { return c_.has(key); }
  int64_t get(const char* key) const {
    if (!has(key))
      throw ModelError(context_ + ": " + c_.source() + " has no '" + key + "'" +
                       (c_.class_name().empty() ? "" : " (and " + c_.class_name() + " has no default for it)"));
    const int64_t v = c_.get_int(key);
    if (v < 0) throw ModelError(context_ + ": " + c_.source() + " '" + key + "' must be non-negative, got " + std::to_string(v));
    return v;
  }
  int64_t get(const char* key, int64_t fallback) const { return has(key) ? get(key) : fallback; }
  bool flag(const char* key) const { return c_.get_bool(key, false); }
  std::vector<std::string> strings(const char* key) const { return c_.get_strings(key); }
  std::vector<int64_t> ints(const char* key) const { return c_.get_ints(key); }

 private:
  HfConfig c_;
  std::string context_;
};

// Per-layer sliding windows, as each family's implementation applies them.
std::vector<int64_t> windows(const Keys& k, const std::string& type, int64_t n) {
  std::vector<int64_t> w(n, 0);
  const auto layer_types = k.strings("layer_types");
  const bool typed = layer_types.size() == static_cast<size_t>(n);
  if (type == "mistral" || type == "mixtral" || type == "phi3") {
    w.assign(n, k.get("sliding_window", 0));
  } else if (type == "qwen2" || type == "qwen3" || type == "qwen2_moe" || type == "qwen3_moe") {
    if (k.flag("use_sliding_window") && k.get("sliding_window", 0) > 0)
      for (int64_t i = 0; i < n; ++i)
        if (typed ? layer_types[i] == "sliding_attention" : i >= k.get("max_window_layers", n)) w[i] = k.get("sliding_window");
  } else if (type == "gemma3_text" || type == "gpt_oss") {
    const int64_t pattern = k.get("sliding_window_pattern", 6);
    for (int64_t i = 0; i < n; ++i)
      if (typed ? layer_types[i] == "sliding_attention" : (i + 1) % pattern != 0) w[i] = k.get("sliding_window");
  }
  return w;
}

int64_t gated(int64_t d, int64_t f) { return 3 * d * f; }

}  // namespace

std::string exact_profile_model_types() {
  std::string s;
  for (const auto& [name, kind] : kinds()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

ModelShape exact_model_shape(const HfConfig& full, const std::string& context) {
  const HfConfig config = full.text();
  const std::string type = config.model_type();
  const auto kind_it = kinds().find(type);
  if (kind_it == kinds().end())
    throw ModelError(context + ": model_type '" + type + "' is not known to the exact profile (it knows " +
                     exact_profile_model_types() + "); use flops_profile: reference");
  const Kind kind = kind_it->second;
  const Keys k(config, context);
  ModelShape m;
  const bool gpt2 = kind == Kind::kGpt2;
  const int64_t d = k.get("hidden_size");  // GPT-2: n_embd, n_layer, n_head through GPT2Config's aliases
  const int64_t n = k.get("num_hidden_layers");
  const int64_t h = k.get("num_attention_heads");
  const int64_t V = k.get("vocab_size");
  if (h == 0 || (!k.has("head_dim") && d % h != 0))
    throw ModelError(context + ": hidden_size " + std::to_string(d) + " is not divisible by the " + std::to_string(h) +
                     " attention heads and config has no head_dim");
  const int64_t h_kv = gpt2 ? h : k.get("num_key_value_heads", h);
  const int64_t hd = gpt2 ? d / h : k.get("head_dim", d / h);
  const int64_t f = gpt2 ? k.get("n_inner", 4 * d) : k.get(kind == Kind::kLlama4 ? "intermediate_size_mlp" : "intermediate_size");
  m.lm_head_weights = d * V;
  m.dimensions = {{"hidden_size", d}, {"num_layers", n}, {"num_heads", h}, {"num_kv_heads", h_kv}, {"head_dim", hd},
                  {"intermediate_size", f}, {"vocab_size", V}};

  // Experts: E routed, top-k, expert width fe, shared width fs (0: none).
  int64_t E = 0, top_k = 0, fe = 0, fs = 0;
  switch (kind) {
    case Kind::kMixtral: case Kind::kGptOss:
      E = k.get("num_local_experts"), top_k = k.get(k.has("num_experts_per_tok") ? "num_experts_per_tok" : "experts_per_token");
      fe = k.get("intermediate_size");
      break;
    case Kind::kQwenMoe:
      E = k.get(k.has("num_experts") ? "num_experts" : "num_local_experts"), top_k = k.get("num_experts_per_tok");
      fe = k.get("moe_intermediate_size"), fs = k.get("shared_expert_intermediate_size", 0);
      break;
    case Kind::kDeepseek: case Kind::kGlm4Moe:
      E = k.get("n_routed_experts"), top_k = k.get("num_experts_per_tok"), fe = k.get("moe_intermediate_size");
      fs = fe * k.get("n_shared_experts", 0);
      break;
    case Kind::kLlama4:
      E = k.get("num_local_experts"), top_k = k.get("num_experts_per_tok"), fe = fs = k.get("intermediate_size");
      break;
    default:
      break;
  }
  if (E > 0) {
    m.dimensions.insert(m.dimensions.end(), {{"routed_experts", E}, {"experts_per_token", top_k},
                                             {"expert_intermediate_size", fe}, {"shared_intermediate_size", fs}});
    m.notes.push_back("MoE: router + " + std::to_string(top_k) + " of " + std::to_string(E) + " experts" +
                      (fs > 0 ? " + shared expert" : "") + " per token");
  }
  const auto mlp_only = k.ints("mlp_only_layers");
  const auto moe_layers = k.ints("moe_layers");
  auto is_moe = [&](int64_t i) {
    switch (kind) {
      case Kind::kMixtral: case Kind::kGptOss: return true;
      case Kind::kQwenMoe:
        return E > 0 && std::find(mlp_only.begin(), mlp_only.end(), i) == mlp_only.end() &&
               (i + 1) % std::max<int64_t>(1, k.get("decoder_sparse_step", 1)) == 0;
      case Kind::kDeepseek: case Kind::kGlm4Moe:
        return E > 0 && i >= k.get("first_k_dense_replace", 0) && i % std::max<int64_t>(1, k.get("moe_layer_freq", 1)) == 0;
      case Kind::kLlama4: {
        if (!moe_layers.empty()) return std::find(moe_layers.begin(), moe_layers.end(), i) != moe_layers.end();
        const int64_t step = std::max<int64_t>(1, k.get("interleave_moe_layer_step", 1));
        return (i + 1) % step == 0;
      }
      default: return false;
    }
  };

  const auto window = windows(k, type, n);
  const auto layer_types = k.strings("layer_types");
  for (int64_t i = 0; i < n; ++i) {
    LayerShape l;
    l.heads = h;
    l.window = window[i];
    if (kind == Kind::kDeepseek) {  // multi-head latent attention, as implemented (no weight absorption)
      const int64_t nope = k.get("qk_nope_head_dim"), rope = k.get("qk_rope_head_dim"), vd = k.get("v_head_dim");
      const int64_t q_rank = k.get("q_lora_rank", 0), kv_rank = k.get("kv_lora_rank");
      const int64_t q = q_rank > 0 ? d * q_rank + q_rank * h * (nope + rope) : d * h * (nope + rope);
      l.attention_weights = q + d * (kv_rank + rope) + kv_rank * h * (nope + vd) + h * vd * d;
      l.qk_dim = nope + rope;
      l.v_dim = vd;
    } else {
      l.attention_weights = d * h * hd + 2 * d * h_kv * hd + h * hd * d;
      l.qk_dim = l.v_dim = hd;
    }
    if (kind == Kind::kLlama4 && layer_types.size() == static_cast<size_t>(n) && layer_types[i] == "chunked_attention")
      l.chunk = k.get("attention_chunk_size");
    if (gpt2 || kind == Kind::kNeox) {
      l.mlp_weights = 2 * d * f;  // fc in, fc out
    } else if (is_moe(i)) {
      l.mlp_weights = d * E + top_k * gated(d, fe) + (fs > 0 ? gated(d, fs) : 0) + (kind == Kind::kQwenMoe && fs > 0 ? d : 0);
    } else {
      l.mlp_weights = gated(d, f);
    }
    m.layers.push_back(l);
  }
  if (std::any_of(window.begin(), window.end(), [](int64_t w) { return w > 0; }))
    m.notes.push_back("sliding windows as applied per layer");
  if (kind == Kind::kDeepseek) m.notes.push_back("multi-head latent attention, latent expanded per head (as implemented)");
  return m;
}

}  // namespace icsweep
