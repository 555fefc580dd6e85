// Models where users have them: a model location given as a Hugging Face repo id (`Qwen/Qwen2.5-7B`,
// optionally `@revision`), a cache folder `models--org--name`, a snapshot folder, or a plain
// directory, resolved offline to the directory holding config.json (README "Models from the Hugging
// Face cache"). Nothing is downloaded. The cache is huggingface_hub's layout:
//
//   HUB/models--ORG--NAME/refs/REVISION         the commit hash a branch or tag points at (text)
//   HUB/models--ORG--NAME/snapshots/COMMIT/...  the files, symlinks into ../../blobs/
//
// HUB is searched in this order: $HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub,
// ~/.cache/huggingface/hub (those that are set; the first holding the repo wins).
#pragma once

#include <string>
#include <vector>

namespace icsweep {

struct ModelLocation {
  std::string dir;        // absolute directory to read (config.json, weights, tokenizer)
  std::string name;       // default model name: the repo name ("Qwen2.5-7B"), else the folder's name
  std::string repo_id;    // "Qwen/Qwen2.5-7B" when known (repo id, cache or snapshot folder), else ""
  std::string revision;   // the commit the snapshot is ("" for a plain directory)
  std::string how;        // how it was found, for logs: "plain directory", "HF cache /x/hub (refs/main)", ...
};

// The hub cache folders to search, in order, from the environment (existing or not).
std::vector<std::string> hf_hub_cache_dirs();

// Whether VALUE has the form of a repo id: ORG/NAME or ORG/NAME@REVISION, each part of letters,
// digits, '-', '_', '.' (not starting with '.'), no other '/'.
bool looks_like_repo_id(const std::string& value);

// Resolves VALUE (as written in a sweep, or on the command line): an existing directory relative to
// BASE_DIR (or absolute, or ~/...) is used as it is, except that a `models--ORG--NAME` folder goes to
// the snapshot its refs/main names (or its only snapshot) and a snapshot folder keeps the repo name;
// else a repo id is looked up in the caches of hf_hub_cache_dirs(). Throws ConfigError (message
// without a file position) saying where it looked and the `hf download` command to run.
ModelLocation resolve_model_location(const std::string& value, const std::string& base_dir);

}  // namespace icsweep
