// Every problem in a sweep file is a ConfigError naming FILE:LINE:COL (1-based) and the key.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "test_paths.h"

namespace icsweep {
namespace {

const char* kHead = "models:\n  - path: /m/a\ndatasets:\n  - path: /d/x.jsonl\n";  // lines 1-4

// Parses `text` (no path checks) and returns the ConfigError's message; fails if none is thrown.
std::string error_of(const std::string& text, int* line = nullptr, int* column = nullptr) {
  try {
    parse_sweep_config(text, "sweep.yaml", "/sweeps", false);
  } catch (const ConfigError& error) {
    if (line) *line = error.line();
    if (column) *column = error.column();
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return "";
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(SweepConfigErrors, GpusPerModelIsAPositiveCount) {
  const auto config = parse_sweep_config("models:\n  - path: /m/a\n    gpus: 2\n  - path: /m/b\ndatasets:\n  - path: /d/x.jsonl\n",
                                         "sweep.yaml", "/sweeps", false);
  EXPECT_EQ(config.models.at(0).gpus, 2);
  EXPECT_EQ(config.models.at(1).gpus, 1) << "default: no split";
  int line = 0;
  const std::string message = error_of("models:\n  - path: /m/a\n    gpus: 0\ndatasets:\n  - path: /d/x.jsonl\n", &line);
  EXPECT_EQ(line, 3);
  EXPECT_HAS(message, "gpus");
  EXPECT_HAS(message, "must be between 1 and 64");
}

TEST(SweepConfigErrors, UnknownKeySuggestsTheClosestKnownKey) {
  int line = 0, column = 0;
  const std::string message = error_of(std::string(kHead) + "settings:\n  max_sample_len: 10\n", &line, &column);
  EXPECT_EQ(line, 6);
  EXPECT_EQ(column, 3);
  EXPECT_HAS(message, "sweep.yaml:6:3: key 'settings.max_sample_len': unknown key; did you mean 'max_sample_length'?");
}

TEST(SweepConfigErrors, TypoInModelKeyAndKeyInWrongSection) {
  const std::string message = error_of("models:\n  - path: /m/a\n    dtpye: bf16\n    bias: -3\n"
                                       "datasets:\n  - path: /d/x.jsonl\n");
  EXPECT_HAS(message, "sweep.yaml:3:5: key 'models[0].dtpye': unknown key; did you mean 'dtype'?");
  EXPECT_HAS(message, "sweep.yaml:4:5: key 'models[0].bias': unknown key; 'bias' belongs in datasets entries");
  EXPECT_HAS(message, "(2 problems in sweep.yaml)");
}

TEST(SweepConfigErrors, WrongTypesNameTheValue) {
  const std::string message = error_of(std::string(kHead) +
                                       "settings:\n  max_sample_length: abc\n  per_token: maybe\n  threads: \"4\"\n"
                                       "  output_dir: [a, b]\n");
  EXPECT_HAS(message, "sweep.yaml:6:22: key 'settings.max_sample_length': expected an integer, got 'abc'");
  EXPECT_HAS(message, "sweep.yaml:7:14: key 'settings.per_token': expected true or false, got 'maybe'");
  EXPECT_HAS(message, "key 'settings.threads': expected an integer, got the string \"4\"");
  EXPECT_HAS(message, "key 'settings.output_dir': expected a string, got a list");
  EXPECT_HAS(error_of("models: {path: /m/a}\ndatasets: [{path: /d/x.jsonl}]\n"),
             "sweep.yaml:1:9: key 'models': expected a list of entries, got a mapping");
  EXPECT_HAS(error_of("models: [/m/a]\ndatasets: [{path: /d/x.jsonl}]\n"),
             "key 'models[0]': expected a mapping with keys like 'name:' and 'path:', got '/m/a'");
  EXPECT_HAS(error_of("models: [{path: /m/a}]\ndatasets: [{path: /d/x.jsonl, bias: low}]\n"),
             "key 'datasets[0].bias': expected a number, got 'low'");
  EXPECT_HAS(error_of("models: [{path: /m/a}]\ndatasets: [{path: /d/x.jsonl, bias: }]\n"),
             "key 'datasets[0].bias': expected a number, got nothing (null)");
}

TEST(SweepConfigErrors, DuplicateNamesPointAtTheSecond) {
  const std::string message = error_of("models:\n  - {name: a, path: /m/a}\n  - {name: a, path: /m/b}\n"
                                       "datasets:\n  - path: /d/x.jsonl\n  - path: /e/x.jsonl\n");
  EXPECT_HAS(message, "sweep.yaml:3:1: key 'models.name': duplicate name 'a' (first used at line 2)");
  // Two datasets defaulting to the same name "x" collide too.
  EXPECT_HAS(message, "sweep.yaml:6:1: key 'datasets.name': duplicate name 'x' (first used at line 5)");
}

TEST(SweepConfigErrors, DuplicateYamlKey) {
  EXPECT_HAS(error_of("models:\n  - path: /m/a\n    path: /m/b\ndatasets: [{path: /d/x.jsonl}]\n"),
             "sweep.yaml:3:5: key 'models[0].path': appears twice in models[0] (first at line 2)");
}

TEST(SweepConfigErrors, MissingRequiredKeys) {
  EXPECT_HAS(error_of("models:\n  - name: a\ndatasets: [{path: /d/x.jsonl}]\n"),
             "sweep.yaml:2:5: key 'models[0].path': missing required key");
  EXPECT_HAS(error_of("models: [{path: /m/a}]\n"), "sweep.yaml:1:1: key 'datasets': missing required key");
}

TEST(SweepConfigErrors, InvalidEnumValues) {
  const std::string message = error_of("models:\n  - {path: /m/a, dtype: fp8, flops_profile: precise, attention: gpa}\n"
                                       "datasets:\n  - {path: /d/x.jsonl, on_bad_record: ignore}\n"
                                       "settings: {device: gpu, flops_profile: exact}\n");
  EXPECT_HAS(message, "key 'models[0].dtype': 'fp8' is not a dtype; expected auto (the checkpoint's own, as the reference loads it), float32, bfloat16 or float16");
  EXPECT_HAS(message, "key 'models[0].flops_profile': 'precise' is not valid; expected reference or exact");
  EXPECT_HAS(message, "key 'models[0].attention': 'gpa' is not valid; expected mla or gqa (did you mean 'gqa'?)");
  EXPECT_HAS(message, "key 'datasets[0].on_bad_record': 'ignore' is not valid; expected skip or fail");
  EXPECT_HAS(message, "key 'settings.device': 'gpu' is not a device; expected auto, cpu, cuda or cuda:N");
}

TEST(SweepConfigErrors, Fp8ModePerModel) {
  const auto config = parse_sweep_config("models:\n  - {path: /m/a, fp8_mode: w8a8}\n  - path: /m/b\n"
                                         "datasets:\n  - path: /d/x.jsonl\n", "sweep.yaml", "/sweeps", false);
  EXPECT_EQ(config.models.at(0).fp8_mode, "w8a8");
  EXPECT_EQ(config.models.at(1).fp8_mode, "auto") << "default";
  const std::string message = error_of("models:\n  - {path: /m/a, fp8_mode: fp8}\ndatasets:\n  - path: /d/x.jsonl\n");
  EXPECT_HAS(message, "key 'models[0].fp8_mode': 'fp8' is not valid; expected auto, dequant or w8a8");
}

TEST(SweepConfigErrors, OutOfRangeSettings) {
  const std::string message = error_of(std::string(kHead) +
                                       "settings: {max_sample_length: 1, tokens_per_batch: -5, threads: -1}\n");
  EXPECT_HAS(message, "key 'settings.max_sample_length': must be at least 2");
  EXPECT_HAS(message, "key 'settings.tokens_per_batch': must be >= 0");
  EXPECT_HAS(message, "key 'settings.threads': must be between 0");
}

TEST(SweepConfigErrors, EmptyListsAndFiles) {
  EXPECT_HAS(error_of("models: []\ndatasets: [{path: /d/x.jsonl}]\n"),
             "sweep.yaml:1:9: key 'models': the list is empty; a sweep needs at least one entry");
  EXPECT_HAS(error_of(""), "sweep.yaml:1:1: the sweep file is empty");
  EXPECT_HAS(error_of("# only a comment\n"), "the sweep file is empty");
  EXPECT_HAS(error_of("- a\n- b\n"), "expected a mapping with keys models, datasets, settings; got a list");
}

TEST(SweepConfigErrors, YamlSyntaxErrorHasPosition) {
  int line = 0;
  const std::string message = error_of("models:\n  - path: /m/a\n    name: [unclosed\ndatasets: []\n", &line);
  EXPECT_HAS(message, "not valid YAML");
  EXPECT_GE(line, 3);
}

TEST(SweepConfigErrors, NamesMustBeUsableInFileNames) {
  EXPECT_HAS(error_of("models: [{path: /m/a, name: a/b}]\ndatasets: [{path: /d/x.jsonl}]\n"),
             "key 'models[0].name': 'a/b' cannot be used as a name");
}

class SweepConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir(std::string("sweep_config_") +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ + "/models/tiny");
    std::ofstream(dir_ + "/models/tiny/config.json") << "{}";
    std::ofstream(dir_ + "/models/tiny/tokenizer.json") << "{}";
    std::filesystem::create_directories(dir_ + "/data");
    std::ofstream(dir_ + "/data/mixed_text.jsonl") << "{\"text\": \"hello\"}\n";
  }
  std::string write_yaml(const std::string& text) {
    const std::string path = dir_ + "/sweep.yaml";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(SweepConfigFiles, LoadsAndResolvesRelativePathsAgainstTheYamlDirectory) {
  const std::string text = "models:\n  - path: models/tiny\ndatasets:\n  - path: data/mixed_text.jsonl\n";
  const SweepConfig c = load_sweep_config(write_yaml(text));
  EXPECT_EQ(c.models[0].path, dir_ + "/models/tiny");
  EXPECT_EQ(c.models[0].name, "tiny");
  EXPECT_EQ(c.datasets[0].path, dir_ + "/data/mixed_text.jsonl");
  EXPECT_EQ(c.datasets[0].bias, -24.0);
  EXPECT_EQ(c.settings.output_dir, dir_ + "/results");
  EXPECT_EQ(c.source_text, text);
  EXPECT_EQ(c.name, "sweep");
}

TEST_F(SweepConfigFiles, MissingPathsAreReportedWithTheirKeys) {
  std::filesystem::create_directories(dir_ + "/models/no-config");
  std::filesystem::create_directories(dir_ + "/data/a-directory.jsonl");
  std::ofstream(dir_ + "/output-file") << "x";
  std::string message;
  try {
    load_sweep_config(write_yaml("models:\n  - path: models/absent\n  - path: models/no-config\n"
                                 "  - {path: models/tiny, tokenizer: tok}\n"
                                 "datasets:\n  - path: data/absent.jsonl\n  - path: data/a-directory.jsonl\n"
                                 "settings:\n  output_dir: output-file/results\n"));  // checked by the driver
  } catch (const ConfigError& error) {
    message = error.what();
  }
  EXPECT_HAS(message, "sweep.yaml:2:11: key 'models[0].path': directory " + dir_ + "/models/absent does not exist");
  EXPECT_HAS(message, "key 'models[1].path': " + dir_ + "/models/no-config has no config.json");
  EXPECT_HAS(message, "key 'models[2].tokenizer': directory " + dir_ + "/tok does not exist");
  EXPECT_HAS(message, "sweep.yaml:6:11: key 'datasets[0].path': dataset file " + dir_ + "/data/absent.jsonl does not exist");
  EXPECT_HAS(message, "key 'datasets[1].path': " + dir_ + "/data/a-directory.jsonl is a directory; give a JSONL file");
  EXPECT_EQ(message.find("output_dir"), std::string::npos) << message;
}

TEST_F(SweepConfigFiles, OutputDirectoryProblems) {
  std::ofstream(dir_ + "/output-file") << "x";
  EXPECT_EQ(output_dir_problem(dir_ + "/results/deeper"), "");
  EXPECT_EQ(output_dir_problem(dir_), "");
  EXPECT_HAS(output_dir_problem(dir_ + "/output-file"), "exists and is not a directory");
  EXPECT_HAS(output_dir_problem(dir_ + "/output-file/results"),
             "cannot be created: " + dir_ + "/output-file is not a directory");
  if (::geteuid() != 0) {
    std::filesystem::create_directories(dir_ + "/locked");
    std::filesystem::permissions(dir_ + "/locked", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_HAS(output_dir_problem(dir_ + "/locked/results"), "is not writable");
  }
}

TEST_F(SweepConfigFiles, MissingSweepFileAndDirectory) {
  EXPECT_THROW(load_sweep_config(dir_ + "/absent.yaml"), ConfigError);
  EXPECT_THROW(load_sweep_config(dir_), ConfigError);
}

TEST(SweepConfigExample, ShippedExampleParsesAndDocsCoverEveryKey) {
  const std::string example = testing::source_dir() + "/configs/example-sweep.yaml";
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const SweepConfig c = parse_sweep_config(text, example, testing::source_dir() + "/configs", false);
  EXPECT_GE(c.models.size(), 2u);
  EXPECT_GE(c.datasets.size(), 2u);

  std::ifstream doc_in(testing::source_dir() + "/docs/sweep-schema.md");
  ASSERT_TRUE(doc_in);
  const std::string doc((std::istreambuf_iterator<char>(doc_in)), std::istreambuf_iterator<char>());
  for (const auto* keys : {&sweep_top_level_keys(), &sweep_model_keys(), &sweep_dataset_keys(), &sweep_settings_keys()}) {
    for (const auto& key : *keys) {
      EXPECT_HAS(doc, "`" + key + "`");
      EXPECT_HAS(text, key + ":");
    }
  }
}

}  // namespace
}  // namespace icsweep
