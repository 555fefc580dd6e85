// Paths tests need: the source tree and the vendored test data (tests/data/testdata.tar.xz, unpacked
// into the build tree by CMake). Missing data is a hard failure (never a skip).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/common/remove_tree.h"

namespace icsweep::testing {

inline std::string source_dir() { return ICSWEEP_SOURCE_DIR; }

// The unpacked test data (tokenizers/, vectors/, datasets/); aborts the test binary loudly if missing.
inline std::string testdata_dir() {
  const std::filesystem::path dir = ICSWEEP_TESTDATA_DIR;
  if (!std::filesystem::is_directory(dir / "tokenizers")) {
    ADD_FAILURE() << "test data missing: " << dir << " (CMake unpacks tests/data/testdata.tar.xz there)";
    throw std::runtime_error("test data missing: " + dir.string());
  }
  return std::filesystem::canonical(dir).string();
}

// A fresh empty directory under the build tree for one test.
inline std::string scratch_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(ICSWEEP_BINARY_DIR) / "test-scratch" / name;
  remove_tree(dir.string());
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A file's whole contents, bytes as stored ("" for a file that cannot be opened).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace icsweep::testing
