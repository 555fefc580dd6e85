#include "core/store/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/common/errors.h"
#include "core/store/atomic_file.h"

namespace icsweep {
namespace {

// Sanity bound on one record: a length field beyond this is corruption, not a big batch.
constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 34;

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

// pread of exactly `size` bytes; false at end of file.
bool read_exactly(int fd, uint64_t offset, void* buffer, size_t size) {
  auto* out = static_cast<uint8_t*>(buffer);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

uint32_t crc32_ieee(const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Journal::Journal(const std::string& path, std::vector<std::vector<uint8_t>>* records) : path_(path) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw StoreError("cannot open journal " + path + ": " + std::strerror(errno));
  try {
    struct stat info {};
    if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
      throw StoreError("journal " + path + " is not a regular file");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      throw StoreError("journal " + path + " is in use by another icsweep process writing to the same output "
                       "directory; wait for it to end or use another output directory");
    }
    replay(records);
    if (!existed) {
      const std::filesystem::path parent = std::filesystem::path(path).parent_path();
      fsync_path(parent.empty() ? "." : parent.string(), true);
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::replay(std::vector<std::vector<uint8_t>>* records) {
  struct stat info {};
  ::fstat(fd_, &info);
  const auto file_size = static_cast<uint64_t>(info.st_size);
  uint64_t offset = 0;
  std::string problem;
  while (offset < file_size) {
    uint8_t header[kHeaderBytes];
    if (file_size - offset < kHeaderBytes || !read_exactly(fd_, offset, header, kHeaderBytes)) {
      problem = "incomplete record header";
      break;
    }
    uint32_t magic = 0, crc = 0;
    uint64_t length = 0;
    std::memcpy(&magic, header, 4);
    std::memcpy(&length, header + 4, 8);
    std::memcpy(&crc, header + 12, 4);
    if (magic != kMagic) {
      problem = "bad record marker";
      break;
    }
    if (length > kMaxRecordBytes || length > file_size - offset - kHeaderBytes) {
      problem = "record of " + std::to_string(length) + " bytes runs past the end of the file";
      break;
    }
    std::vector<uint8_t> payload(length);
    if (length && !read_exactly(fd_, offset + kHeaderBytes, payload.data(), length)) {
      problem = "short read";
      break;
    }
    if (crc32_ieee(payload.data(), payload.size()) != crc) {
      problem = "CRC mismatch";
      break;
    }
    if (records) records->push_back(std::move(payload));
    offset += kHeaderBytes + length;
  }
  size_ = offset;
  if (offset < file_size) {
    dropped_bytes_ = file_size - offset;
    dropped_reason_ = problem + " at byte " + std::to_string(offset);
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0 || ::fsync(fd_) != 0) {
      throw StoreError("cannot truncate the damaged tail of journal " + path_ + " (" + dropped_reason_ +
                       "): " + std::strerror(errno));
    }
  }
}

void Journal::append(const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> record(kHeaderBytes + payload.size());
  const uint32_t magic = kMagic;
  const uint64_t length = payload.size();
  const uint32_t crc = crc32_ieee(payload.data(), payload.size());
  std::memcpy(record.data(), &magic, 4);
  std::memcpy(record.data() + 4, &length, 8);
  std::memcpy(record.data() + 12, &crc, 4);
  if (!payload.empty()) std::memcpy(record.data() + kHeaderBytes, payload.data(), payload.size());

  size_t done = 0;
  int error = 0;
  while (done < record.size()) {
    const ssize_t n = ::pwrite(fd_, record.data() + done, record.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (error == 0 && ::fdatasync(fd_) != 0) error = errno;
  if (error != 0) {
    // Cut the partial record so the next append starts on a record boundary; if even that fails,
    // the next open drops the torn tail by its length/CRC check.
    const bool cut = ::ftruncate(fd_, static_cast<off_t>(size_)) == 0;
    (void)cut;
    throw StoreError("cannot append " + std::to_string(record.size()) + " bytes to journal " + path_ + ": " +
                     std::strerror(error) +
                     (error == ENOSPC || error == EFBIG || error == EDQUOT ? " (free disk space or quota, then "
                                                                            "re-run the same command to resume)"
                                                                          : ""));
  }
  size_ += record.size();
}

}  // namespace icsweep
