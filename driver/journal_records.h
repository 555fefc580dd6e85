// The records of OUTPUT/journal.bin (core/store/journal.h frames them): each starts with a key string.
//   "<fingerprint>" + encoded ResultMessage      a finished batch of the cell with that identity
//   "restart:<fingerprint>"                      --restart-cell (or other weights bytes): drop its batches
//   "identity:<fingerprint>" + key + parts JSON  the identity behind a fingerprint, so a later run can
//                                                name what changed when it meets batches of another one
//   "cellfile:<cell key>" + digest               the cell file's bytes as written, verified on resume
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "driver/cell_identity.h"
#include "worker/messages.h"

namespace icsweep {

// What the journal holds, replayed in order.
struct JournalReplay {
  std::map<std::string, std::vector<ResultMessage>> results;         // fingerprint -> batches
  std::map<std::string, IdentityParts> identities;                   // fingerprint -> its identity
  std::map<std::string, std::set<std::string>> fingerprints_of_key;  // cell key -> fingerprints seen
  std::map<std::string, std::string> cell_files;  // cell key -> digest of its file as last written
  size_t batches = 0;                             // batch result records
};

JournalReplay replay_journal(const std::vector<std::vector<uint8_t>>& records);

std::vector<uint8_t> batch_record(const std::string& fingerprint, const ResultMessage& result);
std::vector<uint8_t> restart_record(const std::string& fingerprint);
std::vector<uint8_t> identity_record(const std::string& fingerprint, const std::string& key,
                                     const IdentityParts& parts);
std::vector<uint8_t> cell_file_record(const std::string& key, const std::string& digest);

}  // namespace icsweep
