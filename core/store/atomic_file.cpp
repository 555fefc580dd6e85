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

void write_file_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
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
  try {
    write(temp_path);
    fsync_path(temp_path, false);
    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
      throw StoreError("cannot rename " + temp_path + " to " + path + ": " + errno_text());
    }
  } catch (...) {
    std::filesystem::remove(temp_path, ec);
    throw;
  }
  fsync_path(directory, true);
}

}  // namespace icsweep
