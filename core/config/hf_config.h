// Hugging Face config.json, the one reader of it in icsweep (model loading, both FLOPs profiles,
// the planner). Typed getters with errors that name the file and key. No torch here.
//
// A key is looked up the way transformers' configuration classes resolve it:
//   1. the key as written (a JSON null there means "None": absent, and no default applies);
//   2. the class's attribute_map alias, e.g. GPT-2's hidden_size -> n_embd;
//   3. for the text_config view of a multimodal wrapper, the top level (as before: transformers'
//      nested configs inherit e.g. tie_word_embeddings);
//   4. the class's constant __init__ default for that model_type (hf_config_schema.json, made by
//      scripts/gen_hf_config_schema.py from transformers), e.g. Gemma3TextConfig's head_dim 256.
// Defaults that __init__ computes from other keys (head_dim = hidden_size / heads, ...) stay with
// the caller's fallback argument.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace icsweep {

class HfConfig {
 public:
  // Reads DIR/config.json; ModelError when missing or not a JSON object.
  static HfConfig load(const std::string& model_dir);
  static HfConfig load_file(const std::string& path);  // a config.json under another name
  // `source` names the text in error messages (e.g. ".../config.json").
  static HfConfig parse(const std::string& json_text, const std::string& source);
  HfConfig(const nlohmann::json& json, std::string source);
  HfConfig();  // an empty object (no config read yet)

  // The language model's view: the "text_config" object when present (model_type its own, or the
  // wrapper's text model type), else *this.
  HfConfig text() const;
  bool is_wrapper() const;  // has a text_config object
  // A nested object (e.g. "rope_scaling"); nullopt when absent or null. No defaults inside.
  std::optional<HfConfig> object(const std::string& key) const;

  bool has(const std::string& key) const;  // resolves to a non-null value (steps 1-4 above)
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<std::string> get_strings(const std::string& key) const;  // [] when absent
  std::vector<double> get_doubles(const std::string& key) const;       // [] when absent
  std::vector<int64_t> get_ints(const std::string& key) const;         // [] when absent

  // The resolved value (steps 1-4), nullptr when absent or null.
  const nlohmann::json* value(const std::string& key) const;
  // Where value(key) comes from, for notes: "" (absent), "config.json", "n_embd (GPT2Config
  // attribute_map)", "top level", "Gemma3TextConfig default".
  std::string origin(const std::string& key) const;

  std::string model_type() const;  // whose aliases and defaults apply; "" when unknown
  std::string class_name() const;  // transformers' configuration class, or "" when unknown
  // architectures[0], or "" when absent.
  std::string architecture() const;
  const std::string& source() const { return source_; }
  const nlohmann::json& json() const { return *json_; }  // the keys as written, nothing resolved
  std::string dump() const;

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const nlohmann::json* resolve(const std::string& key, std::string* origin) const;

  std::shared_ptr<const nlohmann::json> json_;
  std::shared_ptr<const nlohmann::json> parent_;  // top level, for text_config fallbacks
  std::string source_;
  std::string model_type_;
};

}  // namespace icsweep
