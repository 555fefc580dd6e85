#include "core/tokenizer/sentencepiece_library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/common/errors.h"

namespace icsweep {
namespace {

struct PluginApi {
  void* (*load)(const char*, char*, size_t) = nullptr;
  void (*free_handle)(void*) = nullptr;
  int (*bos_id)(void*) = nullptr;
  int (*eos_id)(void*) = nullptr;
  int (*piece_count)(void*) = nullptr;
  const char* (*piece)(void*, int, size_t*) = nullptr;
  int (*encode)(void*, const char*, size_t, int**, size_t*, char*, size_t) = nullptr;
};

// Candidates: $ICSWEEP_SPM_PLUGIN, the build tree's copy, and beside the running executable.
std::vector<std::string> plugin_candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("ICSWEEP_SPM_PLUGIN")) paths.push_back(env);
#ifdef ICSWEEP_SPM_PLUGIN_PATH
  paths.push_back(ICSWEEP_SPM_PLUGIN_PATH);
#endif
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) paths.push_back((exe.parent_path() / "libicsweep_sentencepiece.so").string());
  return paths;
}

const PluginApi& plugin() {
  static std::once_flag once;
  static PluginApi api;
  static std::string failure;
  std::call_once(once, [] {
    void* library = nullptr;
    std::string tried;
    for (const auto& path : plugin_candidates()) {
      library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (library) break;
      tried += "\n  " + path + ": " + dlerror();
    }
    if (!library) {
      failure = "cannot open the SentencePiece plugin libicsweep_sentencepiece.so (set ICSWEEP_SPM_PLUGIN):" + tried;
      return;
    }
    auto bind = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(dlsym(library, name));
      if (!slot) failure = std::string("SentencePiece plugin lacks ") + name;
    };
    bind(api.load, "icsweep_spm_load");
    bind(api.free_handle, "icsweep_spm_free");
    bind(api.bos_id, "icsweep_spm_bos_id");
    bind(api.eos_id, "icsweep_spm_eos_id");
    bind(api.piece_count, "icsweep_spm_piece_count");
    bind(api.piece, "icsweep_spm_piece");
    bind(api.encode, "icsweep_spm_encode");
  });
  if (!failure.empty()) throw TokenizerError(failure);
  return api;
}

}  // namespace

SentencePieceModel::SentencePieceModel(const std::string& file) : file_(file) {
  const PluginApi& api = plugin();
  char error[1024] = {0};
  handle_ = api.load(file.c_str(), error, sizeof error);
  if (!handle_) throw TokenizerError(file + ": cannot load SentencePiece model: " + error);
  bos_id_ = api.bos_id(handle_);
  eos_id_ = api.eos_id(handle_);
  const int count = api.piece_count(handle_);
  pieces_.reserve(count);
  for (int id = 0; id < count; ++id) {
    size_t length = 0;
    const char* piece = api.piece(handle_, id, &length);
    pieces_.emplace_back(piece, length);
  }
}

SentencePieceModel::~SentencePieceModel() {
  if (handle_) plugin().free_handle(handle_);
}

std::vector<int32_t> SentencePieceModel::encode(std::string_view text) const {
  int* ids = nullptr;
  size_t count = 0;
  char error[1024] = {0};
  if (plugin().encode(handle_, text.data(), text.size(), &ids, &count, error, sizeof error) != 0)
    throw TokenizerError(file_ + ": SentencePiece encode failed: " + error);
  std::vector<int32_t> out(ids, ids + count);
  std::free(ids);
  return out;
}

}  // namespace icsweep
