// Sweep YAML schema (docs/sweep-schema.md): reading, defaults, validation, path resolution.
#include "core/config/sweep_config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/common/errors.h"
#include "core/config/hf_cache.h"
#include "core/config/model_dtype.h"
#include "core/config/yaml_fields.h"

namespace icsweep {
namespace fs = std::filesystem;
using config_detail::MappingReader;
using config_detail::Position;
using config_detail::Problems;

const std::vector<std::string>& sweep_top_level_keys() {
  static const std::vector<std::string> keys = {"name", "models", "datasets", "settings"};
  return keys;
}
const std::vector<std::string>& sweep_model_keys() {
  static const std::vector<std::string> keys = {"name",          "path",      "series",   "size", "dtype",
                                                "flops_profile", "attention", "tokenizer", "gpus",
                                                "fp8_mode"};
  return keys;
}
const std::vector<std::string>& sweep_dataset_keys() {
  static const std::vector<std::string> keys = {"name", "path", "text_field", "bias", "on_bad_record"};
  return keys;
}
const std::vector<std::string>& sweep_settings_keys() {
  static const std::vector<std::string> keys = {"max_sample_length", "tokens_per_batch", "output_dir", "per_token",
                                                "device",            "flops_profile",    "threads"};
  return keys;
}

double default_bias_for(const std::string& dataset_path) {
  const std::string file = fs::path(dataset_path).filename().string();
  if (file.find("mixed_text.jsonl") != std::string::npos) return -24.0;
  if (file.find("Ch-FineWeb-Edu.jsonl") != std::string::npos) return -18.7;
  return -27.0;
}

namespace {

struct Context {
  std::string file;
  fs::path base_dir;
  bool check_paths;
  Problems* problems;
};

std::string resolve_path(const std::string& value, const fs::path& base_dir) {
  fs::path p(value);
  if (value == "~" || value.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home) p = fs::path(home) / value.substr(std::min<size_t>(2, value.size()));
  }
  if (p.is_relative()) p = base_dir / p;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();  // "models/x/" names the directory x
  return out;
}

// Names end up in file names and report rows: no path separators or control characters.
bool valid_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](unsigned char c) { return c == '/' || c == '\\' || c < 0x20; });
}

void check_name(const MappingReader& entry, const std::string& name) {
  if (!valid_name(name)) {
    entry.problem("name", "'" + name + "' cannot be used as a name (it must be non-empty, without '/', '\\' or control characters)");
  }
}

std::optional<std::string> one_of(const MappingReader& entry, const std::string& key,
                                  const std::vector<std::string>& allowed) {
  auto value = entry.string(key);
  if (!value) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) return value;
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i) list += (i ? (i + 1 == allowed.size() ? " or " : ", ") : "") + allowed[i];
  const std::string suggestion = config_detail::closest_key(*value, allowed);
  entry.problem(key, "'" + *value + "' is not valid; expected " + list +
                         (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
  return std::nullopt;
}

std::optional<std::string> normalize_dtype(const MappingReader& entry) {
  auto value = entry.string("dtype");
  if (!value) return std::nullopt;
  if (auto name = canonical_dtype_name(*value)) return name;
  entry.problem("dtype", "'" + *value + "' is not a dtype; expected auto (the checkpoint's own, as the reference "
                         "loads it), float32, bfloat16 or float16 (also fp32, bf16, fp16)");
  return std::nullopt;
}

}  // namespace

bool valid_device(const std::string& device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 8) return false;
  return std::all_of(device.begin() + 5, device.end(), [](unsigned char c) { return std::isdigit(c); });
}

namespace {

void check_directory(const MappingReader& entry, const std::string& key, const std::string& path,
                     const char* must_contain_one_of_a, const char* must_contain_one_of_b, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    entry.problem(key, "directory " + path + " does not exist");
  } else if (!fs::is_directory(path, ec)) {
    entry.problem(key, path + " is not a directory; give the " + std::string(what) + " directory");
  } else if (!fs::exists(fs::path(path) / must_contain_one_of_a, ec) &&
             (!must_contain_one_of_b || !fs::exists(fs::path(path) / must_contain_one_of_b, ec))) {
    entry.problem(key, path + " has no " + must_contain_one_of_a +
                           (must_contain_one_of_b ? std::string(" or ") + must_contain_one_of_b : std::string()) +
                           "; is it a Hugging Face " + what + " directory?");
  }
}

