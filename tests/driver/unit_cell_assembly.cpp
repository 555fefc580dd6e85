#include <gtest/gtest.h>

#include <cmath>

#include "driver/cell_assembly.h"

namespace icsweep {
namespace {

// A cell of four lines: sample 0 (3 ids), sample 1 (1 id: too short), sample 2 bad JSON,
// sample 3 (5 ids); Hunyuan-0.5B-shaped config so N is docs/design.md's check value.
CellPlan hand_made_cell() {
  auto contents = std::make_shared<DatasetContents>();
  contents->records = {{0, 1, 0, "abc"}, {1, 2, 10, "x"}, {3, 4, 30, "abcdef"}};
  contents->bad = {{2, 3, 20, "invalid_json", "expected value"}};
  auto data = std::make_shared<TokenizedDataset>();
  data->contents = contents;
  data->ids = {{1, 5, 6}, {1}, {1, 7, 8, 9, 10}};
  data->tail_bytes = {10, 0, 20};
  data->tokenizer_size = 120818;
  CellPlan cell;
  cell.model.name = "Hunyuan-0.5B";
  cell.model.series = "Hunyuan";
  cell.model.size = "0.5B";
  cell.dataset.name = "toy";
  cell.dataset.bias = -27.0;
  cell.data = data;
  cell.model_config = HfConfig({{"hidden_size", 1024},       {"num_hidden_layers", 24}, {"num_attention_heads", 16},
                                {"num_key_value_heads", 8},  {"intermediate_size", 3584}, {"vocab_size", 120818},
                                {"model_type", "hunyuan_v1_dense"}}, "config.json");
  return cell;
}

TEST(CellAssembly, AggregatesFollowTheReferenceDefinitions) {
  const CellPlan cell = hand_made_cell();
  CellScores scores(3);
  scores.scored = {true, false, true};
  scores.n_tokens = {2, 0, 4};
  scores.nll_bits = {4.0, 0.0, 8.0};
  Settings settings;
  settings.max_sample_length = 1024;
  const CellResult r = assemble_cell(cell, scores, settings, {});

  ASSERT_EQ(r.samples.size(), 4u);
  EXPECT_EQ(r.samples[0].status, SampleStatus::kOk);
  EXPECT_EQ(r.samples[1].status, SampleStatus::kTooShort);
  EXPECT_EQ(r.samples[2].status, SampleStatus::kBadRecord);
  EXPECT_EQ(r.samples[3].status, SampleStatus::kOk);
  EXPECT_EQ(r.samples[3].sample_index, 3);
  // text bits/token: 8*10/2 = 40 and 8*20/4 = 40 -> constant 40.00; NLL (4+8)/(2+4) = 2 bits/token.
  EXPECT_DOUBLE_EQ(r.samples[0].text_bits_per_token, 40.0);
  EXPECT_DOUBLE_EQ(r.samples[3].nll_bits_per_token, 2.0);
  EXPECT_DOUBLE_EQ(r.row.constant, 40.0);
  EXPECT_DOUBLE_EQ(r.row.conditional_entropy, 2.0);
  EXPECT_EQ(r.samples_scored, 2);
  EXPECT_EQ(r.samples_skipped, 2);
  EXPECT_EQ(r.total_scored_tokens, 6);
  // docs/design.md §1.4 check value: 1.000647688192 decode TFLOPs for T = 1024.
  EXPECT_NEAR(r.row.bf16_tflops, 1.000647688192, 1e-12);
  const double log2_n = std::log2(1.000647688192e12 / 1024.0);
  EXPECT_NEAR(r.row.ic, (40.0 - 2.0 - 27.0) / log2_n, 1e-12);
  EXPECT_NEAR(r.row.information_capacity, (40.0 - 2.0) / log2_n, 1e-12);
  EXPECT_NEAR(r.row.uniform_entropy, std::log2(120818.0), 1e-12);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].kind, "invalid_json");
  EXPECT_EQ(r.errors[0].line, 3);
}

TEST(CellAssembly, FailedSampleIsExcludedAndListed) {
  const CellPlan cell = hand_made_cell();
  CellScores scores(3);
  scores.scored = {true, false, false};
  scores.n_tokens = {2, 0, 0};
  scores.nll_bits = {3.0, 0.0, 0.0};
  scores.failed[2] = "CUDA out of memory";
  Settings settings;
  const CellResult r = assemble_cell(cell, scores, settings, {});
  EXPECT_EQ(r.samples[3].status, SampleStatus::kFailed);
  EXPECT_EQ(r.samples_scored, 1);
  EXPECT_DOUBLE_EQ(r.row.conditional_entropy, 1.5);
  bool listed = false;
  for (const auto& e : r.errors) listed = listed || (e.sample_index == 3 && e.message == "CUDA out of memory");
  EXPECT_TRUE(listed);
}

