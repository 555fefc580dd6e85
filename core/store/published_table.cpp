#include "core/store/published_table.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/common/errors.h"
#include "core/store/cell_file.h"
#include "core/store/published_columns.h"

namespace icsweep {
namespace {

using Kind = PublishedColumn::Kind;

std::string format_fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// Cell text for table/markdown: what a reader compares against the reference table.
std::string readable_value(const PublishedRow& row, const PublishedColumn& column) {
  switch (column.kind) {
    case Kind::kString: return row.*column.string_field;
    case Kind::kInt: return std::to_string(row.*column.int_field);
    case Kind::kDouble: break;
  }
  const double value = row.*column.double_field;
  const std::string name = column.name;
  if (name == "constant") return format_fixed(value, 2);
  if (name == "BF16_TFLOPs") return std::isnan(value) ? "nan" : shortest_round_trip(value);
  return format_fixed(value, 5);
}

// One row's cells in the published column order.
std::vector<TableCell> published_cells(const PublishedRow& row) {
  std::vector<TableCell> cells;
  for (const auto& column : published_columns()) {
    switch (column.kind) {
      case Kind::kString: cells.push_back(text_cell(row.*column.string_field)); break;
      case Kind::kInt: cells.push_back(integer_cell(row.*column.int_field)); break;
      case Kind::kDouble: cells.push_back(number_cell(row.*column.double_field, readable_value(row, column))); break;
    }
  }
  return cells;
}

}  // namespace

int64_t sample_limit_of(const CellResult& cell) {
  const auto it = cell.attributes.find("sample_limit");
  return it == cell.attributes.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
}

std::vector<ReportCell> read_report_cells(const std::string& path) {
  if (!is_index_file(path)) {
    const CellResult cell = read_cell_summary(path);
    return {{cell.row, cell.status, path, "", sample_limit_of(cell)}};
  }
  // One missing or damaged cell file leaves the others readable: it is reported, named.
  std::vector<ReportCell> cells;
  for (const IndexEntry& entry : read_index_file(path)) {
    try {
      const CellResult cell = read_cell_summary(entry.cell_file);
      cells.push_back({cell.row, cell.status, entry.cell_file, "", sample_limit_of(cell)});
    } catch (const std::exception& e) {
      ReportCell missing{{}, "unreadable", entry.cell_file, e.what()};
      missing.row.model_name = entry.model_name;
      missing.row.data_name = entry.data_name;
      cells.push_back(std::move(missing));
    }
  }
  return cells;
}

std::string format_published_rows(const std::vector<PublishedRow>& rows, TableFormat format) {
  TextTable table;
  for (const auto& column : published_columns()) table.add_column(column.name, column.kind == Kind::kString);
  for (const auto& row : rows) table.rows.push_back(published_cells(row));
  return render_table(table, format);
}

}  // namespace icsweep
