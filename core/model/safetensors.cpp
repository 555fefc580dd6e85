#include "core/model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/errors.h"
#include "core/config/safetensors_index.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

// Real headers are a few MB at most (100k tensors); anything larger is corruption, and refusing
// it keeps a bad length from making us parse gigabytes of weights as JSON.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeInfo {
  const char* name;
  StDtype dtype;
  size_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", StDtype::kBool, 1}, {"U8", StDtype::kU8, 1},     {"I8", StDtype::kI8, 1},
    {"I16", StDtype::kI16, 2},   {"I32", StDtype::kI32, 4},   {"I64", StDtype::kI64, 8},
    {"F16", StDtype::kF16, 2},   {"BF16", StDtype::kBF16, 2}, {"F32", StDtype::kF32, 4},
    {"F64", StDtype::kF64, 8},   {"F8_E4M3", StDtype::kF8E4M3, 1}, {"F8_E5M2", StDtype::kF8E5M2, 1},
    {"F8_E8M0", StDtype::kF8E8M0, 1},  // UE8M0 block scales: one exponent byte b, 2^(b - 127)
};

std::string join_problems(const std::vector<std::string>& problems, size_t limit = 50) {
  std::ostringstream out;
  for (size_t i = 0; i < problems.size() && i < limit; ++i) out << "\n  - " << problems[i];
  if (problems.size() > limit) out << "\n  ... and " << problems.size() - limit << " more";
  return out.str();
}

const char* kRedownload = "the file is truncated or corrupted: download it again";

}  // namespace

StDtype parse_st_dtype(const std::string& name, const std::string& context) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.dtype;
  throw ModelError(context + ": unknown safetensors dtype '" + name + "'");
}

const char* st_dtype_name(StDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

size_t st_dtype_size(StDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

namespace {

// The header JSON object after the u64 length prefix; *data_begin: where the data region starts.
nlohmann::json parse_header_json(const uint8_t* data, size_t size, const std::string& file, size_t* data_begin) {
  if (size < 8)
    throw ModelError(file + ": " + std::to_string(size) + " bytes, too short for a safetensors header; " +
                     kRedownload);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];  // little-endian u64
  if (header_len < 2 || header_len > kMaxHeaderBytes || header_len > size - 8)
    throw ModelError(file + ": header length " + std::to_string(header_len) + " is impossible for a file of " +
                     std::to_string(size) + " bytes; not a safetensors file, or " + kRedownload);
  *data_begin = 8 + header_len;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(file + ": header is not valid JSON (" + e.what() + "); " + kRedownload);
  }
  if (!header.is_object()) throw ModelError(file + ": header is not a JSON object; " + kRedownload);
  return header;
}

// "__metadata__": its string values go to *metadata (when given).
void read_metadata(const nlohmann::json& v, std::map<std::string, std::string>* metadata,
                   std::vector<std::string>& problems) {
  if (!v.is_object()) {
    problems.push_back("__metadata__ is not an object");
    return;
  }
  for (auto m = v.begin(); m != v.end(); ++m)
    if (metadata && m.value().is_string()) (*metadata)[m.key()] = m.value().get<std::string>();
}

// An entry's dtype and shape into e; false when either is malformed (each problem recorded).
bool read_dtype_and_shape(const nlohmann::json& v, const std::string& where, TensorEntry& e,
                          std::vector<std::string>& problems) {
  bool ok = true;
  if (!v["dtype"].is_string()) {
    problems.push_back(where + ": dtype is not a string");
    ok = false;
  } else {
    try {
      e.dtype = parse_st_dtype(v["dtype"].get<std::string>(), where);
    } catch (const ModelError& err) {
      problems.push_back(err.what());
      ok = false;
    }
  }
  if (!v["shape"].is_array()) {
    problems.push_back(where + ": shape is not an array");
    return false;
  }
  for (const auto& d : v["shape"]) {
    if (!d.is_number_unsigned()) {
      problems.push_back(where + ": shape " + v["shape"].dump() + " has a non-integer or negative dimension");
      return false;
    }
    e.shape.push_back(d.get<int64_t>());
  }
  return ok;
}

// An entry's data_offsets [begin, end) inside the data region of data_size bytes; false (problem
// recorded) otherwise.
bool read_data_offsets(const nlohmann::json& v, const std::string& where, uint64_t data_size, uint64_t* begin,
                       uint64_t* end, std::vector<std::string>& problems) {
  const auto& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
    problems.push_back(where + ": data_offsets must be two non-negative integers");
    return false;
  }
  *begin = off[0].get<uint64_t>();
  *end = off[1].get<uint64_t>();
  if (*begin > *end || *end > data_size) {
    problems.push_back(where + ": data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                       "] outside the data region of " + std::to_string(data_size) + " bytes");
    return false;
  }
  return true;
}

// numel * element size (overflow-safe) must equal the entry's byte span.
bool check_byte_span(const nlohmann::json& v, const std::string& where, const TensorEntry& e, uint64_t span,
                     std::vector<std::string>& problems) {
  __int128 expected = st_dtype_size(e.dtype);
  for (int64_t s : e.shape) expected *= s;
  if (expected == static_cast<__int128>(span)) return true;
  problems.push_back(where + ": shape " + v["shape"].dump() + " x " + st_dtype_name(e.dtype) + " needs " +
                     std::to_string(static_cast<long long>(expected)) + " bytes but data_offsets span " +
                     std::to_string(span));
  return false;
}

