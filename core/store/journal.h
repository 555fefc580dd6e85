// Append-only durable journal of finished batches for one sweep output directory (design.md §3).
// Each record: length, CRC32, payload; fsync after each append. A torn tail (crash mid-write) is
// detected by the CRC and truncated on open; everything before it is kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

class Journal {
 public:
  // Opens or creates PATH; `records` receives every intact record already in it (replay).
  Journal(const std::string& path, std::vector<std::vector<uint8_t>>* records);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one record durably (write + fdatasync). Throws StoreError on failure (e.g. disk full).
  void append(const std::vector<uint8_t>& payload);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace icsweep
