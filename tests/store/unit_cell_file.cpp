#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cell_fixture.h"
#include "core/common/errors.h"
#include "core/store/atomic_file.h"
#include "core/store/cell_file.h"
#include "core/store/hdf5_handles.h"
#include "fsize_limit.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> directory_listing(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void expect_same_row(const PublishedRow& a, const PublishedRow& b) {
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.model_series, b.model_series);
  EXPECT_EQ(a.model_size, b.model_size);
  EXPECT_EQ(a.data_name, b.data_name);
  EXPECT_EQ(a.seq_len, b.seq_len);
  EXPECT_EQ(a.uniform_entropy, b.uniform_entropy);
  EXPECT_EQ(a.constant, b.constant);
  EXPECT_EQ(a.conditional_entropy, b.conditional_entropy);
  EXPECT_EQ(a.entropy_gain, b.entropy_gain);
  EXPECT_EQ(a.bf16_tflops, b.bf16_tflops);
  EXPECT_EQ(a.information_capacity, b.information_capacity);
  EXPECT_EQ(a.ic, b.ic);
}

void expect_same_cell(const CellResult& a, const CellResult& b) {
  expect_same_row(a.row, b.row);
  EXPECT_EQ(a.constant_unrounded, b.constant_unrounded);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_EQ(a.flops_per_token, b.flops_per_token);
  EXPECT_EQ(a.ic_unrounded_constant, b.ic_unrounded_constant);
  EXPECT_EQ(a.flops_profile, b.flops_profile);
  EXPECT_EQ(a.max_sample_length, b.max_sample_length);
  EXPECT_EQ(a.total_scored_tokens, b.total_scored_tokens);
  EXPECT_EQ(a.total_nll_bits, b.total_nll_bits);
  EXPECT_EQ(a.samples_scored, b.samples_scored);
  EXPECT_EQ(a.samples_skipped, b.samples_skipped);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.attributes, b.attributes);
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (size_t i = 0; i < a.samples.size(); ++i) {
    SCOPED_TRACE("sample " + std::to_string(i));
    EXPECT_EQ(a.samples[i].sample_index, b.samples[i].sample_index);
    EXPECT_EQ(a.samples[i].text_bytes, b.samples[i].text_bytes);
    EXPECT_EQ(a.samples[i].n_tokens, b.samples[i].n_tokens);
    EXPECT_EQ(a.samples[i].text_bits, b.samples[i].text_bits);
    EXPECT_EQ(a.samples[i].nll_bits, b.samples[i].nll_bits);
    EXPECT_EQ(a.samples[i].text_bits_per_token, b.samples[i].text_bits_per_token);
    EXPECT_EQ(a.samples[i].nll_bits_per_token, b.samples[i].nll_bits_per_token);
    EXPECT_EQ(a.samples[i].status, b.samples[i].status);
  }
  ASSERT_EQ(a.errors.size(), b.errors.size());
  for (size_t i = 0; i < a.errors.size(); ++i) {
    EXPECT_EQ(a.errors[i].sample_index, b.errors[i].sample_index);
    EXPECT_EQ(a.errors[i].line, b.errors[i].line);
    EXPECT_EQ(a.errors[i].kind, b.errors[i].kind);
    EXPECT_EQ(a.errors[i].message, b.errors[i].message);
  }
  EXPECT_EQ(a.has_tokens, b.has_tokens);
  EXPECT_EQ(a.token_nll_bits, b.token_nll_bits);
  EXPECT_EQ(a.token_offsets, b.token_offsets);
}

TEST(CellFile, RoundTripKeepsEveryFieldIncludingUnicodeAndTokens) {
  const std::string path = testing::scratch_dir("cell_round_trip") + "/cell.h5";
  const CellResult cell = testing::hand_made_cell();
  write_cell_file(path, cell);
  expect_same_cell(read_cell_file(path), cell);
}

