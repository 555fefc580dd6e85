#include "core/data/content_hash.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/common/errors.h"

namespace icsweep {

ContentHasher::ContentHasher() : state_(XXH3_createState()) {
  if (!state_) throw std::bad_alloc();
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

ContentHasher::~ContentHasher() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void ContentHasher::update(const void* data, size_t size) {
  if (size) XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

std::string ContentHasher::hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return text;
}

std::string content_digest(const std::string& bytes) {
  ContentHasher hasher;
  hasher.update(bytes);
  return hasher.hex();
}

std::string files_digest(const std::vector<std::string>& paths, uint64_t* bytes_read) {
  ContentHasher hasher;
  uint64_t total = 0;
  for (const auto& path : paths) {
    hasher.update(std::filesystem::path(path).filename().string() + "\n");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info {};
    if (fd < 0 || ::fstat(fd, &info) != 0) {
      const int error = errno;
      if (fd >= 0) ::close(fd);
      throw ModelError(path + ": cannot be read to hash its bytes: " + std::strerror(error));
    }
    const auto size = static_cast<size_t>(info.st_size);
    if (size == 0) {
      ::close(fd);
      continue;
    }
    // Mapped, not read(): hashing the pages a model load just brought into the page cache costs no copy.
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int error = errno;
    ::close(fd);
    if (mapped == MAP_FAILED) throw ModelError(path + ": cannot be mapped to hash its bytes: " + std::strerror(error));
    ::madvise(mapped, size, MADV_SEQUENTIAL);
    hasher.update(mapped, size);
    ::munmap(mapped, size);
    total += size;
  }
  if (bytes_read) *bytes_read = total;
  return hasher.hex();
}

std::vector<std::string> weight_files(const std::string& model_dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(model_dir)) {
    const auto ext = entry.path().extension();
    if ((ext == ".safetensors" || ext == ".pt") && entry.is_regular_file()) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace icsweep
