// FLOPs profiles: see flops.h for what is counted. Totals are accumulated in 128-bit integers (the
// reference uses Python's unbounded ints) and converted to double once, correctly rounded.
#include "core/metrics/flops.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/config/hf_config.h"

namespace icsweep {
namespace {

using Int = __int128;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

// The reference stops (KeyError, int(None)) on a key that config.json does not write where it reads.
struct ReferenceKeyMissing : ModelError {
  explicit ReferenceKeyMissing(const std::string& what) : ModelError(what) {}
};

// Reads config values with Python's `cfg.get(key)` + `int(...)` semantics, either on the keys as
// written at the level the reference reads (its own behaviour), or on the text model's resolved
// values (aliases, class defaults; the fallback where the reference itself fails). A key whose
// value is JSON null counts as absent (HF configs write null for "use the default").
class ConfigReader {
 public:
  ConfigReader(HfConfig config, bool as_written, std::string context)
      : config_(std::move(config)), as_written_(as_written), context_(std::move(context)) {}

  bool has(const char* key) const { return find(key) != nullptr; }

  int64_t integer(const char* key) const {
    const nlohmann::json* v = find(key);
    if (!v) missing(std::string("no '") + key + "'");
    return to_integer(key, *v);
  }
  // `cfg.get(key, cfg.get(fallback))`
  int64_t integer_or_key(const char* key, const char* fallback) const {
    if (has(key)) return integer(key);
    if (has(fallback)) return integer(fallback);
    missing(std::string("neither '") + key + "' nor '" + fallback + "'");
  }
  int64_t integer_or(const char* key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }

  // Python truthiness of cfg.get(key).
  bool truthy(const char* key) const {
    const nlohmann::json* v = find(key);
    if (!v) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number()) return v->get<double>() != 0;
    if (v->is_string() || v->is_array() || v->is_object()) return !v->empty();
    return false;
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    const nlohmann::json* v = find(key);
    return v && v->is_string() ? v->get<std::string>() : fallback;
  }
  const HfConfig& config() const { return config_; }
  bool as_written() const { return as_written_; }
  // "hidden_size = 64 from n_embd (GPT2Config attribute_map)" for every value read that config.json
  // does not write under that name at this level.
  std::vector<std::string> resolved_notes() const { return resolved_; }

  [[noreturn]] void fail(const std::string& what) const { throw ModelError(context_ + ": " + what); }

 private:
  const nlohmann::json* find(const char* key) const {
    if (as_written_) {
      auto it = config_.json().find(key);
      return it == config_.json().end() || it->is_null() ? nullptr : &*it;
    }
    const nlohmann::json* v = config_.value(key);
    const std::string where = config_.origin(key);
    if (v && where != "config.json") {
      const std::string note = std::string(key) + " = " + v->dump() + " from " + where;
      if (std::find(resolved_.begin(), resolved_.end(), note) == resolved_.end()) resolved_.push_back(note);
    }
    return v;
  }
  [[noreturn]] void missing(const std::string& keys) const {
    const std::string what = config_.source() + " has " + keys;
    if (as_written_) throw ReferenceKeyMissing(context_ + ": " + what);
    throw ModelError(context_ + ": " + what + (config_.class_name().empty() ? "" : " (nor has " + config_.class_name() + " a default)") +
                     "; the reference formula cannot apply to this model: use flops_profile: exact");
  }
  int64_t to_integer(const char* key, const nlohmann::json& v) const {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float()) return static_cast<int64_t>(std::trunc(v.get<double>()));  // Python int(float)
    if (v.is_string()) {
      try {
        size_t used = 0;
        const int64_t parsed = std::stoll(v.get<std::string>(), &used);
        if (used == v.get<std::string>().size()) return parsed;
      } catch (const std::exception&) {
      }
    }
    fail(config_.source() + " '" + key + "' is not an integer: " + v.dump());
  }

  HfConfig config_;
  bool as_written_;
  std::string context_;
  mutable std::vector<std::string> resolved_;
};

double to_double(Int value) { return static_cast<double>(value); }

std::string format_size(double billions) {
  std::ostringstream out;
  out << billions << "B";
  return out.str();
}

// Fills total/per-token the way the reference does: decode_total_TFLOPs = total / 1e12 and
// N = decode_total_TFLOPs * 1e12 / T, in double arithmetic.
void finish_reference(FlopsEstimate* estimate, Int total, int64_t T) {
  estimate->total_flops = to_double(total);
  estimate->tokens = T;
  estimate->flops_per_token = estimate->total_flops / 1e12 * 1e12 / static_cast<double>(T);
}

