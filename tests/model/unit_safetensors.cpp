#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/model/safetensors.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string f32(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

// A header-only file: u64 length + the JSON text (+ `data` bytes).
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string parse_error(const std::string& bytes) {
  try {
    parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.safetensors");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ParsesWhatItWrites) {
  const std::string bytes = safetensors_bytes({{"b", StDtype::kF32, {2}, f32({3, 4})},
                                               {"a", StDtype::kF32, {1, 2}, f32({1, 2})}});
  std::map<std::string, std::string> meta;
  auto entries = parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x", &meta);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(entries[0].name, "a");
  EXPECT_EQ(entries[0].shape, (std::vector<int64_t>{1, 2}));
  float v[2];
  std::memcpy(v, entries[1].data, 8);
  EXPECT_EQ(v[0], 3.0f);
  EXPECT_EQ(v[1], 4.0f);
  EXPECT_EQ((bytes.size() - 8 - 16) % 8, 0u) << "header padded to 8 bytes";
}

TEST(Safetensors, TruncatedFileNamesFileAndTensor) {
  std::string bytes = safetensors_bytes({{"w", StDtype::kF32, {4}, f32({1, 2, 3, 4})}});
  bytes.resize(bytes.size() - 3);
  const std::string msg = parse_error(bytes);
  EXPECT_NE(msg.find("x.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'w'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("outside the data region"), std::string::npos) << msg;
  EXPECT_NE(msg.find("download it again"), std::string::npos) << msg;
}

TEST(Safetensors, TooShortOrImpossibleHeaderLength) {
  EXPECT_NE(parse_error("abc").find("too short"), std::string::npos);
  std::string bytes(16, '\0');
  bytes[0] = '\xff';
  bytes[5] = '\x01';  // a header length far beyond the file
  EXPECT_NE(parse_error(bytes).find("header length"), std::string::npos);
}

TEST(Safetensors, HeaderThatIsNotJson) {
  EXPECT_NE(parse_error(raw_file("{not json", "")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(raw_file("[1, 2]", "")).find("not a JSON object"), std::string::npos);
}

TEST(Safetensors, UnknownDtype) {
  const std::string msg =
      parse_error(raw_file(R"({"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}})", "abcd"));
  EXPECT_NE(msg.find("unknown safetensors dtype 'F12'"), std::string::npos) << msg;
}

TEST(Safetensors, ListsEveryProblemAtOnce) {
  const std::string header = R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]},
      "b": {"dtype": "Q4", "shape": [1], "data_offsets": [8, 12]},
      "c": {"dtype": "F32", "shape": [1], "data_offsets": [12, 400]},
      "d": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})";
  const std::string msg = parse_error(raw_file(header, std::string(16, '\0')));
  for (const char* needle : {"4 problems", "'a'", "needs 12 bytes", "'Q4'", "'c'", "'d'", "negative"})
    EXPECT_NE(msg.find(needle), std::string::npos) << needle << " missing in: " << msg;
}

TEST(Safetensors, OverlappingTensors) {
  const std::string header = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})";
  const std::string msg = parse_error(raw_file(header, std::string(12, '\0')));
  EXPECT_NE(msg.find("overlap"), std::string::npos) << msg;
}

TEST(Safetensors, ShardedIndexMapsEveryTensor) {
  const auto dir = std::filesystem::path(testing::scratch_dir("safetensors_sharded"));
  write_safetensors((dir / "s1.safetensors").string(), {{"a", StDtype::kF32, {1}, f32({1})}});
  write_safetensors((dir / "s2.safetensors").string(), {{"b", StDtype::kF32, {1}, f32({2})}});
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"metadata": {}, "weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})";
  SafetensorsCheckpoint ckpt(dir.string());
  ASSERT_NE(ckpt.find("a"), nullptr);
  ASSERT_NE(ckpt.find("b"), nullptr);
  EXPECT_EQ(ckpt.files().size(), 2u);
  EXPECT_EQ(ckpt.total_bytes(), 8u);

  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map": {"a": "s1.safetensors", "c": "s2.safetensors", "d": "s3.safetensors"}})";
  try {
    SafetensorsCheckpoint bad(dir.string());
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("s3.safetensors"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map": {"a": "s1.safetensors", "c": "s2.safetensors"}})";
  try {
    SafetensorsCheckpoint bad(dir.string());
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("'c' is not in s2.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, MissingCheckpointSaysWhatIsExpected) {
  const auto dir = testing::scratch_dir("safetensors_missing");
  try {
    SafetensorsCheckpoint ckpt(dir);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace icsweep
