// Crash-safe replacement of a file: write a temp file in the same directory, fsync it, rename it
// over the target, fsync the directory. A reader sees the old file or the complete new one, never
// a partial one; a failed write leaves the old file untouched and no temp file behind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

// Writes BYTES to "PATH.tmp-<pid>", fsyncs it and publishes it as PATH. Throws StoreError naming
// PATH when the directory is missing or any step fails (ENOSPC, EFBIG, EIO, ...).
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

// fsync of an existing file or directory; throws StoreError naming it.
void fsync_path(const std::string& path, bool is_directory);

}  // namespace icsweep
