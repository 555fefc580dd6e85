// The model fixtures of tests/fixtures/index.json (written by tests/model/fixture_index.py with the
// fixtures): the one list the parity, bf16 parity and layer-split tests are instantiated over, one
// test case per fixture so that a failure names it.
#pragma once

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_paths.h"

namespace icsweep::testing {

struct ModelFixture {
  std::string name;          // folder under tests/fixtures/
  std::string kind;          // "checkpoint" | "torchscript" | "make_tiny_model"
  std::string architecture;  // the architecture transformers scored
  std::string model_type;    // config.json model_type

  std::filesystem::path dir() const { return std::filesystem::path(source_dir()) / "tests" / "fixtures" / name; }
};

inline std::filesystem::path fixture_index_path() {
  return std::filesystem::path(source_dir()) / "tests" / "fixtures" / "index.json";
}

// Fixtures of the given kind, in index order. An unreadable index yields no fixtures (the
// IndexListsEveryFixtureFolder test then fails); it never throws during test discovery.
inline std::vector<ModelFixture> model_fixtures(const std::string& kind) {
  std::vector<ModelFixture> out;
  std::ifstream in(fixture_index_path());
  const auto index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!index.is_object() || !index.contains("fixtures")) return out;
  for (const auto& f : index["fixtures"])
    if (f.value("kind", "") == kind)
      out.push_back({f.value("name", ""), f.value("kind", ""), f.value("architecture", ""), f.value("model_type", "")});
  return out;
}

// gtest parameter names: the fixture's folder name.
struct FixtureName {
  std::string operator()(const ::testing::TestParamInfo<ModelFixture>& info) const { return info.param.name; }
};

inline void PrintTo(const ModelFixture& f, std::ostream* os) { *os << f.name; }

}  // namespace icsweep::testing