// A model or tokenizer location: a directory, a Hugging Face repo id or cache folder (hf_cache.h).
// False (with the problem recorded) when it cannot be found.
bool resolve_model_path(const MappingReader& entry, const std::string& key, const std::string& value,
                        const Context& ctx, std::string* dir, std::string* default_name) {
  try {
    const ModelLocation loc = resolve_model_location(value, ctx.base_dir.string());
    *dir = loc.dir;
    *default_name = loc.name;
    return true;
  } catch (const ConfigError& e) {
    entry.problem(key, e.what());
    return false;
  }
}

ModelSpec read_model(const YAML::Node& node, size_t index, const Context& ctx) {
  static const std::vector<std::pair<std::string, const std::vector<std::string>*>> kElsewhere = {
      {"datasets entries", &sweep_dataset_keys()}, {"settings", &sweep_settings_keys()}};
  MappingReader entry(node, "models[" + std::to_string(index) + "]", sweep_model_keys(), kElsewhere, ctx.problems);
  ModelSpec model;
  model.line = entry.position().line;
  entry.require("path");
  std::string default_name;
  if (auto path = entry.string("path")) {
    model.path = resolve_path(*path, ctx.base_dir);
    default_name = fs::path(model.path).filename().string();
    if (ctx.check_paths && resolve_model_path(entry, "path", *path, ctx, &model.path, &default_name))
      check_directory(entry, "path", model.path, "config.json", nullptr, "model");
  }
  model.name = entry.string("name").value_or(default_name);
  if (entry.has("name") || !model.path.empty()) check_name(entry, model.name);
  const size_t dash = model.name.rfind('-');
  model.series = entry.string("series").value_or(dash == std::string::npos ? model.name : model.name.substr(0, dash));
  model.size = entry.string("size").value_or("");
  if (entry.has("dtype")) model.dtype = normalize_dtype(entry).value_or(model.dtype);
  if (entry.has("flops_profile")) model.flops_profile = one_of(entry, "flops_profile", {"reference", "exact"}).value_or("");
  if (entry.has("attention")) model.attention = one_of(entry, "attention", {"mla", "gqa"}).value_or("");
  if (entry.has("fp8_mode")) model.fp8_mode = one_of(entry, "fp8_mode", {"auto", "dequant", "w8a8"}).value_or("auto");
  if (auto gpus = entry.integer("gpus")) {
    if (*gpus < 1 || *gpus > 64) entry.problem("gpus", "must be between 1 and 64 (devices the model's layers are split across), got " + std::to_string(*gpus));
    model.gpus = static_cast<int>(*gpus);
  }
  if (auto tokenizer = entry.string("tokenizer")) {
    model.tokenizer = resolve_path(*tokenizer, ctx.base_dir);
    std::string unused_name;
    if (ctx.check_paths && resolve_model_path(entry, "tokenizer", *tokenizer, ctx, &model.tokenizer, &unused_name))
      check_directory(entry, "tokenizer", model.tokenizer, "tokenizer.json", "tokenizer.model", "tokenizer");
  } else {
    model.tokenizer = model.path;
    if (ctx.check_paths && !model.path.empty() && fs::is_directory(model.path) &&
        !fs::exists(fs::path(model.path) / "tokenizer.json") && !fs::exists(fs::path(model.path) / "tokenizer.model")) {
      entry.problem("path", model.path + " has no tokenizer.json or tokenizer.model; add one or set 'tokenizer:' to a directory that has it");
    }
  }
  return model;
}

DatasetSpec read_dataset(const YAML::Node& node, size_t index, const Context& ctx) {
  static const std::vector<std::pair<std::string, const std::vector<std::string>*>> kElsewhere = {
      {"models entries", &sweep_model_keys()}, {"settings", &sweep_settings_keys()}};
  MappingReader entry(node, "datasets[" + std::to_string(index) + "]", sweep_dataset_keys(), kElsewhere, ctx.problems);
  DatasetSpec dataset;
  dataset.line = entry.position().line;
  entry.require("path");
  if (auto path = entry.string("path")) {
    dataset.path = resolve_path(*path, ctx.base_dir);
    std::error_code ec;
    if (ctx.check_paths) {
      const auto status = fs::status(dataset.path, ec);
      if (ec.value() == ELOOP) {
        entry.problem("path", "dataset file " + dataset.path + " is a symlink loop (its links point back at each other)");
      } else if (!fs::exists(status)) {
        entry.problem("path", "dataset file " + dataset.path + " does not exist");
      } else if (fs::is_directory(status)) {
        entry.problem("path", dataset.path + " is a directory; give a JSONL file");
      } else if (!fs::is_regular_file(status)) {  // a FIFO would block the planner, a device never ends
        entry.problem("path", dataset.path + " is not a regular file (a FIFO, socket or device); give a JSONL file");
      } else if (::access(dataset.path.c_str(), R_OK) != 0) {
        entry.problem("path", "dataset file " + dataset.path + " is not readable (check its permissions)");
      }
    }
  }
  std::string stem = fs::path(dataset.path).filename().string();
  if (stem.size() > 6 && stem.compare(stem.size() - 6, 6, ".jsonl") == 0) stem.resize(stem.size() - 6);
  dataset.name = entry.string("name").value_or(stem);
  if (entry.has("name") || !dataset.path.empty()) check_name(entry, dataset.name);
  if (auto field = entry.string("text_field")) {
    if (field->empty()) entry.problem("text_field", "must not be empty");
    dataset.text_field = *field;
  }
  dataset.bias = default_bias_for(dataset.path);
  if (auto bias = entry.number("bias")) {
    dataset.bias = *bias;
    dataset.bias_from_config = true;
  }
  if (entry.has("on_bad_record")) dataset.on_bad_record = one_of(entry, "on_bad_record", {"skip", "fail"}).value_or("skip");
  return dataset;
}

