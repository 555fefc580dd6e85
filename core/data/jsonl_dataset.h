// Streaming JSONL dataset reader with byte offsets and a bad-record policy.
// A record is one non-blank line holding a JSON object whose `text_field` is a non-empty string.
// Lines end at '\n'; a '\r' before it is dropped (CRLF files), the last line needs no newline, a
// UTF-8 byte order mark at the start of the file is ignored. Blank lines (only spaces, tabs, '\r')
// are skipped but counted in line numbers. Lines may be of any length (read in 1 MiB blocks).
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
  // Short code, checked in this order: nul_byte (a raw NUL byte in the line, or U+0000 in the text),
  // invalid_utf8 (the line is not valid UTF-8), invalid_json, not_object, missing_text,
  // text_not_string, empty_text.
  std::string reason;
  std::string message;  // human-readable detail
};

enum class BadRecordPolicy { kSkip, kFail };
BadRecordPolicy parse_bad_record_policy(const std::string& name);  // "skip" | "fail"

struct DatasetContents {
  std::string path;
  std::vector<TextRecord> records;  // in file order
  std::vector<BadRecord> bad;       // in file order
  uint64_t file_bytes = 0;
  std::string content_digest;       // of every byte read (core/data/content_hash.h)
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
  // Throws DataError for read errors, for a file without any non-blank line ("no records"), and
  // (policy fail) for the first bad record.
  bool next(TextRecord* record, std::vector<BadRecord>* bad);

  int64_t lines_read() const;    // physical lines so far, blank ones included
  uint64_t bytes_read() const;   // bytes consumed so far
  std::string content_digest() const;  // digest of the bytes read so far (the whole file at the end)

 private:
  struct Impl;
  Impl* impl_;
};

// Checks one line (without its newline). Returns true and fills *text for a good record; else
// fills *reason and *message (see BadRecord::reason). Used by the reader and the fuzz target.
bool classify_jsonl_line(const std::string& line, const std::string& text_field, std::string* text,
                         std::string* reason, std::string* message);

// Whole file at once (the plan needs every sample's length). Throws DataError when the file is
// missing, a directory, unreadable, or (policy fail) on the first bad record.
DatasetContents read_jsonl_dataset(const std::string& path, const std::string& text_field,
                                   BadRecordPolicy policy);

}  // namespace icsweep
