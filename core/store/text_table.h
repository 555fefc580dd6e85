// One table, four renderings: `table` (fixed columns for reading), `csv` and `json` (every number
// exact: the shortest text that reads back as the same double) and `markdown`. Every command that
// prints a table takes --format table|csv|json|markdown and renders it here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

enum class TableFormat { kTable, kCsv, kJson, kMarkdown };

// "table", "csv", "json", "markdown"; throws UsageError naming the accepted values otherwise.
TableFormat parse_table_format(const std::string& name);

struct TableCell {
  std::string readable;  // table and markdown
  std::string exact;     // csv
  std::string json;      // a JSON literal: "\"text\"", 1.5, null
};

TableCell text_cell(const std::string& text);
// `readable` as the reader should see it (rounded); exact and json the shortest round trip, NaN and
// infinities "nan"/"inf" (json null).
TableCell number_cell(double value, const std::string& readable);
TableCell integer_cell(int64_t value);

struct TextTable {
  std::vector<std::string> columns;
  std::vector<bool> left_aligned;  // per column: text left, numbers right (table and markdown)
  std::vector<std::vector<TableCell>> rows;

  void add_column(const std::string& name, bool left) {
    columns.push_back(name);
    left_aligned.push_back(left);
  }
};

std::string render_table(const TextTable& table, TableFormat format);

// Shortest "%.Ng" text of `value` that strtod reads back as exactly `value`.
std::string shortest_round_trip(double value);
// A JSON string literal of TEXT (quotes, escapes).
std::string json_string(const std::string& text);

}  // namespace icsweep
