// Hugging Face config.json: typed getters with defaults and errors that name the file and key.
// No torch here. Multimodal checkpoints nest the language model's keys under "text_config";
// text() returns that view (or the config itself) so families read one flat set of keys.
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
  // `source` names the text in error messages (e.g. ".../config.json").
  static HfConfig parse(const std::string& json_text, const std::string& source);
  HfConfig(const nlohmann::json& json, std::string source);

  // The "text_config" sub-object when present (keys missing there fall back to the top level,
  // as transformers' nested configs inherit e.g. tie_word_embeddings), else *this.
  HfConfig text() const;
  // A nested object (e.g. "rope_scaling"); nullopt when absent or null.
  std::optional<HfConfig> object(const std::string& key) const;

  bool has(const std::string& key) const;  // present and not null
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<std::string> get_strings(const std::string& key) const;  // [] when absent
  std::vector<double> get_doubles(const std::string& key) const;       // [] when absent

  // architectures[0], or "" when absent.
  std::string architecture() const;
  const std::string& source() const { return source_; }
  const nlohmann::json& json() const { return *json_; }
  std::string dump() const;

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const nlohmann::json* lookup(const std::string& key) const;  // nullptr when absent or null

  std::shared_ptr<const nlohmann::json> json_;
  std::shared_ptr<const nlohmann::json> parent_;  // top level, for text_config fallbacks
  std::string source_;
};

}  // namespace icsweep
