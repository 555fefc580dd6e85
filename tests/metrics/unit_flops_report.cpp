// The logic of `icsweep flops MODEL_DIR` run on a temporary config.json (not through the command).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/common/errors.h"
#include "core/metrics/flops_report.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string write_model_dir(const std::string& test, const std::string& leaf, const std::string& config_text) {
  const std::filesystem::path dir = std::filesystem::path(testing::scratch_dir(test)) / leaf;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << config_text;
  return dir.string();
}

const char* kHunyuanConfig = R"({"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
  "num_key_value_heads": 8, "intermediate_size": 3584, "vocab_size": 120818, "model_type": "hunyuan_v1_dense"})";

TEST(FlopsReport, ReadsConfigJsonAndMatchesHunyuanCheckValue) {
  FlopsRequest request;
  request.model_dir = write_model_dir("flops_report_hunyuan", "Hunyuan-0.5B", kHunyuanConfig);
  const FlopsReport report = compute_flops_report(request);
  EXPECT_EQ(report.request.name, request.model_dir);  // name defaults to the directory path
  EXPECT_EQ(report.estimate.total_flops, 1000647688192.0);  // docs/design.md §1.4 check value

  const std::string table = format_flops_table(report);
  EXPECT_NE(table.find("1.000647688192"), std::string::npos) << table;
  EXPECT_NE(table.find("FLOPs per token"), std::string::npos);
  const nlohmann::json json = flops_report_json(report);
  EXPECT_EQ(json["total_flops"].get<double>(), 1000647688192.0);
  EXPECT_EQ(json["tokens"], 1024);
  EXPECT_EQ(json["profile"], "reference");
}

TEST(FlopsReport, NameOptionDrivesQuirksAndNotesNameThem) {
  FlopsRequest request;
  request.model_dir = write_model_dir("flops_report_qwen", "snapshot", R"({"hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 32,
    "shared_expert_intermediate_size": 16, "vocab_size": 100})");
  request.name = "Qwen/Qwen2-57B-A14B";
  request.tokens = 8;
  const FlopsReport report = compute_flops_report(request);
  // f = 32 + 16 = 48, d_k = 16: per layer 8·(16,384 + 16,384 + 18,432) + 2·4·16·8·7 = 409,600 + 7,168
  // = 416,768; × 2 layers = 833,536; lm_head 2·8·64·100 = 102,400; total 935,936.
  EXPECT_EQ(report.estimate.total_flops, 935936.0);
  EXPECT_NE(format_flops_table(report).find("shared_expert_intermediate_size"), std::string::npos);
}

TEST(FlopsReport, ExactProfileOnLlamaConfig) {
  FlopsRequest request;
  request.model_dir = write_model_dir("flops_report_exact", "tiny", R"({"model_type": "llama",
    "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 32, "intermediate_size": 128, "vocab_size": 100})");
  request.profile = "exact";
  request.tokens = 5;
  // See unit_flops_exact.cpp: one sequence of 5 -> 2·5·98,304 + 2·512·15 + 5·12,800 = 1,062,400
  EXPECT_EQ(compute_flops_report(request).estimate.total_flops, 1062400.0);
}

TEST(FlopsReport, ProblemsAreTypedErrors) {
  FlopsRequest request;
  request.model_dir = testing::scratch_dir("flops_report_missing");
  EXPECT_THROW(compute_flops_report(request), ModelError);  // no config.json
  request.model_dir = write_model_dir("flops_report_badjson", "m", "{not json");
  EXPECT_THROW(compute_flops_report(request), ModelError);
  request.model_dir = write_model_dir("flops_report_usage", "m", kHunyuanConfig);
  request.profile = "fastest";
  EXPECT_THROW(compute_flops_report(request), UsageError);
  request.profile = "reference";
  request.tokens = 0;
  EXPECT_THROW(compute_flops_report(request), UsageError);
  request.tokens = 8;
  request.attention = "sparse";
  EXPECT_THROW(compute_flops_report(request), UsageError);
}

}  // namespace
}  // namespace icsweep