Settings read_settings(const YAML::Node* node, const Context& ctx) {
  static const std::vector<std::pair<std::string, const std::vector<std::string>*>> kElsewhere = {
      {"models entries", &sweep_model_keys()}, {"datasets entries", &sweep_dataset_keys()}};
  Settings settings;
  settings.output_dir = resolve_path("results", ctx.base_dir);
  std::optional<MappingReader> entry;
  if (node) entry.emplace(*node, "settings", sweep_settings_keys(), kElsewhere, ctx.problems);
  if (entry) {
    if (auto v = entry->integer("max_sample_length")) {
      if (*v < 2) entry->problem("max_sample_length", "must be at least 2 (the first token is never scored), got " + std::to_string(*v));
      settings.max_sample_length = *v;
    }
    if (auto v = entry->integer("tokens_per_batch")) {
      if (*v < 0) entry->problem("tokens_per_batch", "must be >= 0 (0 = automatic), got " + std::to_string(*v));
      else if (*v > 0 && *v < settings.max_sample_length)
        entry->problem("tokens_per_batch", "must be 0 (automatic) or at least max_sample_length (" +
                                               std::to_string(settings.max_sample_length) +
                                               ") so that a batch holds the longest sample, got " + std::to_string(*v));
      settings.tokens_per_batch = *v;
    }
    if (auto v = entry->string("output_dir")) settings.output_dir = resolve_path(*v, ctx.base_dir);
    if (auto v = entry->boolean("per_token")) settings.per_token = *v;
    if (auto v = entry->string("device")) {
      if (!valid_device(*v)) entry->problem("device", "'" + *v + "' is not a device; expected auto, cpu, cuda or cuda:N");
      settings.device = *v;
    }
    if (entry->has("flops_profile")) {
      settings.flops_profile = one_of(*entry, "flops_profile", {"reference", "exact"}).value_or(settings.flops_profile);
    }
    if (auto v = entry->integer("threads")) {
      if (*v < 0 || *v > 4096) entry->problem("threads", "must be between 0 (torch default) and 4096, got " + std::to_string(*v));
      settings.threads = static_cast<int>(*v);
    }
  }
  // output_dir is not checked here: `icsweep run --output` may replace it. The driver calls
  // output_dir_problem() on the directory it will really use.
  return settings;
}

// Reads a list section; each element must be a mapping. Reports missing/empty/wrong-type lists.
template <typename Spec, typename ReadOne>
std::vector<Spec> read_list(const MappingReader& root, const std::string& key, const Context& ctx, ReadOne read_one) {
  std::vector<Spec> out;
  const YAML::Node* list = root.value(key);
  if (!list) {
    root.require(key);
    return out;
  }
  if (!list->IsSequence()) {
    root.problem(key, "expected a list of entries, got " + config_detail::describe_node_type(*list));
    return out;
  }
  if (list->size() == 0) {
    root.problem(key, "the list is empty; a sweep needs at least one entry");
    return out;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const YAML::Node item = (*list)[i];
    if (!item.IsMap()) {
      ctx.problems->add(config_detail::position_of(item, root.key_position(key)), key + "[" + std::to_string(i) + "]",
                        "expected a mapping with keys like 'name:' and 'path:', got " + config_detail::describe_node_type(item));
      continue;
    }
    out.push_back(read_one(item, i, ctx));
  }
  // Names must be unique: they name result files and report rows.
  std::map<std::string, int> first_line;
  for (const Spec& spec : out) {
    auto [it, inserted] = first_line.emplace(spec.name, spec.line);
    if (!inserted) {
      ctx.problems->add({spec.line, 1}, key + ".name", "duplicate name '" + spec.name + "' (first used at line " +
                                                           std::to_string(it->second) + "); names must be unique");
    }
  }
  return out;
}

}  // namespace