// Overlap check on sorted spans (empty tensors overlap nothing); spans[i] belongs to entries[i].
void check_overlaps(const std::vector<std::pair<uint64_t, uint64_t>>& spans, const std::vector<TensorEntry>& entries,
                    std::vector<std::string>& problems) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a] < spans[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    const auto& prev = spans[order[i - 1]];
    const auto& cur = spans[order[i]];
    if (cur.first < prev.second && cur.first != cur.second && prev.first != prev.second)
      problems.push_back("tensors '" + entries[order[i - 1]].name + "' and '" + entries[order[i]].name +
                         "' overlap in the data region");
  }
}

}  // namespace

std::vector<TensorEntry> parse_safetensors(const uint8_t* data, size_t size, const std::string& file,
                                           std::map<std::string, std::string>* metadata) {
  size_t data_begin = 0;
  const nlohmann::json header = parse_header_json(data, size, file, &data_begin);
  const size_t data_size = size - data_begin;

  std::vector<std::string> problems;
  std::vector<TensorEntry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // (begin, end) per entry, for the overlap check
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      read_metadata(v, metadata, problems);
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) {
      problems.push_back(where + ": entry needs dtype, shape and data_offsets");
      continue;
    }
    TensorEntry e;
    e.name = name;
    const bool typed = read_dtype_and_shape(v, where, e, problems);
    uint64_t begin = 0, end = 0;
    if (!read_data_offsets(v, where, data_size, &begin, &end, problems) || !typed) continue;
    if (!check_byte_span(v, where, e, end - begin, problems)) continue;
    e.data = data + data_begin + begin;
    e.nbytes = end - begin;
    entries.push_back(std::move(e));
    spans.emplace_back(begin, end);
  }
  check_overlaps(spans, entries, problems);
  if (!problems.empty())
    throw ModelError(file + ": invalid safetensors header (" + std::to_string(problems.size()) + " problem" +
                     (problems.size() == 1 ? "" : "s") + "; " + kRedownload + "):" + join_problems(problems));
  return entries;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(std::make_unique<std::string>(path)) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ModelError(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw ModelError(path + ": cannot stat: " + std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw ModelError(path + ": mmap failed: " + std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file alive
  try {
    static const uint8_t kEmpty = 0;
    entries_ = parse_safetensors(data_ ? data_ : &kEmpty, size_, *path_, &metadata_);
  } catch (...) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    throw;
  }
  for (auto& e : entries_) e.file = path_.get();
}

SafetensorsFile::~SafetensorsFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

void SafetensorsFile::release_pages() const {
  if (data_) ::madvise(const_cast<uint8_t*>(data_), size_, MADV_DONTNEED);
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& model_dir) : dir_(model_dir) {
  const fs::path dir(model_dir);
  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const std::map<std::string, std::string> weight_map = read_safetensors_index(index.string()).weight_map;
    std::map<std::string, const SafetensorsFile*> shards;
    for (const auto& [name, shard] : weight_map) {
      if (shards.count(shard)) continue;
      const fs::path p = dir / shard;
      if (!fs::exists(p))
        throw ModelError(index.string() + ": shard '" + shard + "' (holding '" + name +
                         "') does not exist; the download is incomplete");
      files_.push_back(std::make_unique<SafetensorsFile>(p.string()));
      shards[shard] = files_.back().get();
    }
    std::vector<std::string> problems;
    for (const auto& [name, shard] : weight_map) {
      const auto& entries = shards[shard]->entries();
      const std::string& wanted = name;  // (clang: a lambda cannot capture a structured binding in C++17)
      auto it = std::find_if(entries.begin(), entries.end(), [&](const TensorEntry& e) { return e.name == wanted; });
      if (it == entries.end())
        problems.push_back("'" + name + "' is not in " + shard);
      else
        by_name_[name] = &*it;
    }
    if (!problems.empty())
      throw ModelError(index.string() + ": weight_map disagrees with the shards:" + join_problems(problems));
  } else if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
    for (const auto& e : files_.back()->entries()) by_name_[e.name] = &e;
  } else {
    throw ModelError(model_dir + ": neither model.safetensors nor model.safetensors.index.json found "
                     "(only safetensors checkpoints are supported; convert .bin weights with transformers' "
                     "save_pretrained)");
  }
}

const TensorEntry* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

size_t SafetensorsCheckpoint::total_bytes() const {
  size_t n = 0;
  for (const auto& [name, e] : by_name_) n += e->nbytes;
  return n;
}

std::string safetensors_bytes(const std::vector<TensorData>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorData*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const TensorData* a, const TensorData* b) { return a->name < b->name; });
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorData* t : sorted) {
    header[t->name] = {{"dtype", st_dtype_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->bytes.size()}}};
    offset += t->bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff));
  out += text;
  for (const TensorData* t : sorted) out += t->bytes;
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string bytes = safetensors_bytes(tensors, metadata);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw ModelError(path + ": cannot write");
}

}  // namespace icsweep
