// One JSON object per non-empty line of a vendored vectors file; a missing or empty file is a test
// failure (never a silently shorter test).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace icsweep::testing {

inline std::vector<nlohmann::json> read_json_lines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  EXPECT_FALSE(lines.empty()) << path << " has no lines";
  return lines;
}

}  // namespace icsweep::testing
