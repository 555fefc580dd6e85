// JSONL reading: records with byte offsets and line numbers, bad records per reason, file problems.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"
#include "core/data/jsonl_dataset.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = testing::scratch_dir("jsonl_" + name) + "/" + name + ".jsonl";
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(JsonlDataset, RecordsCarryLineNumbersOffsetsAndSampleIndices) {
  const std::string l1 = R"({"text": "alpha", "id": 1})";
  const std::string l3 = R"({"text": "b\u00e9ta"})";
  const std::string l5 = R"({"text": "gamma"})";
  // line 2 empty, line 3 CRLF-terminated, line 4 blank with spaces, line 5 without a final newline
  const std::string bytes = l1 + "\n" + "\n" + l3 + "\r\n" + "  \t\n" + l5;
  const DatasetContents c = read_jsonl_dataset(write_file("offsets", bytes), "text", BadRecordPolicy::kFail);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_TRUE(c.bad.empty());
  EXPECT_EQ(c.file_bytes, bytes.size());
  EXPECT_EQ(c.records[0].text, "alpha");
  EXPECT_EQ(c.records[0].line, 1);
  EXPECT_EQ(c.records[0].byte_offset, 0u);
  EXPECT_EQ(c.records[0].sample_index, 0);
  EXPECT_EQ(c.records[1].text, "b\xC3\xA9ta");
  EXPECT_EQ(c.records[1].line, 3);
  EXPECT_EQ(c.records[1].byte_offset, l1.size() + 2);
  EXPECT_EQ(c.records[1].sample_index, 1);
  EXPECT_EQ(c.records[2].text, "gamma");
  EXPECT_EQ(c.records[2].line, 5);
  EXPECT_EQ(c.records[2].byte_offset, l1.size() + 2 + l3.size() + 2 + 4);
  EXPECT_EQ(c.records[2].sample_index, 2);
}

TEST(JsonlDataset, BadRecordsAreCountedPerReasonUnderSkip) {
  const std::string bytes = std::string("{\"text\": \"ok\"}\n") +  // 1
                            "{\"text\": \"unterminated}\n" +         // 2 invalid_json
                            "[\"text\"]\n" +                         // 3 not_object
                            "{\"content\": \"x\", \"id\": 3}\n" +    // 4 missing_text
                            "{\"text\": 42}\n" +                     // 5 text_not_string
                            "{\"text\": \"\"}\n" +                   // 6 empty_text
                            "{\"text\": \"\xFF\xFE\"}\n" +           // 7 invalid_utf8
                            std::string("{\"text\": \"a\0b\"}\n", 16) +  // 8 raw NUL byte
                            "{\"text\": \"a\\u0000b\"}\n" +          // 9 U+0000 in the text
                            "{\"text\": \"\xED\xA0\x80\"}\n" +       // 10 encoded surrogate: invalid UTF-8
                            "\n" +                                   // 11 blank
                            "{\"text\": \"last\"}\n";                // 12
  const DatasetContents c = read_jsonl_dataset(write_file("bad", bytes), "text", BadRecordPolicy::kSkip);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].text, "last");
  EXPECT_EQ(c.records[1].line, 12);
  EXPECT_EQ(c.records[1].sample_index, 10);  // blank line 11 is not a sample
  const std::vector<std::pair<int64_t, std::string>> expected = {
      {2, "invalid_json"}, {3, "not_object"}, {4, "missing_text"}, {5, "text_not_string"}, {6, "empty_text"},
      {7, "invalid_utf8"}, {8, "nul_byte"},   {9, "nul_byte"},     {10, "invalid_utf8"}};
  ASSERT_EQ(c.bad.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(c.bad[i].line, expected[i].first) << i;
    EXPECT_EQ(c.bad[i].reason, expected[i].second) << i;
    EXPECT_EQ(c.bad[i].sample_index, expected[i].first - 1) << i;
    EXPECT_FALSE(c.bad[i].message.empty());
  }
  EXPECT_NE(c.bad[2].message.find("fields: content, id"), std::string::npos) << c.bad[2].message;
  EXPECT_NE(c.bad[3].message.find("is a number"), std::string::npos) << c.bad[3].message;
  EXPECT_EQ(c.bad[0].byte_offset, 15u);  // after line 1's 14 bytes and its newline
}

TEST(JsonlDataset, FailPolicyStopsAtTheFirstBadLineWithFileAndLine) {
  const std::string path = write_file("fail", "{\"text\": \"ok\"}\n\n{\"text\": 7}\n{oops\n");
  try {
    read_jsonl_dataset(path, "text", BadRecordPolicy::kFail);
    FAIL() << "expected DataError";
  } catch (const DataError& error) {
    EXPECT_EQ(error.line(), 3);
    EXPECT_EQ(error.file(), path);
    EXPECT_EQ(std::string(error.what()).rfind(path + ":3: text_not_string: field 'text' is a number", 0), 0u)
        << error.what();
  }
}

