#include "driver/cell_identity.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/data/content_hash.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

// Bytes [offset, offset + size) of an open file (fewer at its end).
std::string read_range(std::ifstream& in, uint64_t offset, uint64_t size) {
  std::string bytes(size, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return bytes;
}

std::string shorten(const std::string& value) {
  const bool digest = value.size() >= 32 && value.find(' ') == std::string::npos;
  return digest ? value.substr(0, 12) : value.size() > 80 ? value.substr(0, 77) + "..." : value;
}

}  // namespace

std::string model_files_digest(const std::string& model_dir, const std::string& config_text) {
  ContentHasher hasher;
  hasher.update(config_text);
  for (const auto& file : weight_files(model_dir)) {
    const fs::path path(file);
    const uint64_t size = fs::file_size(path);
    hasher.update("\n" + path.filename().string() + " " + std::to_string(size) + "\n");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError(file + ": cannot be read");
    if (path.extension() == ".pt") {  // TorchScript: a zip archive; its head and its central directory
      const uint64_t span = std::min<uint64_t>(size, 65536);
      hasher.update(read_range(in, 0, span));
      hasher.update(read_range(in, size - span, span));
      continue;
    }
    uint64_t header_length = 0;
    in.read(reinterpret_cast<char*>(&header_length), 8);
    if (in && header_length < (64u << 20) && header_length + 8 <= size) hasher.update(read_range(in, 8, header_length));
  }
  return hasher.hex();
}

std::string weights_dates(const std::string& model_dir) {
  std::string out;
  for (const auto& file : weight_files(model_dir)) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) continue;
    const long long mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
    out += (out.empty() ? "" : "; ") + fs::path(file).filename().string() + " " + std::to_string(info.st_size) +
           " " + std::to_string(mtime_ns);
  }
  return out;
}

std::string tokenizer_files_digest(const std::string& dir) {
  std::vector<std::string> present;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"})
    if (fs::is_regular_file(fs::path(dir) / name)) present.push_back((fs::path(dir) / name).string());
  return files_digest(present);
}

IdentityParts cell_identity(const std::string& model_files, const std::string& dates, const std::string& dtype,
                            const std::string& tokenizer, const std::string& dataset, const DatasetSpec& d,
                            const Settings& settings, int64_t token_budget) {
  IdentityParts parts = {{kPartModelFiles, model_files},
          {kPartWeightsDates, dates},
          {kPartDtype, dtype},
          {kPartTokenizer, tokenizer},
          {kPartDataset, dataset},
          {kPartTextField, d.text_field},
          {kPartMaxLength, std::to_string(settings.max_sample_length)},
          {kPartPerToken, settings.per_token ? "true" : "false"},
          {kPartBudget, std::to_string(token_budget)}};
  if (settings.sample_limit > 0) parts[kPartSampleLimit] = std::to_string(settings.sample_limit);
  return parts;
}

IdentityParts derived_settings(const ModelSpec& m, const DatasetSpec& d, const Settings& settings) {
  char bias[32];
  std::snprintf(bias, sizeof bias, "%.17g", d.bias);
  return {{"bias", bias},
          {"series", m.series},
          {"size", m.size},
          {"flops_profile", m.flops_profile.empty() ? settings.flops_profile : m.flops_profile},
          {"attention", m.attention},
          {"model name", m.name},
          {"dataset name", d.name}};
}

std::string parts_digest(const IdentityParts& parts) {
  ContentHasher hasher;
  for (const auto& [name, value] : parts) hasher.update(name + "=" + value + "\n");
  return hasher.hex();
}

std::string parts_to_json(const IdentityParts& parts) { return nlohmann::json(parts).dump(); }

IdentityParts parts_from_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<IdentityParts>();
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

std::vector<std::string> changed_parts(const IdentityParts& before, const IdentityParts& now) {
  std::vector<std::string> out;
  for (const auto& [name, value] : now) {
    const auto it = before.find(name);
    if (it == before.end() || it->second != value) out.push_back(name);
  }
  for (const auto& [name, value] : before)
    if (!now.count(name)) out.push_back(name);
  return out;
}

std::string describe_changes(const IdentityParts& before, const IdentityParts& now) {
  if (before.empty()) return "its inputs were not recorded (written by an older icsweep)";
  std::string out;
  for (const auto& name : changed_parts(before, now)) {
    const auto b = before.find(name), n = now.find(name);
    out += (out.empty() ? "" : "; ") + name + " (" + (b == before.end() ? "-" : shorten(b->second)) + " -> " +
           (n == now.end() ? "-" : shorten(n->second)) + ")";
  }
  return out;
}

}  // namespace icsweep
