#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "cell_fixture.h"
#include "core/common/errors.h"
#include "core/store/cell_file.h"
#include "core/store/hdf5_handles.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

// Writes cells/a.h5 and cells/b.h5 under DIRECTORY and an index results.h5 linking them.
std::string write_two_cell_sweep(const std::string& directory) {
  fs::create_directories(directory + "/cells");
  write_cell_file(directory + "/cells/a.h5", testing::hand_made_cell("org/model-a", "docs"));
  write_cell_file(directory + "/cells/b.h5", testing::hand_made_cell("model-b", "données"));
  const std::string index = directory + "/results.h5";
  write_index_file(index,
                   {{"org/model-a", "docs", "cells/a.h5"}, {"model-b", "données", "cells/b.h5"}},
                   {{"sweep_name", "demo ✓"}, {"icsweep_version", "0.1.0"}});
  return index;
}

TEST(IndexFile, EntriesComeBackResolvedAgainstTheIndexDirectory) {
  const std::string directory = testing::scratch_dir("index_entries");
  const std::string index = write_two_cell_sweep(directory);
  const auto entries = read_index_file(index);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].model_name, "org/model-a");
  EXPECT_EQ(entries[0].data_name, "docs");
  EXPECT_EQ(entries[0].cell_file, directory + "/cells/a.h5");
  EXPECT_EQ(entries[1].data_name, "données");
  EXPECT_TRUE(is_index_file(index));
  EXPECT_FALSE(is_index_file(entries[0].cell_file));
}

TEST(IndexFile, ExternalLinksReachTheCellRootsFromAnotherWorkingDirectory) {
  const std::string directory = testing::scratch_dir("index_links");
  const std::string index = write_two_cell_sweep(directory);
  const fs::path saved = fs::current_path();
  fs::current_path("/");
  std::string model_a, data_b;
  double ic_a = 0;
  try {
    const h5::File file = h5::File::open_read(index);
    const h5::Group cells = file.root().open_group("cells");
    const h5::Group a = cells.open_group("org%2Fmodel-a__docs");  // cell_stem: '/' percent-encoded
    model_a = a.string_attribute("model_name");
    ic_a = a.double_attribute("ic");
    data_b = cells.open_group("model-b__données").string_attribute("data_name");
  } catch (...) {
    fs::current_path(saved);
    throw;
  }
  fs::current_path(saved);
  EXPECT_EQ(model_a, "org/model-a");
  EXPECT_EQ(ic_a, testing::kIc);
  EXPECT_EQ(data_b, "données");
}

TEST(IndexFile, RootCarriesSweepProvenance) {
  const std::string index = write_two_cell_sweep(testing::scratch_dir("index_provenance"));
  const h5::File file = h5::File::open_read(index);
  EXPECT_EQ(file.root().string_attribute("sweep_name"), "demo ✓");
  EXPECT_EQ(file.root().string_attribute("icsweep_file_kind"), "index");
}

TEST(IndexFile, RewritingReplacesTheOldIndexAtomically) {
  const std::string directory = testing::scratch_dir("index_rewrite");
  const std::string index = write_two_cell_sweep(directory);
  write_index_file(index, {{"model-b", "données", "cells/b.h5"}}, {});
  ASSERT_EQ(read_index_file(index).size(), 1u);
  EXPECT_FALSE(fs::exists(index + ".tmp-" + std::to_string(::getpid())));
}

TEST(IndexFile, DuplicateLinkNamesAreRefused) {
  const std::string directory = testing::scratch_dir("index_duplicates");
  EXPECT_THROW(write_index_file(directory + "/results.h5", {{"m", "d", "cells/a.h5"}, {"m", "d", "cells/b.h5"}}, {}),
               StoreError);
  EXPECT_FALSE(fs::exists(directory + "/results.h5"));
}

TEST(IndexFile, NamesThatOnceSharedALinkNameGetTwo) {
  // "org/m" and "org_m" both became org_m__d; "a__b" x "c" and "a" x "b__c" both a__b__c
  const std::string directory = testing::scratch_dir("index_distinct_links");
  const std::vector<IndexEntry> entries = {{"org/m", "d", "cells/1.h5"}, {"org_m", "d", "cells/2.h5"},
                                           {"a__b", "c", "cells/3.h5"},  {"a", "b__c", "cells/4.h5"}};
  write_index_file(directory + "/results.h5", entries, {});
  EXPECT_EQ(read_index_file(directory + "/results.h5").size(), 4u);
}

TEST(IndexFile, AbsoluteCellPathsAreRefusedSoTheSweepCanMove) {
  const std::string directory = testing::scratch_dir("index_absolute");
  EXPECT_THROW(write_index_file(directory + "/results.h5", {{"m", "d", "/tmp/cell.h5"}}, {}), StoreError);
}

TEST(IndexFile, ReadingACellFileAsIndexSaysWhatItIs) {
  const std::string directory = testing::scratch_dir("index_wrong_kind");
  write_cell_file(directory + "/cell.h5", testing::hand_made_cell());
  try {
    read_index_file(directory + "/cell.h5");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("not an icsweep index file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep
