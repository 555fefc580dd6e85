// safetensors reader: memory-maps one file (or every shard of a model.safetensors.index.json),
// parses and validates the JSON header, and hands out raw byte spans. No torch here: the tensor
// conversion lives in weights.h so that non-model code can inspect checkpoints cheaply.
//
// File layout (https://github.com/huggingface/safetensors): u64 little-endian header length N,
// N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {str: str}}, then the data region; offsets are relative to the data region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace icsweep {

enum class StDtype { kBool, kU8, kI8, kI16, kI32, kI64, kF16, kBF16, kF32, kF64, kF8E4M3, kF8E5M2, kF8E8M0 };

// "F32" -> kF32 ...; throws ModelError for unknown names (message names `context`).
StDtype parse_st_dtype(const std::string& name, const std::string& context);
const char* st_dtype_name(StDtype dtype);
size_t st_dtype_size(StDtype dtype);  // bytes per element

struct TensorEntry {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // into the mapping; valid while the owning file lives
  size_t nbytes = 0;
  const std::string* file = nullptr;  // path of the file holding it

  int64_t numel() const;
};

// One parsed header. `data` points at the whole file (header included); `size` is its length.
// Validates: header length sane (>= 2, inside the file), JSON object, every entry has a known
// dtype, integer shape >= 0, offsets inside the data region, numel * dtype size == byte span,
// no two tensors overlap. Every problem of the file is listed in one ModelError.
std::vector<TensorEntry> parse_safetensors(const uint8_t* data, size_t size, const std::string& file,
                                           std::map<std::string, std::string>* metadata = nullptr);

// A read-only memory mapping of one .safetensors file with its validated entries.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return *path_; }
  const std::vector<TensorEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  size_t size() const { return size_; }
  // Tell the kernel we are done with the pages (after the tensors were copied out).
  void release_pages() const;

 private:
  std::unique_ptr<std::string> path_;  // stable address: entries point at it
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::vector<TensorEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a model directory: model.safetensors, or the shards listed by
// model.safetensors.index.json (each shard mapped once; every weight_map entry must be found in
// the shard it names).
class SafetensorsCheckpoint {
 public:
  explicit SafetensorsCheckpoint(const std::string& model_dir);

  const std::string& dir() const { return dir_; }
  // nullptr when absent.
  const TensorEntry* find(const std::string& name) const;
  const std::map<std::string, const TensorEntry*>& tensors() const { return by_name_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  size_t total_bytes() const;  // sum of tensor byte spans

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorEntry*> by_name_;
};

// Writing (make-tiny-model, tests): tensors laid out in name order, header padded with spaces to
// a multiple of 8 bytes as the reference implementation does.
struct TensorData {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  std::string bytes;  // little-endian element data, numel * dtype size bytes
};
std::string safetensors_bytes(const std::vector<TensorData>& tensors,
                              const std::map<std::string, std::string>& metadata = {{"format", "pt"}});
void write_safetensors(const std::string& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace icsweep
