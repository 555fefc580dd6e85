#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cell_fixture.h"
#include "core/common/errors.h"
#include "core/store/cell_file.h"
#include "core/store/published_columns.h"
#include "core/store/published_table.h"
#include "test_paths.h"

namespace icsweep {
namespace {

// The hand-made cell's row and the design's example row (docs/design.md §1.5: constant 34.95,
// NLL 3.98853, 1.000647688192 TFLOPs -> ic 0.23311; log2(120818) = 16.882383...).
std::vector<PublishedRow> two_rows() {
  PublishedRow example{"Hunyuan-0.5B", "Hunyuan", "0.5B", "mixed_text", 1024, 16.882383, 34.95, 3.98853,
                       30.96147, 1.000647688192, 1.0366612, 0.2331059};
  return {testing::hand_made_cell().row, example};
}

TEST(PublishedTable, ColumnsAreTheMetricsModulesPublishedColumnsInOrder) {
  int count = 0;
  const char* const* names = published_column_names(&count);
  ASSERT_EQ(static_cast<size_t>(count), published_columns().size());
  for (int i = 0; i < count; ++i) EXPECT_STREQ(published_columns()[i].name, names[i]);
}

TEST(PublishedTable, TableAlignsColumnsAndRoundsForReading) {
  const std::string expected =
      "model_name    model_series  model_size  data_name   seq_len  uniform_entropy  constant  conditional_entropy  "
      "entropy_gain     BF16_TFLOPs  information_capacity       ic\n"
      "tiny-llama-α  tiny-llama    1M          demo-docs      1024         16.00000     35.12              3.71930  "
      "    31.40070  1.099511627776               1.04669  0.24669\n"
      "Hunyuan-0.5B  Hunyuan       0.5B        mixed_text     1024         16.88238     34.95              3.98853  "
      "    30.96147  1.000647688192               1.03666  0.23311\n";
  EXPECT_EQ(format_published_rows(two_rows(), TableFormat::kTable), expected);
}

TEST(PublishedTable, CsvKeepsFullPrecision) {
  const std::string expected =
      "model_name,model_series,model_size,data_name,seq_len,uniform_entropy,constant,conditional_entropy,"
      "entropy_gain,BF16_TFLOPs,information_capacity,ic\n"
      "tiny-llama-α,tiny-llama,1M,demo-docs,1024,16,35.12,3.719298245614035,31.400701754385963,1.099511627776,"
      "1.046690058479532,0.2466900584795321\n"
      "Hunyuan-0.5B,Hunyuan,0.5B,mixed_text,1024,16.882383,34.95,3.98853,30.96147,1.000647688192,1.0366612,"
      "0.2331059\n";
  EXPECT_EQ(format_published_rows(two_rows(), TableFormat::kCsv), expected);
}

TEST(PublishedTable, MarkdownHasHeaderRuleAndEscapesPipes) {
  PublishedRow row = two_rows()[1];
  row.data_name = "a|b";
  const std::string expected =
      "| model_name | model_series | model_size | data_name | seq_len | uniform_entropy | constant | "
      "conditional_entropy | entropy_gain | BF16_TFLOPs | information_capacity | ic |\n"
      "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
      "| Hunyuan-0.5B | Hunyuan | 0.5B | a\\|b | 1024 | 16.88238 | 34.95 | 3.98853 | 30.96147 | 1.000647688192 | "
      "1.03666 | 0.23311 |\n";
  EXPECT_EQ(format_published_rows({row}, TableFormat::kMarkdown), expected);
}

TEST(PublishedTable, JsonIsAnArrayOfObjectsInColumnOrderWithNullForNan) {
  PublishedRow row = two_rows()[1];
  row.model_name = "say \"hi\"\n";
  row.ic = std::nan("");
  const std::string expected =
      "[\n  {\"model_name\": \"say \\\"hi\\\"\\n\", \"model_series\": \"Hunyuan\", \"model_size\": \"0.5B\", "
      "\"data_name\": \"mixed_text\", \"seq_len\": 1024, \"uniform_entropy\": 16.882383, \"constant\": 34.95, "
      "\"conditional_entropy\": 3.98853, \"entropy_gain\": 30.96147, \"BF16_TFLOPs\": 1.000647688192, "
      "\"information_capacity\": 1.0366612, \"ic\": null}\n]\n";
  EXPECT_EQ(format_published_rows({row}, TableFormat::kJson), expected);
  EXPECT_EQ(format_published_rows({}, TableFormat::kJson), "[]\n");
}

TEST(PublishedTable, CsvQuotesFieldsWithCommasAndQuotes) {
  PublishedRow row = two_rows()[1];
  row.model_name = "a,\"b\"";
  const std::string csv = format_published_rows({row}, TableFormat::kCsv);
  EXPECT_NE(csv.find("\n\"a,\"\"b\"\"\",Hunyuan,"), std::string::npos) << csv;
}

TEST(PublishedTable, ShortestRoundTripPicksTheFewestDigits) {
  EXPECT_EQ(shortest_round_trip(0.1), "0.1");
  EXPECT_EQ(shortest_round_trip(1.000647688192), "1.000647688192");
  EXPECT_EQ(shortest_round_trip(37.7957122048), "37.7957122048");
  EXPECT_EQ(shortest_round_trip(1.0 / 3.0), "0.3333333333333333");  // 16 digits suffice, not 17
  EXPECT_EQ(shortest_round_trip(-24), "-24");
}

TEST(PublishedTable, UnknownFormatIsAUsageError) {
  EXPECT_EQ(parse_table_format("markdown"), TableFormat::kMarkdown);
  EXPECT_THROW(parse_table_format("xlsx"), UsageError);
}

TEST(PublishedTable, ReportCellsComeFromAnIndexOrASingleCellFile) {
  const std::string directory = testing::scratch_dir("report_cells");
  write_cell_file(directory + "/a.h5", testing::hand_made_cell("model-a", "docs"));
  CellResult failed = testing::hand_made_cell("model-b", "docs");
  failed.status = "failed";
  write_cell_file(directory + "/b.h5", failed);
  write_index_file(directory + "/results.h5", {{"model-a", "docs", "a.h5"}, {"model-b", "docs", "b.h5"}}, {});

  const auto cells = read_report_cells(directory + "/results.h5");
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].row.model_name, "model-a");
  EXPECT_EQ(cells[0].row.ic, testing::kIc);
  EXPECT_EQ(cells[1].status, "failed");
  EXPECT_EQ(cells[1].cell_file, directory + "/b.h5");

  const auto single = read_report_cells(directory + "/a.h5");
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].row.data_name, "docs");
}

TEST(PublishedTable, AMissingCellFileIsNamedAndTheOthersAreStillRead) {
  const std::string directory = testing::scratch_dir("report_missing_cell");
  write_cell_file(directory + "/a.h5", testing::hand_made_cell("model-a", "docs"));
  write_index_file(directory + "/results.h5", {{"model-a", "docs", "a.h5"}, {"model-b", "docs", "b.h5"}}, {});
  const auto cells = read_report_cells(directory + "/results.h5");
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].status, "ok");
  EXPECT_EQ(cells[0].row.ic, testing::kIc);
  EXPECT_EQ(cells[1].status, "unreadable");
  EXPECT_EQ(cells[1].row.model_name, "model-b");
  EXPECT_NE(cells[1].error.find("b.h5"), std::string::npos) << cells[1].error;
}

}  // namespace
}  // namespace icsweep