FlopsEstimate reference_mla(const ConfigReader& cfg, int64_t T) {
  FlopsEstimate e;
  e.profile = "reference";
  const int64_t d = cfg.integer("hidden_size");
  const int64_t n = cfg.integer("num_hidden_layers");
  const int64_t h = cfg.integer("num_attention_heads");
  const int64_t h_kv = cfg.integer_or("num_key_value_heads", h);
  const int64_t f = cfg.integer_or_key("moe_intermediate_size", "intermediate_size");
  const int64_t V = cfg.integer("vocab_size");
  const int64_t shared = cfg.integer_or("n_shared_experts", 0);
  const int64_t per_tok = cfg.integer_or("num_experts_per_tok", 0);
  if (h <= 0) cfg.fail("num_attention_heads must be positive");
  const int64_t d_k = d / h;
  const int64_t kv = h_kv * d_k;

  const bool mla_core = contains(lowercase(cfg.string_or("model_type", "")), "deepseek") ||
                        cfg.truthy("moa") || cfg.has("n_group");
  const int64_t M = cfg.integer_or("kv_lora_rank", 1);

  const Int proj = Int(4) * d * d + Int(4) * d * kv;             // q, o: 2·d² each; k, v: 2·d·kv each
  const Int mlp = Int(6) * d * f * (shared + per_tok);           // gated expert × (shared + routed)
  const Int attn = mla_core ? Int(4) * h * d_k * T * M           // decode against M latents
                            : Int(4) * h * d_k * (Int(T) * (T - 1) / 2);
  const Int lm_head = Int(2) * T * d * V;
  const Int total = Int(n) * (Int(T) * (proj + mlp) + attn) + lm_head;

  e.notes.push_back("MLA branch: f = moe_intermediate_size, mlp = 6·d·f·(n_shared_experts + num_experts_per_tok)");
  if (shared + per_tok == 0) e.notes.push_back("no n_shared_experts/num_experts_per_tok in config: MLP counted as 0 (as the reference does)");
  e.notes.push_back(mla_core ? "MLA attention core 4·h·d_k·T·M with M = kv_lora_rank = " + std::to_string(M)
                             : "dense attention core: model_type has no 'deepseek' and config has no n_group/moa");
  e.dimensions = {{"hidden_size", d}, {"num_layers", n}, {"num_heads", h}, {"num_kv_heads", h_kv},
                  {"d_k", d_k}, {"expert_intermediate_size", f}, {"n_shared_experts", shared},
                  {"num_experts_per_tok", per_tok}, {"kv_lora_rank", mla_core ? M : 0}, {"vocab_size", V}};
  e.breakdown = {{"attention_projections", to_double(Int(n) * T * proj)},
                 {"attention_core", to_double(Int(n) * attn)},
                 {"mlp", to_double(Int(n) * T * mlp)},
                 {"lm_head", to_double(lm_head)}};
  finish_reference(&e, total, T);
  return e;
}

// The config the reference's dense formula reads for this name: config.json's top level, or its
// text_config for the gemma-3 (>= 4B: with the name's heads and V = 262208) and Llama-4 quirks.
HfConfig reference_dense_view(const HfConfig& top, const std::string& model_name, const std::string& context,
                              std::vector<std::string>* notes) {
  const std::string name = lowercase(model_name);
  double size_b = 0;
  const bool has_size = parse_size_billions(model_name, &size_b);
  auto text_config_copy = [&]() {
    const auto it = top.json().find("text_config");
    if (it == top.json().end() || !it->is_object()) throw ModelError(context + ": config.json has no object 'text_config'");
    nlohmann::json copy = *it;
    if (!copy.contains("model_type")) copy["model_type"] = top.text().model_type();
    return copy;
  };
  if (contains(name, "ruyi")) {
    if (!has_size || size_b != std::floor(size_b)) {
      throw ModelError(context + ": Ruyi quirk needs an integer size like '7B' in the model name (layers = 4 × size)");
    }
    notes->push_back("Ruyi: layers n = 4 × " + format_size(size_b) + " (config is expected to be the 7B model's)");
  }
  if (contains(name, "gemma-3")) {
    if (!has_size) {
      notes->push_back("gemma-3: no size in the name; config used as is");
    } else if (size_b >= 4) {
      nlohmann::json cfg = text_config_copy();
      cfg["vocab_size"] = 262208;
      std::string heads = "";
      if (size_b == 4) cfg["num_attention_heads"] = 8, cfg["num_key_value_heads"] = 4, heads = ", heads 8/4";
      if (size_b == 12) cfg["num_attention_heads"] = 16, cfg["num_key_value_heads"] = 8, heads = ", heads 16/8";
      if (size_b == 27) cfg["num_attention_heads"] = 32, cfg["num_key_value_heads"] = 16, heads = ", heads 32/16";
      notes->push_back("gemma-3 " + format_size(size_b) + ": text_config, V = 262208" + heads);
      return HfConfig(cfg, top.source() + " [text_config]");
    } else {
      notes->push_back("gemma-3 " + format_size(size_b) + " (< 4B): config used as is");
    }
  }
  if (contains(name, "llama-4")) {
    notes->push_back("Llama-4: text_config, f = intermediate_size_mlp, mlp = d·(6f + 4·intermediate_size)");
    return HfConfig(text_config_copy(), top.source() + " [text_config]");
  }
  return top;
}

