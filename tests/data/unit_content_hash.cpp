// Content digests (XXH3-128): golden values from `xxh128sum` of Debian's xxhash 0.8.1 package.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/data/content_hash.h"
#include "core/data/jsonl_dataset.h"
#include "test_paths.h"

namespace icsweep {
namespace {

// printf '' | xxh128sum ; printf 'icsweep\n{"text": "abc"}\n' | xxh128sum
constexpr const char* kEmpty = "99aa06d3014798d86001c324468d497f";
constexpr const char* kTwoLines = "1683a3ac5f7db847ce1dbd3ff6a5b144";
constexpr const char* kTwoLinesBytes = "icsweep\n{\"text\": \"abc\"}\n";

TEST(ContentHash, MatchesXxh128sum) {
  EXPECT_EQ(content_digest(""), kEmpty);
  EXPECT_EQ(content_digest(kTwoLinesBytes), kTwoLines);
}

TEST(ContentHash, PiecesHashLikeTheWhole) {
  ContentHasher hasher;
  const std::string bytes = kTwoLinesBytes;
  for (char c : bytes) hasher.update(&c, 1);
  EXPECT_EQ(hasher.hex(), kTwoLines);
}

TEST(ContentHash, DatasetReaderHashesEveryByteItReads) {
  const std::string path = testing::scratch_dir("content_hash") + "/two.jsonl";
  std::ofstream(path, std::ios::binary) << kTwoLinesBytes;
  const DatasetContents c = read_jsonl_dataset(path, "text", BadRecordPolicy::kSkip);
  ASSERT_EQ(c.records.size(), 1u);  // line 1 is a bad record, hashed all the same
  EXPECT_EQ(c.content_digest, kTwoLines);
}

TEST(ContentHash, SameSizeEditChangesTheDatasetDigest) {
  const std::string dir = testing::scratch_dir("content_hash_edit");
  std::ofstream(dir + "/a.jsonl", std::ios::binary) << "{\"text\": \"abc\"}\n";
  std::ofstream(dir + "/b.jsonl", std::ios::binary) << "{\"text\": \"abd\"}\n";
  const DatasetContents a = read_jsonl_dataset(dir + "/a.jsonl", "text", BadRecordPolicy::kSkip);
  const DatasetContents b = read_jsonl_dataset(dir + "/b.jsonl", "text", BadRecordPolicy::kSkip);
  EXPECT_EQ(a.file_bytes, b.file_bytes);
  EXPECT_NE(a.content_digest, b.content_digest);
}

TEST(ContentHash, FilesDigestCountsBytesAndNamesAMissingFile) {
  const std::string dir = testing::scratch_dir("content_hash_files");
  std::ofstream(dir + "/w.safetensors", std::ios::binary) << "0123456789";
  uint64_t bytes = 0;
  const std::string one = files_digest({dir + "/w.safetensors"}, &bytes);
  EXPECT_EQ(bytes, 10u);
  EXPECT_EQ(one.size(), 32u);
  EXPECT_EQ(weight_files(dir), std::vector<std::string>{dir + "/w.safetensors"});
  try {
    files_digest({dir + "/missing.safetensors"});
    FAIL() << "no error for a missing file";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("missing.safetensors"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep

namespace icsweep {
namespace {

TEST(JsonlDatasetFiles, FifoDeviceAndSymlinkLoopAreErrorsNotHangs) {
  const std::string dir = testing::scratch_dir("jsonl_special_files");
  ASSERT_EQ(::mkfifo((dir + "/fifo.jsonl").c_str(), 0600), 0);
  std::filesystem::create_symlink(dir + "/loop-b", dir + "/loop-a");
  std::filesystem::create_symlink(dir + "/loop-a", dir + "/loop-b");
  const std::pair<std::string, std::string> cases[] = {{dir + "/fifo.jsonl", "not a regular file"},
                                                       {"/dev/zero", "not a regular file"},
                                                       {dir + "/loop-a", "symlink loop"}};
  for (const auto& [path, want] : cases) {
    try {
      read_jsonl_dataset(path, "text", BadRecordPolicy::kSkip);
      ADD_FAILURE() << path << ": no error";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace icsweep
