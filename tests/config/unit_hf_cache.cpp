// Model locations resolved offline through the Hugging Face cache (core/config/hf_cache.h): the cache
// folders searched and their order, repo ids with and without a revision, cache and snapshot folders
// given as paths, the name (the repo's, never the commit), and what a miss says. The trees are laid
// out as huggingface_hub writes them (refs/<branch> holding the commit hash without a newline).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/config/hf_cache.h"
#include "test_paths.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

const std::string kMain = "0123456789abcdef0123456789abcdef01234567";
const std::string kOther = "89abcdef0123456789abcdef0123456789abcdef";

// HUB/models--ORG--NAME with snapshots kMain (refs/main) and kOther (refs/v2).
fs::path make_repo(const fs::path& hub, const std::string& org, const std::string& name) {
  const fs::path repo = hub / ("models--" + org + "--" + name);
  for (const auto& commit : {kMain, kOther}) {
    fs::create_directories(repo / "snapshots" / commit);
    std::ofstream(repo / "snapshots" / commit / "config.json") << "{}";
  }
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << kMain;
  std::ofstream(repo / "refs" / "v2") << kOther;
  return repo;
}

// Sets the cache variables for one test and restores them after.
class HfCache : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"}) {
      const char* value = std::getenv(v);
      saved_.emplace_back(v, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(v);
    }
    root_ = testing::scratch_dir("hf_cache_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) value ? (void)::setenv(name.c_str(), value->c_str(), 1) : (void)::unsetenv(name.c_str());
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
  fs::path root_;
};

TEST(RepoId, Form) {
  EXPECT_TRUE(looks_like_repo_id("Qwen/Qwen2.5-7B"));
  EXPECT_TRUE(looks_like_repo_id("meta-llama/Llama-3.1-8B@main"));
  EXPECT_TRUE(looks_like_repo_id("org_1/model.v2@" + kMain));
  EXPECT_FALSE(looks_like_repo_id("Qwen2.5-7B"));             // no organisation
  EXPECT_FALSE(looks_like_repo_id("/models/Qwen2.5-7B"));     // absolute path
  EXPECT_FALSE(looks_like_repo_id("models/qwen/Qwen2.5-7B"));  // two slashes
  EXPECT_FALSE(looks_like_repo_id("./Qwen2.5-7B"));
  EXPECT_FALSE(looks_like_repo_id("../models"));
  EXPECT_FALSE(looks_like_repo_id("Qwen/Qwen2.5-7B@"));  // empty revision
}

TEST_F(HfCache, SearchOrder) {
  ::setenv("HF_HUB_CACHE", "/a/hub", 1);
  ::setenv("HF_HOME", "/b", 1);
  ::setenv("XDG_CACHE_HOME", "/c", 1);
  ::setenv("HOME", "/d", 1);
  EXPECT_EQ(hf_hub_cache_dirs(), (std::vector<std::string>{"/a/hub", "/b/hub", "/c/huggingface/hub",
                                                           "/d/.cache/huggingface/hub"}));
  ::unsetenv("HF_HUB_CACHE");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(hf_hub_cache_dirs(), (std::vector<std::string>{"/b/hub", "/d/.cache/huggingface/hub"}));
}

TEST_F(HfCache, RepoIdToTheSnapshotOfItsRef) {
  const fs::path repo = make_repo(root_ / "home" / "hub", "Qwen", "Qwen2.5-7B");
  ::setenv("HF_HUB_CACHE", (root_ / "empty").c_str(), 1);  // searched first, holds nothing
  ::setenv("HF_HOME", (root_ / "home").c_str(), 1);
  const ModelLocation loc = resolve_model_location("Qwen/Qwen2.5-7B", "/nonexistent");
  EXPECT_EQ(loc.dir, (repo / "snapshots" / kMain).string());
  EXPECT_EQ(loc.name, "Qwen2.5-7B");
  EXPECT_EQ(loc.repo_id, "Qwen/Qwen2.5-7B");
  EXPECT_EQ(loc.revision, kMain);
  EXPECT_EQ(resolve_model_location("Qwen/Qwen2.5-7B@v2", "/").dir, (repo / "snapshots" / kOther).string());
  EXPECT_EQ(resolve_model_location("Qwen/Qwen2.5-7B@" + kOther, "/").dir, (repo / "snapshots" / kOther).string());
  EXPECT_EQ(resolve_model_location("Qwen/Qwen2.5-7B@v2", "/").name, "Qwen2.5-7B");
}

TEST_F(HfCache, CacheAndSnapshotFoldersAreNamedAfterTheRepo) {
  const fs::path repo = make_repo(root_ / "hub", "google", "gemma-3-4b-it");
  const ModelLocation folder = resolve_model_location("hub/models--google--gemma-3-4b-it", root_.string());
  EXPECT_EQ(folder.dir, (repo / "snapshots" / kMain).string());
  EXPECT_EQ(folder.name, "gemma-3-4b-it");
  const ModelLocation snapshot = resolve_model_location((repo / "snapshots" / kOther).string(), "/");
  EXPECT_EQ(snapshot.dir, (repo / "snapshots" / kOther).string());
  EXPECT_EQ(snapshot.name, "gemma-3-4b-it");  // never the commit hash
  EXPECT_EQ(snapshot.revision, kOther);
  // A plain directory keeps its own name.
  fs::create_directories(root_ / "models" / "my-model");
  const ModelLocation plain = resolve_model_location("models/my-model/", root_.string());
  EXPECT_EQ(plain.dir, (root_ / "models" / "my-model").string());
  EXPECT_EQ(plain.name, "my-model");
  EXPECT_EQ(plain.repo_id, "");
}

TEST_F(HfCache, OnlySnapshotWithoutRefsIsUsed) {
  const fs::path repo = make_repo(root_ / "hub", "org", "m");
  fs::remove(repo / "refs" / "main");
  fs::remove_all(repo / "snapshots" / kOther);
  ::setenv("HF_HUB_CACHE", (root_ / "hub").c_str(), 1);
  EXPECT_EQ(resolve_model_location("org/m", "/").dir, (repo / "snapshots" / kMain).string());
}

TEST_F(HfCache, AMissSaysWhereItLookedAndWhatToDownload) {
  ::setenv("HF_HUB_CACHE", (root_ / "hub").c_str(), 1);
  ::setenv("HOME", (root_ / "me").c_str(), 1);
  try {
    resolve_model_location("Qwen/Qwen2.5-7B@v1", root_.string());
    ADD_FAILURE() << "a missing repo resolved";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find((root_ / "hub" / "models--Qwen--Qwen2.5-7B").string()), std::string::npos) << m;
    EXPECT_NE(m.find((root_ / "me" / ".cache" / "huggingface" / "hub" / "models--Qwen--Qwen2.5-7B").string()),
              std::string::npos) << m;
    EXPECT_NE(m.find("hf download Qwen/Qwen2.5-7B --revision v1"), std::string::npos) << m;
  }
  make_repo(root_ / "hub", "Qwen", "Qwen2.5-7B");
  try {
    resolve_model_location("Qwen/Qwen2.5-7B@v1", root_.string());
    ADD_FAILURE() << "a missing revision resolved";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("has no refs/v1"), std::string::npos) << e.what();
  }
  try {
    resolve_model_location("no-such-dir", root_.string());
    ADD_FAILURE() << "a missing directory resolved";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("directory " + (root_ / "no-such-dir").string() + " does not exist"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace icsweep