SweepConfig parse_sweep_config(const std::string& text, const std::string& file_for_messages,
                               const std::string& base_dir, bool check_paths) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(file_for_messages, std::max(1, error.mark.line + 1), std::max(1, error.mark.column + 1),
                      "not valid YAML: " + error.msg);
  }
  Problems problems(file_for_messages);
  const Context ctx{file_for_messages, fs::absolute(base_dir.empty() ? "." : base_dir).lexically_normal(), check_paths,
                    &problems};
  if (root.IsNull()) {
    problems.add({1, 1}, "", "the sweep file is empty; it needs 'models:' and 'datasets:' lists (see configs/example-sweep.yaml)");
    problems.throw_all();
  }
  if (!root.IsMap()) {
    problems.add(config_detail::position_of(root), "", "expected a mapping with keys models, datasets, settings; got " +
                                                           config_detail::describe_node_type(root));
    problems.throw_all();
  }
  SweepConfig config;
  config.source_path = file_for_messages;
  config.source_text = text;
  config.source_dir = ctx.base_dir.string();
  try {
    const MappingReader top(root, "", sweep_top_level_keys(),
                            {{"a models entry", &sweep_model_keys()}, {"a datasets entry", &sweep_dataset_keys()},
                             {"settings", &sweep_settings_keys()}},
                            &problems);
    std::string stem = fs::path(file_for_messages).stem().string();
    config.name = top.string("name").value_or(stem);
    config.models = read_list<ModelSpec>(top, "models", ctx, read_model);
    config.datasets = read_list<DatasetSpec>(top, "datasets", ctx, read_dataset);
    const YAML::Node* settings = top.value("settings");
    if (settings && !settings->IsMap() && !settings->IsNull()) {
      top.problem("settings", "expected a mapping, got " + config_detail::describe_node_type(*settings));
      settings = nullptr;
    }
    config.settings = read_settings(settings && settings->IsMap() ? settings : nullptr, ctx);
  } catch (const YAML::Exception& error) {
    // yaml-cpp API misuse on odd input must not escape as a foreign exception.
    problems.add({std::max(1, error.mark.line + 1), std::max(1, error.mark.column + 1)}, "",
                 "cannot read this YAML: " + error.msg);
  }
  if (!problems.empty()) problems.throw_all();
  return config;
}

std::string output_dir_problem(const std::string& dir) {
  std::error_code ec;
  fs::path probe(dir);
  while (!probe.empty() && !fs::exists(probe, ec)) probe = probe.parent_path();
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return "output directory " + dir + " exists and is not a directory";
  if (!probe.empty() && !fs::is_directory(probe, ec)) {
    return "output directory " + dir + " cannot be created: " + probe.string() + " is not a directory";
  }
  if (probe.empty() || ::access(probe.c_str(), W_OK | X_OK) != 0) {
    return "output directory " + dir + " is not writable" +
           (probe.string() == dir ? std::string() : " (cannot create it in " + probe.string() + ")") +
           "; choose another settings.output_dir or pass --output";
  }
  return "";
}

SweepConfig load_sweep_config(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw ConfigError(path + ": is a directory; give the sweep YAML file");
  // A FIFO would block here and a device never ends: only regular files, and of a sweep file's size.
  constexpr uintmax_t kMaxSweepBytes = 16u << 20;
  const auto status = fs::status(path, ec);
  if (ec.value() == ELOOP) throw ConfigError(path + ": a symlink loop (its links point back at each other)");
  if (fs::exists(status) && !fs::is_regular_file(status))
    throw ConfigError(path + ": not a regular file (a FIFO, socket or device); give the sweep YAML file");
  if (fs::exists(status) && fs::file_size(path, ec) > kMaxSweepBytes)
    throw ConfigError(path + ": " + std::to_string(fs::file_size(path, ec)) + " bytes; a sweep file is at most " +
                      std::to_string(kMaxSweepBytes) + " bytes (is this the YAML file?)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the sweep file (does it exist? is it readable?)");
  std::ostringstream text;
  text << in.rdbuf();
  const fs::path absolute = fs::absolute(path);
  SweepConfig config = parse_sweep_config(text.str(), path, absolute.parent_path().string(), true);
  config.source_path = path;
  return config;
}

}  // namespace icsweep
