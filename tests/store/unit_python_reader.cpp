// The HDF5 files open in python3-h5py: analysis/load.py reads a sweep and recomputes ic from the
// stored per-sample columns (tests/store/check_h5py.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cell_fixture.h"
#include "core/store/cell_file.h"
#include "test_paths.h"

namespace icsweep {
namespace {

TEST(PythonReader, LoaderRecomputesIcFromStoredColumns) {
  const std::string directory = testing::scratch_dir("python_reader");
  std::filesystem::create_directories(directory + "/cells");
  write_cell_file(directory + "/cells/a.h5", testing::hand_made_cell("org/model-a", "docs"));
  write_cell_file(directory + "/cells/b.h5", testing::hand_made_cell("model-b", "données"));
  write_index_file(directory + "/results.h5",
                   {{"org/model-a", "docs", "cells/a.h5"}, {"model-b", "données", "cells/b.h5"}},
                   {{"sweep_name", "python reader test"}});

  const std::string command = "cd / && PYTHONPATH='" + testing::source_dir() + "' " + ICSWEEP_PYTHON + " '" +
                              testing::source_dir() + "/tests/store/check_h5py.py' '" + directory +
                              "/results.h5' '" + directory + "/cells/a.h5' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << output;
  EXPECT_EQ(output, "ok\n");
}

}  // namespace
}  // namespace icsweep
