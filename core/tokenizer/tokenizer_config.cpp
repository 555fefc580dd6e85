#include "core/tokenizer/tokenizer_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/errors.h"

namespace icsweep {
namespace {

std::optional<bool> optional_bool(const nlohmann::json& config, const char* key, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw TokenizerError(file + ": field '" + key + "' must be true or false");
  return it->get<bool>();
}

// A special token is a string, {"content": ...} (AddedToken serialisation), or null.
std::optional<std::string> token_content(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string()) {
    return value.at("content").get<std::string>();
  }
  return std::nullopt;
}

std::optional<std::string> optional_token(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  return it == config.end() ? std::nullopt : token_content(*it);
}

}  // namespace

TokenizerConfig read_tokenizer_config(const std::string& dir) {
  TokenizerConfig config;
  const std::string path = (std::filesystem::path(dir) / "tokenizer_config.json").string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return config;
  config.file = path;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(path + ": invalid JSON: " + e.what());
  }
  if (!json.is_object()) throw TokenizerError(path + ": top level must be an object");
  try {
    if (json.contains("tokenizer_class") && json.at("tokenizer_class").is_string()) {
      config.tokenizer_class = json.at("tokenizer_class").get<std::string>();
      const std::string fast = "Fast";
      if (config.tokenizer_class.size() > fast.size() &&
          config.tokenizer_class.compare(config.tokenizer_class.size() - fast.size(), fast.size(), fast) == 0) {
        config.tokenizer_class.resize(config.tokenizer_class.size() - fast.size());
      }
    }
    config.add_bos_token = optional_bool(json, "add_bos_token", path);
    config.add_eos_token = optional_bool(json, "add_eos_token", path);
    config.add_prefix_space = optional_bool(json, "add_prefix_space", path);
    config.legacy = optional_bool(json, "legacy", path);
    config.clean_up_tokenization_spaces = optional_bool(json, "clean_up_tokenization_spaces", path).value_or(false);
    config.force_clean_up_for_bpe =
        optional_bool(json, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", path)
            .value_or(false);
    config.bos_token = optional_token(json, "bos_token");
    config.eos_token = optional_token(json, "eos_token");
    config.unk_token = optional_token(json, "unk_token");
    config.pad_token = optional_token(json, "pad_token");
    for (const char* key : {"additional_special_tokens", "extra_special_tokens"}) {
      // A list (v4 additional_special_tokens, v5 extra_special_tokens) or, in v5, a dict of named
      // extras such as {"image_token": "<image>"}: either way the values are special tokens.
      const auto it = json.find(key);
      if (it == json.end() || !(it->is_array() || it->is_object())) continue;
      for (const auto& value : *it) {
        if (auto content = token_content(value)) config.extra_special_tokens.push_back(*content);
      }
    }
    if (json.contains("added_tokens_decoder") && json.at("added_tokens_decoder").is_object()) {
      for (const auto& [key, value] : json.at("added_tokens_decoder").items()) {
        AddedToken token;
        token.id = std::stoi(key);
        token.content = value.at("content").get<std::string>();
        token.special = value.value("special", false);
        token.lstrip = value.value("lstrip", false);
        token.rstrip = value.value("rstrip", false);
        token.single_word = value.value("single_word", false);
        token.normalized = value.value("normalized", !token.special);
        config.added_tokens_decoder[token.id] = token;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(path + ": malformed field: " + e.what());
  } catch (const std::invalid_argument&) {
    throw TokenizerError(path + ": added_tokens_decoder keys must be integer ids");
  }
  return config;
}

std::string clean_up_tokenization(const std::string& text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out = text;
  // Applied rule by rule over the whole string, like Python's chained str.replace calls.
  for (const auto& [from, to] : kRules) {
    const std::string needle(from);
    std::string next;
    next.reserve(out.size());
    size_t pos = 0, hit;
    while ((hit = out.find(needle, pos)) != std::string::npos) {
      next.append(out, pos, hit - pos);
      next += to;
      pos = hit + needle.size();
    }
    next.append(out, pos, std::string::npos);
    out.swap(next);
  }
  return out;
}

}  // namespace icsweep
