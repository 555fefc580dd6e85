// Append-only durable journal of finished batches for one sweep output directory (docs/design.md §3).
// Each record: [u32 magic][u64 payload length][u32 CRC32 of payload][payload], little-endian,
// fdatasync after each append. A torn tail (crash mid-write) or a corrupt record is detected by the
// magic/length/CRC and truncated on open; every record before it is kept. Dropping records is safe:
// the batches they describe are simply scored again on resume. What a payload holds is
// protocol/journal_records.h's (it documents the whole file format).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

class Journal {
 public:
  // Opens or creates PATH; `records` receives every intact record already in it (replay).
  // Holds an exclusive lock on the file: a second Journal on the same path (another icsweep run
  // on the same output directory) throws StoreError.
  Journal(const std::string& path, std::vector<std::vector<uint8_t>>* records);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one record durably (write + fdatasync). Throws StoreError on failure (e.g. disk full);
  // the partial record is then cut off again so the journal stays readable.
  void append(const std::vector<uint8_t>& payload);

  const std::string& path() const { return path_; }
  // Bytes cut from the end of the file on open (0 when it was intact) and why, for the log.
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  const std::string& dropped_reason() const { return dropped_reason_; }
  uint64_t size_bytes() const { return size_; }

  static constexpr uint32_t kMagic = 0x4A534349;  // "ICSJ" in a little-endian dump
  static constexpr size_t kHeaderBytes = 4 + 8 + 4;

 private:
  void replay(std::vector<std::vector<uint8_t>>* records);

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;  // bytes of intact records
  uint64_t dropped_bytes_ = 0;
  std::string dropped_reason_;
};

// CRC-32 (IEEE 802.3, as zlib's crc32 and Python's zlib.crc32).
uint32_t crc32_ieee(const uint8_t* data, size_t size);

}  // namespace icsweep
