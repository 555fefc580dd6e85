#include "driver/journal_records.h"

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

JournalReplay replay_journal(const std::vector<std::vector<uint8_t>>& records) {
  JournalReplay replay;
  for (const auto& r : records) {
    ByteReader reader(r);
    const std::string key = reader.get_string();
    std::string of;
    if (strip(key, kRestartPrefix, &of)) {
      replay.results.erase(of);
    } else if (strip(key, kCellFilePrefix, &of)) {
      replay.cell_files[of] = reader.get_string();
    } else if (strip(key, kIdentityPrefix, &of)) {
      const std::string cell_key = reader.get_string();
      replay.identities[of] = parts_from_json(reader.get_string());
      replay.fingerprints_of_key[cell_key].insert(of);
    } else {
      replay.results[key].push_back(decode_result(reader.get_vector<uint8_t>()));
      ++replay.batches;
    }
  }
  return replay;
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
                                     const IdentityParts& parts) {
  ByteWriter record;
  record.put_string(kIdentityPrefix + fingerprint);
  record.put_string(key);
  record.put_string(parts_to_json(parts));
  return record.take();
}

std::vector<uint8_t> cell_file_record(const std::string& key, const std::string& digest) {
  ByteWriter record;
  record.put_string(kCellFilePrefix + key);
  record.put_string(digest);
  return record.take();
}

}  // namespace icsweep
