// Offline resolution of Hugging Face repo ids and cache folders (hf_cache.h).
#include "core/config/hf_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool valid_repo_part(const std::string& part) {
  if (part.empty() || part.front() == '.' || part.size() > 96) return false;
  return std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// "models--Qwen--Qwen2.5-7B" -> "Qwen/Qwen2.5-7B"; "" when FOLDER is not a cache repo folder.
std::string repo_id_of_cache_folder(const std::string& folder) {
  static const std::string prefix = "models--";
  if (folder.rfind(prefix, 0) != 0) return "";
  const std::string rest = folder.substr(prefix.size());
  const size_t sep = rest.find("--");
  if (sep == std::string::npos) return rest;  // a repo without an organisation ("gpt2")
  return rest.substr(0, sep) + "/" + rest.substr(sep + 2);
}

std::string repo_name(const std::string& repo_id) {
  const size_t slash = repo_id.rfind('/');
  return slash == std::string::npos ? repo_id : repo_id.substr(slash + 1);
}

std::string read_ref(const fs::path& file) {
  std::ifstream in(file);
  std::string hash;
  in >> hash;  // huggingface_hub writes the bare 40-hex commit, no newline
  return hash;
}

bool is_commit_hash(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::vector<std::string> snapshots_of(const fs::path& repo_folder) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(repo_folder / "snapshots", ec))
    if (e.is_directory(ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The snapshot of REVISION in a `models--ORG--NAME` folder: refs/REVISION, or REVISION itself when it
// is a commit hash; without an explicit revision, refs/main, else the only snapshot. "" when none.
// *why receives what was missing.
std::string snapshot_of(const fs::path& repo_folder, const std::string& revision, std::string* how,
                        std::string* why) {
  std::error_code ec;
  const std::string rev = revision.empty() ? "main" : revision;
  if (is_commit_hash(rev) && fs::is_directory(repo_folder / "snapshots" / rev, ec)) {
    *how = "snapshot " + rev;
    return rev;
  }
  const fs::path ref = repo_folder / "refs" / rev;
  if (fs::is_regular_file(ref, ec)) {
    const std::string hash = read_ref(ref);
    if (fs::is_directory(repo_folder / "snapshots" / hash, ec)) {
      *how = "refs/" + rev + " -> " + hash;
      return hash;
    }
    *why = ref.string() + " names snapshot '" + hash + "', which is not in " + (repo_folder / "snapshots").string() +
           " (an interrupted download?)";
    return "";
  }
  const std::vector<std::string> snapshots = snapshots_of(repo_folder);
  if (revision.empty() && snapshots.size() == 1) {
    *how = "its only snapshot " + snapshots.front();
    return snapshots.front();
  }
  *why = repo_folder.string() + " has no refs/" + rev +
         (snapshots.empty() ? std::string(" and no snapshot") : " and " + std::to_string(snapshots.size()) +
                                                                   " snapshots; add @REVISION (a branch, tag or commit)");
  return "";
}

std::string download_hint(const std::string& repo_id, const std::string& revision) {
  return "hf download " + repo_id + (revision.empty() ? std::string() : " --revision " + revision);
}

ModelLocation from_repo_folder(const fs::path& folder, const std::string& revision, const std::string& where) {
  ModelLocation loc;
  loc.repo_id = repo_id_of_cache_folder(folder.filename().string());
  loc.name = repo_name(loc.repo_id);
  std::string how, why;
  const std::string hash = snapshot_of(folder, revision, &how, &why);
  if (hash.empty())
    throw ConfigError("model " + loc.repo_id + (revision.empty() ? "" : "@" + revision) + ": " + why +
                      "; to fetch it: " + download_hint(loc.repo_id, revision));
  loc.dir = (folder / "snapshots" / hash).string();
  loc.revision = hash;
  loc.how = where + " (" + how + ")";
  return loc;
}

fs::path expand(const std::string& value, const std::string& base_dir) {
  fs::path p(value);
  if (value == "~" || value.rfind("~/", 0) == 0) {
    const std::string home = env("HOME");
    if (!home.empty()) p = fs::path(home) / value.substr(std::min<size_t>(2, value.size()));
  }
  if (p.is_relative()) p = fs::path(base_dir.empty() ? fs::current_path() : fs::path(base_dir)) / p;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::vector<std::string> hf_hub_cache_dirs() {
  std::vector<std::string> dirs;
  auto add = [&](const std::string& d) {
    if (!d.empty() && std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
  add(env("HF_HUB_CACHE"));
  if (!env("HF_HOME").empty()) add((fs::path(env("HF_HOME")) / "hub").string());
  if (!env("XDG_CACHE_HOME").empty()) add((fs::path(env("XDG_CACHE_HOME")) / "huggingface" / "hub").string());
  if (!env("HOME").empty()) add((fs::path(env("HOME")) / ".cache" / "huggingface" / "hub").string());
  return dirs;
}

bool looks_like_repo_id(const std::string& value) {
  const std::string id = value.substr(0, value.find('@'));
  const size_t slash = id.find('/');
  if (slash == std::string::npos || id.find('/', slash + 1) != std::string::npos) return false;
  if (value.find('@') != std::string::npos && value.size() == id.size() + 1) return false;
  return valid_repo_part(id.substr(0, slash)) && valid_repo_part(id.substr(slash + 1));
}

ModelLocation resolve_model_location(const std::string& value, const std::string& base_dir) {
  std::error_code ec;
  const fs::path path = expand(value, base_dir);
  if (fs::is_directory(path, ec)) {
    const std::string folder = path.filename().string();
    if (!repo_id_of_cache_folder(folder).empty() && fs::is_directory(path / "snapshots", ec))
      return from_repo_folder(path, "", "cache folder " + path.string());
    ModelLocation loc;
    loc.dir = path.string();
    loc.name = folder;
    loc.how = "directory";
    const fs::path repo_folder = path.parent_path().parent_path();
    const std::string repo_id = repo_id_of_cache_folder(repo_folder.filename().string());
    if (path.parent_path().filename() == "snapshots" && !repo_id.empty()) {  // .../models--o--n/snapshots/HASH
      loc.repo_id = repo_id;
      loc.name = repo_name(repo_id);
      loc.revision = folder;
      loc.how = "snapshot folder of " + repo_id;
    }
    return loc;
  }
  if (!looks_like_repo_id(value)) throw ConfigError("directory " + path.string() + " does not exist");
  const size_t at = value.find('@');
  const std::string repo_id = value.substr(0, at);
  const std::string revision = at == std::string::npos ? "" : value.substr(at + 1);
  const std::string folder = "models--" + repo_id.substr(0, repo_id.find('/')) + "--" + repo_name(repo_id);
  std::string looked;
  for (const std::string& hub : hf_hub_cache_dirs()) {
    const fs::path candidate = fs::path(hub) / folder;
    looked += "\n  " + candidate.string();
    if (fs::is_directory(candidate, ec)) return from_repo_folder(candidate, revision, "HF cache " + hub);
  }
  throw ConfigError("directory " + path.string() + " does not exist, nor is " + value +
                    " a repo in a Hugging Face cache; looked in:" + looked +
                    "\n  (set HF_HUB_CACHE or HF_HOME to where your cache is), or fetch it with: " +
                    download_hint(repo_id, revision));
}

}  // namespace icsweep
