// Streaming JSONL reader: POSIX reads of 1 MiB blocks, lines assembled across blocks, so memory is
// one block plus the longest line.
#include "core/data/jsonl_dataset.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/common/errors.h"
#include "core/data/content_hash.h"

namespace icsweep {
namespace {

constexpr size_t kBlockBytes = 1 << 20;

bool is_blank(const std::string& line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

BadRecordPolicy parse_bad_record_policy(const std::string& name) {
  if (name == "skip") return BadRecordPolicy::kSkip;
  if (name == "fail") return BadRecordPolicy::kFail;
  throw Error("on_bad_record must be 'skip' or 'fail', got '" + name + "'");
}

struct JsonlReader::Impl {
  std::string path;
  std::string text_field;
  BadRecordPolicy policy;
  int fd = -1;
  std::vector<char> block = std::vector<char>(kBlockBytes);
  size_t block_pos = 0, block_len = 0;
  bool at_eof = false;
  uint64_t consumed = 0;      // bytes of the file consumed by returned lines
  int64_t line_number = 0;    // physical lines read
  int64_t sample_index = 0;   // non-blank lines read
  std::string line;
  ContentHasher hasher;       // every byte read, for the resume identity

  // Reads more of the file into the block; false at end of file.
  bool refill() {
    if (at_eof) return false;
    for (;;) {
      const ssize_t got = ::read(fd, block.data(), block.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw DataError(path, line_number + 1, std::string("read error: ") + std::strerror(errno));
      block_pos = 0;
      block_len = static_cast<size_t>(got);
      hasher.update(block.data(), block_len);
      if (got == 0) at_eof = true;
      return got > 0;
    }
  }

  // Next physical line without its '\n' (and '\r'); false at end of file.
  bool read_line(uint64_t* offset) {
    line.clear();
    *offset = consumed;
    bool any = false;
    for (;;) {
      if (block_pos == block_len && !refill()) break;
      any = true;
      const char* start = block.data() + block_pos;
      const size_t available = block_len - block_pos;
      const void* newline = std::memchr(start, '\n', available);
      const size_t take = newline ? static_cast<const char*>(newline) - start : available;
      line.append(start, take);
      block_pos += take + (newline ? 1 : 0);
      consumed += take + (newline ? 1 : 0);
      if (newline) break;
    }
    if (!any) return false;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
    return true;
  }
};

JsonlReader::JsonlReader(const std::string& path, std::string text_field, BadRecordPolicy policy)
    : impl_(new Impl) {
  impl_->path = path;
  impl_->text_field = std::move(text_field);
  impl_->policy = policy;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    delete impl_;
    throw DataError(path, 0, error == ENOENT ? "dataset file does not exist; check the dataset path in the sweep file"
                             : error == ELOOP ? "a symlink loop: the path's symbolic links point back at each other"
                                              : std::string("cannot access the dataset file: ") + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) {
    delete impl_;
    throw DataError(path, 0, "is a directory; a dataset path must name a JSONL file");
  }
  if (!S_ISREG(info.st_mode)) {  // a FIFO would block open() and reading; a device never ends
    delete impl_;
    throw DataError(path, 0, "is not a regular file (a FIFO, socket or device); a dataset path must name a JSONL file");
  }
  impl_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl_->fd < 0) {
    const int error = errno;
    delete impl_;
    throw DataError(path, 0, std::string("cannot open the dataset file: ") + std::strerror(error) +
                                 (error == EACCES ? " (check its permissions)" : ""));
  }
  if (S_ISREG(info.st_mode) && info.st_size == 0) {
    ::close(impl_->fd);
    delete impl_;
    throw DataError(path, 0, "no records: the file is empty; a dataset needs one JSON object per line");
  }
}

JsonlReader::~JsonlReader() {
  if (impl_->fd >= 0) ::close(impl_->fd);
  delete impl_;
}

int64_t JsonlReader::lines_read() const { return impl_->line_number; }
uint64_t JsonlReader::bytes_read() const { return impl_->consumed; }
std::string JsonlReader::content_digest() const { return impl_->hasher.hex(); }

bool JsonlReader::next(TextRecord* record, std::vector<BadRecord>* bad) {
  Impl& s = *impl_;
  uint64_t offset = 0;
  std::string reason, message;
  while (s.read_line(&offset)) {
    if (is_blank(s.line)) continue;
    const int64_t index = s.sample_index++;
    if (classify_jsonl_line(s.line, s.text_field, &record->text, &reason, &message)) {
      record->sample_index = index;
      record->line = s.line_number;
      record->byte_offset = offset;
      return true;
    }
    if (s.policy == BadRecordPolicy::kFail) {
      throw DataError(s.path, s.line_number, reason + ": " + message +
                                                 " (fix the line, or set on_bad_record: skip to count and skip such lines)");
    }
    if (bad) bad->push_back({index, s.line_number, offset, reason, message});
  }
  if (s.sample_index == 0) {
    throw DataError(s.path, 0, "no records: the file has only blank lines; a dataset needs one JSON object per line");
  }
  return false;
}

DatasetContents read_jsonl_dataset(const std::string& path, const std::string& text_field, BadRecordPolicy policy) {
  JsonlReader reader(path, text_field, policy);
  DatasetContents contents;
  contents.path = path;
  TextRecord record;
  while (reader.next(&record, &contents.bad)) contents.records.push_back(std::move(record));
  contents.file_bytes = reader.bytes_read();
  contents.content_digest = reader.content_digest();
  return contents;
}

}  // namespace icsweep