// The dense MLP width where the config leaves it null and transformers computes it: GPT-2's and
// GPT-J's n_inner or 4·d (their MLP), Falcon's ffn_hidden_size = 4·hidden_size (FalconConfig),
// BLOOM's 4·hidden_size (its MLP). 0 when the model type has no such rule.
int64_t computed_intermediate(const ConfigReader& cfg, int64_t d, std::vector<std::string>* notes) {
  const std::string type = cfg.config().model_type();
  if ((type == "gpt2" || type == "gptj") && cfg.has("n_inner")) {
    notes->push_back("intermediate_size = n_inner");
    return cfg.integer("n_inner");
  }
  if (type == "gpt2" || type == "gptj" || type == "falcon" || type == "bloom") {
    notes->push_back("intermediate_size = 4·hidden_size, as " + type + " computes it when the config leaves it null");
    return 4 * d;
  }
  return 0;
}

FlopsEstimate reference_dense(const ConfigReader& cfg, const std::string& model_name, int64_t T) {
  const std::string name = lowercase(model_name);
  FlopsEstimate e;
  e.profile = "reference";
  const bool ruyi = contains(name, "ruyi");
  const bool llama4 = contains(name, "llama-4");
  const bool gpt_oss = contains(name, "gpt-oss");
  const bool qwen_moe = (contains(name, "qwen1.5") || contains(name, "qwen2-")) && contains(name, "b-a");
  double size_b = 0;
  parse_size_billions(model_name, &size_b);

  const int64_t d = cfg.integer("hidden_size");
  const int64_t n = ruyi ? static_cast<int64_t>(size_b) * 4 : cfg.integer_or_key("num_hidden_layers", "n_layer");
  const int64_t h = cfg.integer_or_key("num_attention_heads", "n_head");
  const int64_t h_kv = cfg.integer_or("num_key_value_heads", h);
  int64_t f = 0;
  if (llama4) {
    f = cfg.integer("intermediate_size_mlp");
  } else if (qwen_moe) {
    f = cfg.integer("intermediate_size") + cfg.integer("shared_expert_intermediate_size");
    e.notes.push_back("Qwen MoE ('B-A' in name): f = intermediate_size + shared_expert_intermediate_size");
  } else if (!cfg.as_written() && !cfg.has("intermediate_size") && !cfg.has("ffn_hidden_size")) {
    f = computed_intermediate(cfg, d, &e.notes);
  }
  if (f == 0 && !llama4 && !qwen_moe) f = cfg.integer_or_key("intermediate_size", "ffn_hidden_size");
  const int64_t V = cfg.integer("vocab_size");
  if (h <= 0) cfg.fail("num_attention_heads must be positive");
  const int64_t d_k = d / h;  // integer division; config head_dim is ignored on purpose
  const int64_t kv = h_kv * d_k;
  Int mlp = Int(6) * d * f;
  if (gpt_oss) {
    const int64_t k = cfg.integer("num_experts_per_tok");
    mlp = Int(4) * d * f * k;
    e.notes.push_back("gpt-oss: mlp = 4·d·f·num_experts_per_tok (k = " + std::to_string(k) + ")");
  } else if (llama4) {
    mlp = Int(d) * (Int(6) * f + Int(4) * cfg.integer("intermediate_size"));
  }
  const Int proj = Int(4) * d * d + Int(4) * d * kv;
  const Int attn = Int(4) * h * d_k * (Int(T) * (T - 1) / 2);  // = 2·h·d_k·T·(T−1)
  const Int lm_head = Int(2) * T * d * V;
  const Int total = Int(n) * (Int(T) * (proj + mlp) + attn) + lm_head;

  e.dimensions = {{"hidden_size", d}, {"num_layers", n},         {"num_heads", h}, {"num_kv_heads", h_kv},
                  {"d_k", d_k}, {"intermediate_size", f}, {"vocab_size", V}};
  e.breakdown = {{"attention_projections", to_double(Int(n) * T * proj)},
                 {"attention_core", to_double(Int(n) * attn)},
                 {"mlp", to_double(Int(n) * T * mlp)},
                 {"lm_head", to_double(lm_head)}};
  finish_reference(&e, total, T);
  return e;
}

