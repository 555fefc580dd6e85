// Paths tests need: the source tree and ../shared/testdata beside it. Missing shared data is a
// hard failure (never a skip): CI must have it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/common/remove_tree.h"

namespace icsweep::testing {

inline std::string source_dir() { return ICSWEEP_SOURCE_DIR; }

// ../shared/testdata relative to the source tree; aborts the test binary loudly if missing.
inline std::string shared_testdata_dir() {
  const std::filesystem::path dir = std::filesystem::path(ICSWEEP_SOURCE_DIR) / ".." / "shared" / "testdata";
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "shared test data missing: " << dir << " (expected ../shared/testdata beside the checkout)";
    throw std::runtime_error("shared test data missing: " + dir.string());
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

}  // namespace icsweep::testing
