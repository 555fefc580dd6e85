// The `exact` FLOPs profile: forward (prefill) FLOPs of scoring sequences of given lengths for the
// Llama family. What is counted is listed in flops.h; everything else is refused, not estimated.
#include <algorithm>
#include <set>

#include "core/common/errors.h"
#include "core/metrics/flops.h"

namespace icsweep {
namespace {

using Int = __int128;

int64_t required(const nlohmann::json& config, const char* key, const std::string& context) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) throw ModelError(context + ": config.json has no '" + key + "'");
  if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
    throw ModelError(context + ": config.json '" + key + "' must be a positive integer, got " + it->dump());
  }
  return it->get<int64_t>();
}

int64_t optional(const nlohmann::json& config, const char* key, int64_t fallback, const std::string& context) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  return required(config, key, context);
}

// Σ_{i=0}^{L-1} min(i + 1, W): keys each causal query attends to, with a sliding window of W.
Int attended_keys(int64_t L, int64_t window) {
  if (window <= 0 || L <= window) return Int(L) * (L + 1) / 2;
  return Int(window) * (window + 1) / 2 + Int(L - window) * window;
}

}  // namespace

FlopsEstimate exact_flops(const nlohmann::json& config, const std::vector<int64_t>& lengths) {
  static const std::set<std::string> kSupportedTypes = {"llama", "mistral", "qwen2", "qwen3"};
  const std::string type = config.is_object() && config.contains("model_type") && config["model_type"].is_string()
                               ? config["model_type"].get<std::string>() : "";
  const std::string context = "exact FLOPs (model_type '" + type + "')";
  if (!kSupportedTypes.count(type)) {
    throw ModelError(context + ": not supported; the exact profile knows llama, mistral, qwen2, qwen3 "
                     "(use flops_profile: reference for other models)");
  }
  for (const char* moe_key : {"num_experts", "num_local_experts", "n_routed_experts", "moe_intermediate_size"}) {
    auto it = config.find(moe_key);
    if (it != config.end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0)) {
      throw ModelError(context + ": config has '" + moe_key + "' (mixture of experts), which the exact profile "
                       "does not count; use flops_profile: reference");
    }
  }
  if (lengths.empty()) throw ModelError(context + ": no sequence lengths given");

  const int64_t d = required(config, "hidden_size", context);
  const int64_t n = required(config, "num_hidden_layers", context);
  const int64_t h = required(config, "num_attention_heads", context);
  const int64_t h_kv = optional(config, "num_key_value_heads", h, context);
  const int64_t f = required(config, "intermediate_size", context);
  const int64_t V = required(config, "vocab_size", context);
  if (!config.contains("head_dim") && d % h != 0) {
    throw ModelError(context + ": hidden_size " + std::to_string(d) + " is not divisible by num_attention_heads " +
                     std::to_string(h) + " and config has no head_dim");
  }
  const int64_t hd = optional(config, "head_dim", d / h, context);

  FlopsEstimate e;
  e.profile = "exact";
  int64_t window = 0;  // 0 = full causal attention
  if (type == "mistral") {
    window = optional(config, "sliding_window", 0, context);
    if (window > 0) e.notes.push_back("sliding window W = " + std::to_string(window));
  } else if (type != "llama" && config.value("use_sliding_window", false)) {
    throw ModelError(context + ": use_sliding_window with per-layer windows (max_window_layers) is not counted "
                     "by the exact profile; use flops_profile: reference");
  }

  const Int proj_per_token = Int(2) * (Int(d) * h * hd + Int(2) * d * h_kv * hd + Int(h) * hd * d);
  const Int mlp_per_token = Int(2) * 3 * d * f;
  const Int lm_head_per_token = Int(2) * d * V;
  Int tokens = 0, keys = 0;
  for (int64_t L : lengths) {
    if (L < 1) throw ModelError(context + ": sequence length must be at least 1, got " + std::to_string(L));
    tokens += L;
    keys += attended_keys(L, window);
  }
  const Int proj = Int(n) * tokens * proj_per_token;
  const Int mlp = Int(n) * tokens * mlp_per_token;
  const Int attn = Int(n) * 2 * 2 * h * hd * keys;
  const Int lm_head = tokens * lm_head_per_token;
  const Int total = proj + mlp + attn + lm_head;

  e.total_flops = static_cast<double>(total);
  e.tokens = static_cast<int64_t>(tokens);
  e.flops_per_token = e.total_flops / static_cast<double>(tokens);
  e.notes.push_back("prefill of " + std::to_string(lengths.size()) + " sequence(s), real head_dim, lm_head on every position");
  e.dimensions = {{"hidden_size", d}, {"num_layers", n}, {"num_heads", h}, {"num_kv_heads", h_kv},
                  {"head_dim", hd}, {"intermediate_size", f}, {"vocab_size", V}};
  e.breakdown = {{"attention_projections", static_cast<double>(proj)},
                 {"attention_core", static_cast<double>(attn)},
                 {"mlp", static_cast<double>(mlp)},
                 {"lm_head", static_cast<double>(lm_head)}};
  return e;
}

}  // namespace icsweep