TEST(CellFile, CellWithoutSamplesErrorsOrTokensRoundTrips) {
  const std::string path = testing::scratch_dir("cell_empty") + "/cell.h5";
  CellResult cell = testing::hand_made_cell();
  cell.samples.clear();
  cell.errors.clear();
  cell.attributes.clear();
  cell.has_tokens = false;
  cell.token_nll_bits.clear();
  cell.token_offsets.clear();
  cell.status = "failed";
  write_cell_file(path, cell);
  const CellResult back = read_cell_file(path);
  expect_same_cell(back, cell);
  const h5::File file = h5::File::open_read(path);
  EXPECT_FALSE(file.root().has("tokens"));
  EXPECT_TRUE(file.root().open_group("samples").read_double_column("nll_bits").empty());
}

TEST(CellFile, StatusColumnNamesItsCodes) {
  const std::string path = testing::scratch_dir("cell_status_names") + "/cell.h5";
  write_cell_file(path, testing::hand_made_cell());
  const h5::File file = h5::File::open_read(path);
  EXPECT_EQ(file.root().open_group("samples").dataset_string_attribute("status", "status_names"),
            "ok,too_short,bad_record,failed");
  EXPECT_STREQ(sample_status_name(SampleStatus::kBadRecord), "bad_record");
}

TEST(CellFile, SummaryReadsAttributesOnly) {
  const std::string path = testing::scratch_dir("cell_summary") + "/cell.h5";
  write_cell_file(path, testing::hand_made_cell());
  const CellResult summary = read_cell_summary(path);
  EXPECT_EQ(summary.row.ic, testing::kIc);
  EXPECT_EQ(summary.attributes.at("hosts"), "node-α,node-β");
  EXPECT_TRUE(summary.samples.empty());
}

TEST(CellFile, InvalidUtf8InMessagesIsStoredAsReplacementCharacter) {
  const std::string path = testing::scratch_dir("cell_bad_utf8") + "/cell.h5";
  CellResult cell = testing::hand_made_cell();
  cell.errors = {{7, 8, "invalid_utf8", "bad \xC3( and \xFF end"}};
  write_cell_file(path, cell);
  EXPECT_EQ(read_cell_file(path).errors[0].message, "bad \xEF\xBF\xBD( and \xEF\xBF\xBD end");
}

TEST(CellFile, WriteLeavesOnlyTheTargetFileAndReplacesAnOldOne) {
  const std::string directory = testing::scratch_dir("cell_atomic");
  const std::string path = directory + "/cell.h5";
  write_cell_file(path, testing::hand_made_cell("old-model"));
  write_cell_file(path, testing::hand_made_cell("new-model"));
  EXPECT_EQ(directory_listing(directory), std::vector<std::string>{"cell.h5"});
  EXPECT_EQ(read_cell_file(path).row.model_name, "new-model");
}

