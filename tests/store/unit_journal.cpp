#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/store/journal.h"
#include "fsize_limit.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;
using Records = std::vector<std::vector<uint8_t>>;

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

void append_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

// Header of one record as the format defines it: magic, u64 length, CRC32, little-endian.
std::string record_header(uint64_t length, uint32_t crc) {
  std::string header(16, '\0');
  const uint32_t magic = Journal::kMagic;
  std::memcpy(header.data(), &magic, 4);
  std::memcpy(header.data() + 4, &length, 8);
  std::memcpy(header.data() + 12, &crc, 4);
  return header;
}

TEST(Journal, Crc32MatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32_ieee(reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xCBF43926u);
}

TEST(Journal, AppendedRecordsAreReplayedInOrder) {
  const std::string path = testing::scratch_dir("journal_replay") + "/journal.bin";
  {
    Records none;
    Journal journal(path, &none);
    EXPECT_TRUE(none.empty());
    journal.append(bytes_of("batch 0"));
    journal.append({});
    journal.append(bytes_of("batch 2 \xE2\x9C\x93"));
  }
  Records records;
  Journal journal(path, &records);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], bytes_of("batch 0"));
  EXPECT_TRUE(records[1].empty());
  EXPECT_EQ(records[2], bytes_of("batch 2 \xE2\x9C\x93"));
  EXPECT_EQ(journal.dropped_bytes(), 0u);
  // 3 headers of 16 bytes + 7 + 0 + 11 payload bytes.
  EXPECT_EQ(fs::file_size(path), 3u * 16 + 7 + 0 + 11);
}

TEST(Journal, TornTailIsTruncatedAndAppendingContinues) {
  const std::string path = testing::scratch_dir("journal_torn") + "/journal.bin";
  {
    Records none;
    Journal journal(path, &none);
    journal.append(bytes_of("first"));
    journal.append(bytes_of("second"));
  }
  // A crash in the middle of the third append: header claims 10 bytes, only 4 arrived.
  append_raw(path, record_header(10, 0x12345678) + "half");
  {
    Records records;
    Journal journal(path, &records);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1], bytes_of("second"));
    EXPECT_EQ(journal.dropped_bytes(), 16u + 4);
    EXPECT_EQ(fs::file_size(path), 2u * 16 + 5 + 6);
    journal.append(bytes_of("third"));
  }
  Records records;
  Journal journal(path, &records);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2], bytes_of("third"));
}

TEST(Journal, GarbageAfterTheLastRecordIsDropped) {
  const std::string path = testing::scratch_dir("journal_garbage") + "/journal.bin";
  {
    Records none;
    Journal journal(path, &none);
    journal.append(bytes_of("only"));
  }
  append_raw(path, "\x01\x02garbage that is not a record header at all");
  Records records;
  Journal journal(path, &records);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(journal.dropped_bytes(), 44u);  // 2 + 42 characters
  EXPECT_NE(journal.dropped_reason().find("at byte 20"), std::string::npos) << journal.dropped_reason();
}

TEST(Journal, CorruptedPayloadIsDetectedByCrc) {
  const std::string path = testing::scratch_dir("journal_crc") + "/journal.bin";
  {
    Records none;
    Journal journal(path, &none);
    journal.append(bytes_of("good"));
    journal.append(bytes_of("flipped"));
    journal.append(bytes_of("after"));
  }
  {
    // Second record starts at 16 + 4 = 20; its payload at 36. Flip its first byte.
    const int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const char x = 'F';
    ASSERT_EQ(::pwrite(fd, &x, 1, 36), 1);
    ::close(fd);
  }
  Records records;
  Journal journal(path, &records);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], bytes_of("good"));
  EXPECT_NE(journal.dropped_reason().find("CRC mismatch at byte 20"), std::string::npos) << journal.dropped_reason();
  EXPECT_EQ(journal.dropped_bytes(), (16u + 7) + (16 + 5));
}

TEST(Journal, SecondWriterOnTheSameFileIsRefused) {
  const std::string path = testing::scratch_dir("journal_lock") + "/journal.bin";
  Records none;
  Journal first(path, &none);
  EXPECT_THROW(Journal(path, &none), StoreError);
}

TEST(Journal, DirectoryInsteadOfFileIsAStoreError) {
  const std::string directory = testing::scratch_dir("journal_directory");
  Records none;
  EXPECT_THROW(Journal(directory, &none), StoreError);
}

TEST(Journal, DiskFullAppendThrowsNamingTheFileAndKeepsEarlierRecords) {
  const std::string path = testing::scratch_dir("journal_full") + "/journal.bin";
  {
    Records none;
    Journal journal(path, &none);
    journal.append(bytes_of("kept"));
    testing::FileSizeLimit limit(1000);
    try {
      journal.append(std::vector<uint8_t>(4000, 7));
      FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  Records records;
  Journal journal(path, &records);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], bytes_of("kept"));
  EXPECT_EQ(journal.dropped_bytes(), 0u);  // the partial record was cut right after the failure
}

}  // namespace
}  // namespace icsweep
