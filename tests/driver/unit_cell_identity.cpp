// Cell identity: what changes a cell's fingerprint, and how a change is named to the user.
#include <gtest/gtest.h>

#include <fstream>

#include "driver/cell_identity.h"
#include "test_paths.h"

namespace icsweep {
namespace {

IdentityParts identity(const std::string& dataset, bool per_token, const std::string& dtype = "float32") {
  DatasetSpec d;
  Settings settings;
  settings.per_token = per_token;
  return cell_identity("m", "model.safetensors 10 1", dtype, "t", dataset, d, settings, 4096);
}

TEST(CellIdentity, EveryNllInputChangesTheFingerprint) {
  const std::string base = parts_digest(identity("d1", false));
  EXPECT_EQ(parts_digest(identity("d1", false)), base);
  EXPECT_NE(parts_digest(identity("d2", false)), base);
  EXPECT_NE(parts_digest(identity("d1", true)), base);
  EXPECT_NE(parts_digest(identity("d1", false, "bfloat16")), base);
}

TEST(CellIdentity, ChangesAreNamedWithShortenedDigests) {
  const IdentityParts before = identity(std::string(32, 'a'), false), now = identity(std::string(32, 'b'), true);
  EXPECT_EQ(changed_parts(before, now), (std::vector<std::string>{kPartDataset, kPartPerToken}));
  EXPECT_EQ(describe_changes(before, now), "dataset bytes (aaaaaaaaaaaa -> bbbbbbbbbbbb); per_token (false -> true)");
  EXPECT_NE(describe_changes({}, now).find("not recorded"), std::string::npos);
}

TEST(CellIdentity, PartsRoundTripThroughJson) {
  const IdentityParts parts = identity("d", true);
  EXPECT_EQ(parts_from_json(parts_to_json(parts)), parts);
  EXPECT_TRUE(parts_from_json("not json").empty());
}

TEST(CellIdentity, DerivedSettingsAreNotPartOfTheIdentity) {
  ModelSpec m;
  DatasetSpec d;
  Settings settings;
  const IdentityParts before = derived_settings(m, d, settings);
  d.bias = -24;
  m.series = "other";
  EXPECT_EQ(changed_parts(derived_settings(m, d, settings), before), (std::vector<std::string>{"bias", "series"}));
}

TEST(CellIdentity, WeightsHeaderEditChangesTheModelDigestButNotItsSize) {
  const std::string dir = testing::scratch_dir("cell_identity_model");
  auto write = [&](const std::string& header) {
    std::ofstream out(dir + "/model.safetensors", std::ios::binary);
    const uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << "0123";
  };
  write(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})");
  const std::string before = model_files_digest(dir, "{}");
  write(R"({"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})");
  EXPECT_NE(model_files_digest(dir, "{}"), before);
  EXPECT_NE(model_files_digest(dir, "{\"x\":1}"), model_files_digest(dir, "{}"));
}

}  // namespace
}  // namespace icsweep
