// The on-disk format of OUTPUT/journal.bin, all of it in one place. The journal is a sequence of
// frames (core/store/journal.h writes, checks and truncates them; nothing else knows their layout):
//   [u32 magic "ICSJ"][u64 payload length][u32 CRC-32 of payload][payload]     little-endian
// Each payload is one record (this file encodes and decodes them; nothing else does). A record
// starts with a key string (core/common/bytes.h: u64 length + bytes):
//   "<fingerprint>"            + encoded ResultMessage (protocol/messages.h, versioned there):
//                                a finished batch of the cell whose identity has that fingerprint
//   "restart:<fingerprint>"    --restart-cell (or other weights bytes): drop that identity's batches
//   "identity:<fingerprint>"   + cell key + identity parts as JSON (driver/cell_identity.h
//                                parts_to_json): the identity behind a fingerprint, so a later run
//                                can name what changed when it meets batches of another one
//   "cellfile:<cell key>"      + digest: the cell file's bytes as written, verified on resume
// What the records mean when replayed in order is driver/resume.h's business.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/messages.h"

namespace icsweep {

struct JournalRecord {
  enum class Kind { kBatch, kRestart, kIdentity, kCellFile };
  Kind kind = Kind::kBatch;
  std::string fingerprint;  // kBatch, kRestart, kIdentity
  std::string cell_key;     // kIdentity, kCellFile
  ResultMessage result;     // kBatch
  std::string parts_json;   // kIdentity
  std::string digest;       // kCellFile
};

// Throws Error when the payload is not a record (e.g. a result of an unknown version).
JournalRecord decode_journal_record(const std::vector<uint8_t>& payload);

std::vector<uint8_t> batch_record(const std::string& fingerprint, const ResultMessage& result);
std::vector<uint8_t> restart_record(const std::string& fingerprint);
std::vector<uint8_t> identity_record(const std::string& fingerprint, const std::string& key,
                                     const std::string& parts_json);
std::vector<uint8_t> cell_file_record(const std::string& key, const std::string& digest);

}  // namespace icsweep
