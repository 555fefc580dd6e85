#include "protocol/journal_records.h"

#include "core/common/bytes.h"

namespace icsweep {
namespace {

constexpr const char* kRestartPrefix = "restart:";
constexpr const char* kIdentityPrefix = "identity:";
constexpr const char* kCellFilePrefix = "cellfile:";

// The rest of KEY after PREFIX, or false when KEY does not start with it.
bool strip(const std::string& key, const char* prefix, std::string* rest) {
  const std::string p(prefix);
  if (key.rfind(p, 0) != 0) return false;
  *rest = key.substr(p.size());
  return true;
}

}  // namespace

JournalRecord decode_journal_record(const std::vector<uint8_t>& payload) {
  ByteReader reader(payload);
  const std::string key = reader.get_string();
  JournalRecord record;
  if (strip(key, kRestartPrefix, &record.fingerprint)) {
    record.kind = JournalRecord::Kind::kRestart;
  } else if (strip(key, kCellFilePrefix, &record.cell_key)) {
    record.kind = JournalRecord::Kind::kCellFile;
    record.digest = reader.get_string();
  } else if (strip(key, kIdentityPrefix, &record.fingerprint)) {
    record.kind = JournalRecord::Kind::kIdentity;
    record.cell_key = reader.get_string();
    record.parts_json = reader.get_string();
  } else {
    record.kind = JournalRecord::Kind::kBatch;
    record.fingerprint = key;
    record.result = decode_result(reader.get_vector<uint8_t>());
  }
  return record;
}

std::vector<uint8_t> batch_record(const std::string& fingerprint, const ResultMessage& result) {
  ByteWriter record;
  record.put_string(fingerprint);
  record.put_vector(encode(result));
  return record.take();
}

std::vector<uint8_t> restart_record(const std::string& fingerprint) {
  ByteWriter record;
  record.put_string(kRestartPrefix + fingerprint);
  return record.take();
}

std::vector<uint8_t> identity_record(const std::string& fingerprint, const std::string& key,
                                     const std::string& parts_json) {
  ByteWriter record;
  record.put_string(kIdentityPrefix + fingerprint);
  record.put_string(key);
  record.put_string(parts_json);
  return record.take();
}

std::vector<uint8_t> cell_file_record(const std::string& key, const std::string& digest) {
  ByteWriter record;
  record.put_string(kCellFilePrefix + key);
  record.put_string(digest);
  return record.take();
}

}  // namespace icsweep