TEST(CellFile, MissingDirectoryIsAStoreErrorNamingThePath) {
  const std::string path = testing::scratch_dir("cell_missing_dir") + "/no/such/dir/cell.h5";
  try {
    write_cell_file(path, testing::hand_made_cell());
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(CellFile, DiskFullDuringWriteLeavesExistingFileUntouchedAndNoTempFile) {
  const std::string directory = testing::scratch_dir("cell_disk_full");
  const std::string path = directory + "/cell.h5";
  write_cell_file(path, testing::hand_made_cell("old-model"));
  const std::string before = file_bytes(path);

  CellResult big = testing::hand_made_cell("new-model");
  big.samples.assign(200000, big.samples[0]);
  for (size_t i = 0; i < big.samples.size(); ++i) big.samples[i].sample_index = static_cast<int64_t>(i) * 7919 % 100003;
  big.has_tokens = false;
  {
    testing::FileSizeLimit limit(64 * 1024);
    try {
      write_cell_file(path, big);
      FAIL() << "expected StoreError";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("File too large"), std::string::npos) << e.what();  // EFBIG
    }
  }
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(directory_listing(directory), std::vector<std::string>{"cell.h5"});
}

TEST(CellFile, LargeCellWithPerTokenValuesRoundTrips) {
  const std::string path = testing::scratch_dir("cell_large") + "/cell.h5";
  CellResult cell = testing::hand_made_cell();
  cell.samples.assign(20000, cell.samples[0]);  // 20000 samples x 1000 tokens
  cell.token_offsets.resize(cell.samples.size() + 1);
  for (size_t i = 0; i < cell.token_offsets.size(); ++i) cell.token_offsets[i] = static_cast<int64_t>(i) * 1000;
  cell.token_nll_bits.resize(20000 * 1000);
  for (size_t i = 0; i < cell.token_nll_bits.size(); ++i) cell.token_nll_bits[i] = static_cast<float>(i % 977) / 64;
  write_cell_file(path, cell);
  const CellResult back = read_cell_file(path);
  EXPECT_EQ(back.token_nll_bits, cell.token_nll_bits);
  EXPECT_EQ(back.token_offsets.back(), 20000000);
}

TEST(CellFile, ProvenanceKeyClashingWithAResultAttributeIsRefused) {
  const std::string directory = testing::scratch_dir("cell_clash");
  CellResult cell = testing::hand_made_cell();
  cell.attributes["ic"] = "0.5";
  EXPECT_THROW(write_cell_file(directory + "/cell.h5", cell), StoreError);
  EXPECT_TRUE(fs::is_empty(directory));
}

TEST(CellFile, TokenOffsetsMustMatchSamples) {
  const std::string directory = testing::scratch_dir("cell_bad_offsets");
  CellResult cell = testing::hand_made_cell();
  cell.token_offsets = {0, 25, 57};
  EXPECT_THROW(write_cell_file(directory + "/cell.h5", cell), StoreError);
}

TEST(CellFile, ReadingANonHdf5FileNamesIt) {
  const std::string path = testing::scratch_dir("cell_not_hdf5") + "/cell.h5";
  std::ofstream(path) << "not hdf5";
  try {
    read_cell_file(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(CellFile, MissingAttributeErrorNamesFileAndObjectWithoutPrintingHdf5Stack) {
  const std::string path = testing::scratch_dir("cell_missing_attribute") + "/cell.h5";
  {
    h5::File file = h5::File::create_in_memory(path, 0);
    file.root().set_attribute("icsweep_file_kind", "cell");
    write_file_atomically(path, file.take_image());
  }
  ::testing::internal::CaptureStderr();
  try {
    read_cell_file(path);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":/@model_name"), std::string::npos) << e.what();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace icsweep

namespace icsweep {
namespace {

TEST(CellStem, PlainNamesAreKeptAndAmbiguousOnesEncoded) {
  EXPECT_EQ(cell_stem("Qwen2.5-0.5B", "mixed_text"), "Qwen2.5-0.5B__mixed_text");
  // formerly "a__b" x "c" and "a" x "b__c" both gave a__b__c
  EXPECT_EQ(cell_stem("a__b", "c"), "a%5F%5Fb__c");
  EXPECT_EQ(cell_stem("a", "b__c"), "a__b%5F%5Fc");
  EXPECT_EQ(cell_stem("a_", "_b"), "a%5F__%5Fb");
  EXPECT_EQ(cell_stem("100%", "d"), "100%25__d");
}

TEST(CellStem, LongNamesAreCutWithADigestAndStayDistinct) {
  const std::string long_a(300, 'a'), long_b = std::string(299, 'a') + "b";
  const std::string a = cell_stem(long_a, "d"), b = cell_stem(long_b, "d");
  EXPECT_NE(a, b);
  EXPECT_LE(a.size(), 100u + 3u + 1u);
  EXPECT_EQ(a.substr(0, 81), std::string(80, 'a') + "~");
}

}  // namespace
}  // namespace icsweep
