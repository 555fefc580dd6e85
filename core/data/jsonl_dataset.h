// Streaming JSONL dataset reader with byte offsets and a bad-record policy.
// A record is one non-blank line holding a JSON object whose `text_field` is a non-empty string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

struct TextRecord {
  int64_t sample_index = 0;  // 0-based index among the file's non-blank lines (bad ones included)
  int64_t line = 0;          // 1-based line number in the file
  uint64_t byte_offset = 0;  // offset of the line's first byte in the file
  std::string text;          // UTF-8
};

struct BadRecord {
  int64_t sample_index = 0;
  int64_t line = 0;
  uint64_t byte_offset = 0;
  std::string reason;   // short code: invalid_json | not_object | missing_text | text_not_string | empty_text | invalid_utf8
  std::string message;  // human-readable detail
};

enum class BadRecordPolicy { kSkip, kFail };
BadRecordPolicy parse_bad_record_policy(const std::string& name);  // "skip" | "fail"

struct DatasetContents {
  std::string path;
  std::vector<TextRecord> records;  // in file order
  std::vector<BadRecord> bad;       // in file order
  uint64_t file_bytes = 0;
};

// Streaming reader: call next() until it returns false. Bad records are returned through `bad`
// (policy skip) or thrown as DataError naming FILE:LINE (policy fail).
class JsonlReader {
 public:
  JsonlReader(const std::string& path, std::string text_field, BadRecordPolicy policy);
  ~JsonlReader();
  JsonlReader(const JsonlReader&) = delete;
  JsonlReader& operator=(const JsonlReader&) = delete;

  // Next good record; bad ones met on the way are appended to *bad. false at end of file.
  bool next(TextRecord* record, std::vector<BadRecord>* bad);

 private:
  struct Impl;
  Impl* impl_;
};

// Whole file at once (the plan needs every sample's length). Throws DataError when the file is
// missing, a directory, unreadable, or (policy fail) on the first bad record.
DatasetContents read_jsonl_dataset(const std::string& path, const std::string& text_field,
                                   BadRecordPolicy policy);

}  // namespace icsweep