TEST(JsonlDataset, OnlyBadRecordsUnderSkipGiveZeroRecords) {
  const DatasetContents c = read_jsonl_dataset(write_file("allbad", "1\n2\n"), "text", BadRecordPolicy::kSkip);
  EXPECT_TRUE(c.records.empty());
  EXPECT_EQ(c.bad.size(), 2u);
}

TEST(JsonlDataset, CustomTextFieldAndByteOrderMark) {
  const DatasetContents c = read_jsonl_dataset(write_file("field", "\xEF\xBB\xBF{\"body\": \"x\", \"text\": 1}\n"),
                                               "body", BadRecordPolicy::kFail);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].text, "x");
}

TEST(JsonlDataset, HundredMegabyteLineAndBlockBoundaries) {
  // One 100 MB text, then lines whose ends straddle the 1 MiB read blocks.
  const std::string big(100u << 20, 'x');
  std::string bytes = "{\"text\": \"" + big + "\"}\n";
  std::vector<uint64_t> offsets = {0};
  for (int i = 0; i < 50; ++i) {
    offsets.push_back(bytes.size());
    bytes += "{\"text\": \"" + std::string(40000 + 977 * i, 'a' + i % 26) + "\"}\n";
  }
  const std::string path = write_file("big", bytes);
  JsonlReader reader(path, "text", BadRecordPolicy::kFail);
  TextRecord record;
  std::vector<BadRecord> bad;
  ASSERT_TRUE(reader.next(&record, &bad));
  EXPECT_EQ(record.text.size(), big.size());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(reader.next(&record, &bad)) << i;
    EXPECT_EQ(record.byte_offset, offsets[i + 1]) << i;
    EXPECT_EQ(record.text.size(), 40000u + 977u * i) << i;
    EXPECT_EQ(record.line, i + 2);
  }
  EXPECT_FALSE(reader.next(&record, &bad));
  EXPECT_TRUE(bad.empty());
  EXPECT_EQ(reader.bytes_read(), bytes.size());
  EXPECT_EQ(reader.lines_read(), 51);
}

void expect_data_error(const std::string& path, const std::string& fragment) {
  try {
    read_jsonl_dataset(path, "text", BadRecordPolicy::kSkip);
    ADD_FAILURE() << "expected DataError for " << path;
  } catch (const DataError& error) {
    EXPECT_EQ(std::string(error.what()).rfind(path + ": ", 0), 0u) << error.what();
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

TEST(JsonlDataset, FileProblemsNameTheFileAndWhatToDo) {
  const std::string dir = testing::scratch_dir("jsonl_files");
  expect_data_error(dir + "/absent.jsonl", "does not exist; check the dataset path");
  expect_data_error(dir, "is a directory");
  expect_data_error(write_file("empty", ""), "no records: the file is empty");
  expect_data_error(write_file("blank", "\n  \n\r\n"), "no records: the file has only blank lines");
  if (::geteuid() != 0) {
    const std::string locked = write_file("locked", "{\"text\": \"x\"}\n");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    expect_data_error(locked, "cannot open the dataset file");
  }
}

TEST(JsonlDataset, PolicyNames) {
  EXPECT_EQ(parse_bad_record_policy("skip"), BadRecordPolicy::kSkip);
  EXPECT_EQ(parse_bad_record_policy("fail"), BadRecordPolicy::kFail);
  EXPECT_THROW(parse_bad_record_policy("ignore"), Error);
}

TEST(JsonlDataset, SharedDatasetsReadCompletely) {
  // Every line of the vendored test datasets is a good record; count lines independently.
  for (const auto& entry : std::filesystem::directory_iterator(testing::testdata_dir() + "/datasets")) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream whole;
    whole << in.rdbuf();
    const std::string bytes = whole.str();
    const size_t lines = std::count(bytes.begin(), bytes.end(), '\n') + (bytes.empty() || bytes.back() == '\n' ? 0 : 1);
    const DatasetContents c = read_jsonl_dataset(entry.path().string(), "text", BadRecordPolicy::kFail);
    EXPECT_EQ(c.records.size(), lines) << entry.path();
    EXPECT_EQ(c.file_bytes, bytes.size());
    for (const auto& record : c.records) {
      ASSERT_EQ(bytes[record.byte_offset], '{') << entry.path() << " line " << record.line;
    }
  }
}

}  // namespace
}  // namespace icsweep

namespace icsweep {
namespace {

// A valid JSON number past double's range in another field dropped the record as invalid
// JSON; Python's json.loads reads it (as inf) and keeps the record.
TEST(JsonlLine, NumberOutOfDoubleRangeInAnotherFieldKeepsTheRecord) {
  std::string text, reason, message;
  EXPECT_TRUE(classify_jsonl_line(R"({"score": 1e400, "text": "a \"1e400\" b", "n": [-2E+999, 3]})", "text", &text,
                                  &reason, &message))
      << reason << ": " << message;
  EXPECT_EQ(text, "a \"1e400\" b");
  EXPECT_FALSE(classify_jsonl_line(R"({"text": 1e400})", "text", &text, &reason, &message));
  EXPECT_EQ(reason, "text_not_string");
}

}  // namespace
}  // namespace icsweep
