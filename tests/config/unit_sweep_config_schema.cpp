// Sweep YAML schema: values, defaults and normalisation (no file-system checks here).
#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"

namespace icsweep {
namespace {

SweepConfig parse(const std::string& text) { return parse_sweep_config(text, "sweep.yaml", "/sweeps", false); }

TEST(SweepConfigSchema, ReadsEveryKey) {
  const SweepConfig c = parse(R"(name: paper
models:
  - name: Qwen2.5-0.5B
    path: models/qwen2.5-0.5b
    series: Qwen2.5
    size: 0.5B
    dtype: bf16
    flops_profile: exact
    attention: mla
    tokenizer: /tokenizers/qwen
datasets:
  - name: mixed
    path: /data/mixed_text.jsonl
    text_field: content
    bias: -20.5
    on_bad_record: fail
settings:
  max_sample_length: 2048
  tokens_per_batch: 65536
  output_dir: out
  per_token: true
  device: cuda:1
  flops_profile: exact
  threads: 8
)");
  EXPECT_EQ(c.name, "paper");
  ASSERT_EQ(c.models.size(), 1u);
  const ModelSpec& m = c.models[0];
  EXPECT_EQ(m.name, "Qwen2.5-0.5B");
  EXPECT_EQ(m.path, "/sweeps/models/qwen2.5-0.5b");  // relative to the YAML's directory
  EXPECT_EQ(m.series, "Qwen2.5");
  EXPECT_EQ(m.size, "0.5B");
  EXPECT_EQ(m.dtype, "bfloat16");
  EXPECT_EQ(m.flops_profile, "exact");
  EXPECT_EQ(m.attention, "mla");
  EXPECT_EQ(m.tokenizer, "/tokenizers/qwen");
  EXPECT_EQ(m.line, 3);
  ASSERT_EQ(c.datasets.size(), 1u);
  const DatasetSpec& d = c.datasets[0];
  EXPECT_EQ(d.name, "mixed");
  EXPECT_EQ(d.text_field, "content");
  EXPECT_EQ(d.bias, -20.5);
  EXPECT_TRUE(d.bias_from_config);
  EXPECT_EQ(d.on_bad_record, "fail");
  EXPECT_EQ(c.settings.max_sample_length, 2048);
  EXPECT_EQ(c.settings.tokens_per_batch, 65536);
  EXPECT_EQ(c.settings.output_dir, "/sweeps/out");
  EXPECT_TRUE(c.settings.per_token);
  EXPECT_EQ(c.settings.device, "cuda:1");
  EXPECT_EQ(c.settings.flops_profile, "exact");
  EXPECT_EQ(c.settings.threads, 8);
  EXPECT_EQ(c.source_path, "sweep.yaml");
  EXPECT_NE(c.source_text.find("max_sample_length: 2048"), std::string::npos);
}

TEST(SweepConfigSchema, DefaultsFollowDesign) {
  const SweepConfig c = parse(R"(models:
  - path: /m/Qwen2.5-7B-Instruct/
datasets:
  - path: /d/mixed_text.jsonl
  - path: /d/Ch-FineWeb-Edu.jsonl
  - path: /d/code.jsonl
)");
  EXPECT_EQ(c.name, "sweep");
  const ModelSpec& m = c.models[0];
  EXPECT_EQ(m.path, "/m/Qwen2.5-7B-Instruct");
  EXPECT_EQ(m.name, "Qwen2.5-7B-Instruct");
  EXPECT_EQ(m.series, "Qwen2.5-7B");
  EXPECT_EQ(m.size, "");
  EXPECT_EQ(m.dtype, "auto") << "the checkpoint's own dtype, as the reference loads it";
  EXPECT_EQ(m.flops_profile, "");
  EXPECT_EQ(m.attention, "");
  EXPECT_EQ(m.tokenizer, m.path);
  // docs/design.md §1.5 biases by file name
  EXPECT_EQ(c.datasets[0].name, "mixed_text");
  EXPECT_EQ(c.datasets[0].bias, -24.0);
  EXPECT_EQ(c.datasets[1].bias, -18.7);
  EXPECT_EQ(c.datasets[2].bias, -27.0);
  EXPECT_FALSE(c.datasets[2].bias_from_config);
  EXPECT_EQ(c.datasets[2].text_field, "text");
  EXPECT_EQ(c.datasets[2].on_bad_record, "skip");
  EXPECT_EQ(c.settings.max_sample_length, 1024);
  EXPECT_EQ(c.settings.tokens_per_batch, 0);
  EXPECT_EQ(c.settings.output_dir, "/sweeps/results");
  EXPECT_FALSE(c.settings.per_token);
  EXPECT_EQ(c.settings.device, "auto");
  EXPECT_EQ(c.settings.flops_profile, "reference");
  EXPECT_EQ(c.settings.threads, 0);
}

TEST(SweepConfigSchema, DtypeAliasesNormalize) {
  for (const auto& [given, expected] : std::vector<std::pair<std::string, std::string>>{
           {"fp32", "float32"}, {"float32", "float32"}, {"FP16", "float16"}, {"float16", "float16"},
           {"bf16", "bfloat16"}, {"bfloat16", "bfloat16"}}) {
    const SweepConfig c = parse("models:\n  - {path: /m/a, dtype: " + given + "}\ndatasets:\n  - path: /d/x.jsonl\n");
    EXPECT_EQ(c.models[0].dtype, expected) << given;
  }
}

TEST(SweepConfigSchema, DefaultBiasMatchesFileNameOnly) {
  EXPECT_EQ(default_bias_for("/data/mixed_text.jsonl"), -24.0);
  EXPECT_EQ(default_bias_for("en_mixed_text.jsonl"), -24.0);  // substring, as the reference
  EXPECT_EQ(default_bias_for("/x/Ch-FineWeb-Edu.jsonl"), -18.7);
  EXPECT_EQ(default_bias_for("/mixed_text.jsonl/part.jsonl"), -27.0);  // directories never match
  EXPECT_EQ(default_bias_for("ch-fineweb-edu.jsonl"), -27.0);  // case-sensitive, as the reference
}

TEST(SweepConfigSchema, EmptySettingsMappingIsFine) {
  const SweepConfig c = parse("models: [{path: /m/a}]\ndatasets: [{path: /d/x.jsonl}]\nsettings:\n");
  EXPECT_EQ(c.settings.max_sample_length, 1024);
}

TEST(SweepConfigSchema, YesNoAndQuotedScalars) {
  const SweepConfig c = parse("models: [{path: /m/a, name: \"123\"}]\ndatasets: [{path: /d/x.jsonl, bias: -3}]\n"
                              "settings: {per_token: yes}\n");
  EXPECT_EQ(c.models[0].name, "123");
  EXPECT_EQ(c.datasets[0].bias, -3.0);
  EXPECT_TRUE(c.settings.per_token);
}

}  // namespace
}  // namespace icsweep
