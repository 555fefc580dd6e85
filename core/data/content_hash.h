// Content digests for resume identity (docs/design.md §3): XXH3-128 from Debian's libxxhash, fast enough
// (~20 GB/s on one core) to hash every dataset byte while it is read and every weights byte after a
// model load. Not cryptographic: it detects edits, not forgeries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

// Streaming digest: update() with consecutive pieces, hex() at any time (32 lowercase hex digits).
class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void update(const void* data, size_t size);
  void update(const std::string& text) { update(text.data(), text.size()); }
  std::string hex() const;

 private:
  void* state_;  // XXH3_state_t (kept out of this header)
};

// Digest of a byte string.
std::string content_digest(const std::string& bytes);

// Digest of the files' names and bytes, in the order given (mapped, not copied). Throws
// ModelError naming the file when one cannot be read. `bytes_read` (optional) receives the total.
std::string files_digest(const std::vector<std::string>& paths, uint64_t* bytes_read = nullptr);

// A model directory's weights files (*.safetensors, TorchScript *.pt), sorted by name.
std::vector<std::string> weight_files(const std::string& model_dir);

}  // namespace icsweep