// ---- Gated DeltaNet (Qwen3.5, Qwen3-Next) ----
// True when the text model has Gated DeltaNet layers: layer_types lists "linear_attention", or (no
// layer_types) its model_type defaults to them.
bool has_gated_deltanet_layers(const HfConfig& text) {
  const auto types = text.get_strings("layer_types");
  if (!types.empty()) return std::find(types.begin(), types.end(), "linear_attention") != types.end();
  const std::string type = text.model_type();
  return type == "qwen3_5_text" || type == "qwen3_5_moe_text" || type == "qwen3_next";
}
// ---- end Gated DeltaNet ----

}  // namespace

bool parse_size_billions(const std::string& name, double* billions) {
  // Leftmost match of (\d+(?:\.\d+)?)\s*(?:B|billion), case-insensitive. Backtracking can only
  // shorten a digit run or drop the fraction; a shorter run is followed by a digit and fails, so
  // trying "with fraction" then "without" at each start position is the full regex.
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  auto suffix_at = [&](size_t pos) {
    while (pos < name.size() && is_space(name[pos])) ++pos;
    return pos < name.size() && (name[pos] == 'B' || name[pos] == 'b');
  };
  for (size_t start = 0; start < name.size(); ++start) {
    if (!is_digit(name[start])) continue;
    size_t end = start;
    while (end < name.size() && is_digit(name[end])) ++end;
    if (end + 1 < name.size() && name[end] == '.' && is_digit(name[end + 1])) {
      size_t frac_end = end + 1;
      while (frac_end < name.size() && is_digit(name[frac_end])) ++frac_end;
      if (suffix_at(frac_end)) {
        *billions = std::stod(name.substr(start, frac_end - start));
        return true;
      }
    }
    if (suffix_at(end)) {
      *billions = std::stod(name.substr(start, end - start));
      return true;
    }
  }
  return false;
}

FlopsEstimate reference_flops(const HfConfig& config, const std::string& model_name, int64_t T,
                              const std::string& attention_override) {
  const std::string context = "reference FLOPs for '" + model_name + "'";
  if (T < 1) throw ModelError(context + ": token count T must be at least 1, got " + std::to_string(T));
  const std::string override_lower = lowercase(attention_override);
  bool mla = false;
  if (override_lower.empty()) {
    mla = contains(lowercase(model_name), "deepseek");
  } else if (override_lower == "mla" || override_lower == "gqa") {
    mla = override_lower == "mla";
  } else {
    throw ModelError(context + ": attention override must be 'mla' or 'gqa', got '" + attention_override + "'");
  }
  // The MLA function reads config.json's top level as is (no name quirks, no text_config).
  std::vector<std::string> view_notes;
  const HfConfig view = mla ? config : reference_dense_view(config, model_name, context, &view_notes);
  auto formula = [&](const ConfigReader& cfg) { return mla ? reference_mla(cfg, T) : reference_dense(cfg, model_name, T); };
  FlopsEstimate e;
  try {
    e = formula(ConfigReader(view, /*as_written=*/true, context));
  } catch (const ReferenceKeyMissing& stop) {
    const ConfigReader resolved(view.text(), /*as_written=*/false, context);
    e = formula(resolved);
    std::string note = std::string(stop.what()).substr(context.size() + 2) +
                       ", where the reference reads it (the reference script stops there); the same formula on the "
                       "text model's values as transformers resolves them";
    for (const auto& r : resolved.resolved_notes()) note += "; " + r;
    view_notes.push_back(note);
  }
  e.notes.insert(e.notes.begin(), view_notes.begin(), view_notes.end());
  if (mla) e.notes.insert(e.notes.begin(), override_lower.empty() ? "name contains 'deepseek'" : "attention override 'mla'");
  // Hybrids: the formula counts their linear-recurrent layers as softmax attention layers.
  const std::string type = config.text().model_type();
  const char* recurrent = has_gated_deltanet_layers(config.text())                           ? "Gated DeltaNet"
                          : type == "falcon_h1" || type == "granitemoehybrid" || type == "lfm2" ? "Mamba-2 or short-convolution"
                                                                                                : nullptr;
  if (recurrent)
    e.notes.push_back("the leaderboard formula treats every layer as attention: " + type + "'s " + recurrent +
                      " layers are counted as softmax attention layers (the exact profile counts them as computed)");
  return e;
}

FlopsEstimate flops_for_profile(const std::string& profile, const HfConfig& config,
                                const std::string& model_name, int64_t T, const std::string& attention_override) {
  if (profile == "reference") return reference_flops(config, model_name, T, attention_override);
  if (profile == "exact") return exact_flops(config, {T});
  throw ModelError("unknown FLOPs profile '" + profile + "': expected 'reference' or 'exact'");
}

}  // namespace icsweep
