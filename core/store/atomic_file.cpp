#include "core/store/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/common/errors.h"

namespace icsweep {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string parent_directory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void fsync_path(const std::string& path, bool is_directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (is_directory ? O_DIRECTORY : 0));
  if (fd < 0) throw StoreError("cannot open " + path + " to sync it: " + errno_text());
  const int status = ::fsync(fd);
  const int saved_errno = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as they allow.
  if (status != 0 && !(is_directory && (saved_errno == EINVAL || saved_errno == ENOTSUP))) {
    throw StoreError("fsync of " + path + " failed: " + std::strerror(saved_errno));
  }
}

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string directory = parent_directory(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    throw StoreError("cannot write " + path + ": directory " + directory +
                     " does not exist (create it or choose another output directory)");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw StoreError("cannot write " + path + ": a directory of that name is in the way");
  }
  const std::string temp_path = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StoreError("cannot write " + path + ": cannot create " + temp_path + ": " + errno_text());
  size_t done = 0;
  int error = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(temp_path.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    std::filesystem::remove(temp_path, ec);
    throw StoreError("cannot write " + path + " (" + std::to_string(bytes.size()) + " bytes): " +
                     std::strerror(error) +
                     (error == ENOSPC || error == EFBIG || error == EDQUOT
                          ? "; free disk space or quota (any existing file is unchanged), then re-run to resume"
                          : ""));
  }
  fsync_path(directory, true);
}

}  // namespace icsweep