TEST(CellAssembly, PerTokenValuesFollowSampleOrder) {
  const CellPlan cell = hand_made_cell();
  CellScores scores(3);
  scores.scored = {true, false, true};
  scores.n_tokens = {2, 0, 4};
  scores.nll_bits = {3.0, 0.0, 10.0};
  scores.token_nll_bits[0] = {1.0f, 2.0f};
  scores.token_nll_bits[2] = {1.0f, 2.0f, 3.0f, 4.0f};
  Settings settings;
  settings.per_token = true;
  const CellResult r = assemble_cell(cell, scores, settings, {});
  ASSERT_TRUE(r.has_tokens);
  EXPECT_EQ(r.token_offsets, (std::vector<int64_t>{0, 2, 2, 2, 6}));
  EXPECT_EQ(r.token_nll_bits, (std::vector<float>{1, 2, 1, 2, 3, 4}));
}

TEST(CellAssembly, RederivedCellTakesTheNewBiasSeriesAndSizeFromTheStoredRows) {
  CellPlan cell = hand_made_cell();
  CellScores scores(3);
  scores.scored = {true, false, true};
  scores.n_tokens = {2, 0, 4};
  scores.nll_bits = {4.0, 0.0, 8.0};
  Settings settings;
  settings.max_sample_length = 1024;
  CellResult stored = assemble_cell(cell, scores, settings, {});
  cell.dataset.bias = -24.0;
  cell.model.series = "Hunyuan-dense";
  cell.model.size = "500M";
  rederive_cell(cell, settings, &stored);
  // Same hand values as above with b = -24: (40 - 2 - 24) / log2 N.
  const double log2_n = std::log2(1.000647688192e12 / 1024.0);
  EXPECT_NEAR(stored.row.ic, (40.0 - 2.0 - 24.0) / log2_n, 1e-12);
  EXPECT_NEAR(stored.row.information_capacity, (40.0 - 2.0) / log2_n, 1e-12);
  EXPECT_EQ(stored.bias, -24.0);
  EXPECT_EQ(stored.row.model_series, "Hunyuan-dense");
  EXPECT_EQ(stored.row.model_size, "500M");
  EXPECT_DOUBLE_EQ(stored.row.conditional_entropy, 2.0);
  EXPECT_EQ(stored.samples_scored, 2);
  EXPECT_EQ(stored.samples_skipped, 2);
  EXPECT_EQ(stored.status, "ok");
}

TEST(CellAssembly, BadRecordsPastTheFirstThousandAreSummarisedPerReasonWithLineRanges) {
  CellPlan cell = hand_made_cell();
  auto contents = std::make_shared<DatasetContents>(*cell.data->contents);
  contents->bad.clear();
  // lines 10..1509 bad: even lines invalid_json, odd lines missing_text (1500 in all)
  for (int64_t line = 10; line < 1510; ++line)
    contents->bad.push_back({line + 100, line, 0, line % 2 ? "missing_text" : "invalid_json", "detail"});
  auto data = std::make_shared<TokenizedDataset>(*cell.data);
  data->contents = contents;
  cell.data = data;
  CellScores scores(3);
  scores.scored = {true, false, true};
  scores.n_tokens = {2, 0, 4};
  scores.nll_bits = {4.0, 0.0, 8.0};
  const CellResult r = assemble_cell(cell, scores, Settings{}, {});
  ASSERT_EQ(r.errors.size(), 1000u + 2u);
  EXPECT_EQ(r.samples.size(), 3u + 1500u);  // every bad record keeps its /samples row
  // the first 1000 (lines 10..1009) in full; then 250 of each reason on lines 1010..1509
  const ErrorRow* json = nullptr;
  for (const auto& e : r.errors)
    if (e.message.find("more bad records") != std::string::npos && e.kind == "invalid_json") json = &e;
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(json->line, 1010);
  EXPECT_NE(json->message.find("250 more bad records of this kind after the first 1000 listed, on lines 1010, 1012"),
            std::string::npos) << json->message;
  EXPECT_NE(json->message.find("(200 more ranges)"), std::string::npos) << json->message;
}

}  // namespace
}  // namespace icsweep
