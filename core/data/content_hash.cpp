#include "core/data/content_hash.h"

#include <fcntl.h>
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
  std::vector<char> block(8 << 20);
  uint64_t total = 0;
  for (const auto& path : paths) {
    hasher.update(std::filesystem::path(path).filename().string() + "\n");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ModelError(path + ": cannot be read to verify its bytes: " + std::strerror(errno));
    for (;;) {
      const ssize_t got = ::read(fd, block.data(), block.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        const int error = errno;
        ::close(fd);
        throw ModelError(path + ": read error while hashing its bytes: " + std::strerror(error));
      }
      if (got == 0) break;
      hasher.update(block.data(), static_cast<size_t>(got));
      total += static_cast<uint64_t>(got);
    }
    ::close(fd);
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
