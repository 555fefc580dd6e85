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

std::string exact_value(const PublishedRow& row, const PublishedColumn& column) {
  switch (column.kind) {
    case Kind::kString: return row.*column.string_field;
    case Kind::kInt: return std::to_string(row.*column.int_field);
    case Kind::kDouble: break;
  }
  const double value = row.*column.double_field;
  return std::isnan(value) ? "nan" : shortest_round_trip(value);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += (c == '|') ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_value(const PublishedRow& row, const PublishedColumn& column) {
  if (column.kind == Kind::kString) return json_string(row.*column.string_field);
  if (column.kind == Kind::kDouble && !std::isfinite(row.*column.double_field)) return "null";
  return exact_value(row, column);
}

// Characters as a terminal counts them (UTF-8 code points; wide CJK glyphs are not special-cased).
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

// Fixed-width columns: strings left-aligned, numbers right-aligned, two spaces apart.
std::string format_text_table(const std::vector<PublishedRow>& rows) {
  const auto& columns = published_columns();
  std::vector<std::vector<std::string>> cells(rows.size());
  std::vector<size_t> widths;
  for (const auto& column : columns) widths.push_back(std::string(column.name).size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      cells[r].push_back(readable_value(rows[r], columns[c]));
      widths[c] = std::max(widths[c], display_width(cells[r][c]));
    }
  }
  auto line = [&](const std::vector<std::string>& values) {
    std::string out;
    for (size_t c = 0; c < columns.size(); ++c) {
      const size_t pad = widths[c] - display_width(values[c]);
      if (c) out += "  ";
      const bool left = columns[c].kind == Kind::kString;
      out += left ? values[c] + std::string(c + 1 < columns.size() ? pad : 0, ' ') : std::string(pad, ' ') + values[c];
    }
    return out + "\n";
  };
  std::vector<std::string> header;
  for (const auto& column : columns) header.push_back(column.name);
  std::string out = line(header);
  for (const auto& row_cells : cells) out += line(row_cells);
  return out;
}

}  // namespace

std::string shortest_round_trip(double value) {
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

TableFormat parse_table_format(const std::string& name) {
  if (name == "table") return TableFormat::kTable;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  if (name == "markdown") return TableFormat::kMarkdown;
  throw UsageError("unknown format '" + name + "': use table, csv, json or markdown");
}

std::vector<ReportCell> read_report_cells(const std::string& path) {
  if (!is_index_file(path)) {
    const CellResult cell = read_cell_summary(path);
    return {{cell.row, cell.status, path, ""}};
  }
  // One missing or damaged cell file leaves the others readable: it is reported, named.
  std::vector<ReportCell> cells;
  for (const IndexEntry& entry : read_index_file(path)) {
    try {
      const CellResult cell = read_cell_summary(entry.cell_file);
      cells.push_back({cell.row, cell.status, entry.cell_file, ""});
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
  const auto& columns = published_columns();
  std::string out;
  switch (format) {
    case TableFormat::kTable: return format_text_table(rows);
    case TableFormat::kCsv:
      for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + std::string(columns[c].name);
      out += "\n";
      for (const auto& row : rows) {
        for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + csv_field(exact_value(row, columns[c]));
        out += "\n";
      }
      return out;
    case TableFormat::kMarkdown:
      out = "|";
      for (const auto& column : columns) out += " " + std::string(column.name) + " |";
      out += "\n|";
      for (const auto& column : columns) out += column.kind == Kind::kString ? "---|" : "---:|";
      out += "\n";
      for (const auto& row : rows) {
        out += "|";
        for (const auto& column : columns) out += " " + markdown_cell(readable_value(row, column)) + " |";
        out += "\n";
      }
      return out;
    case TableFormat::kJson:
      out = "[";
      for (size_t r = 0; r < rows.size(); ++r) {
        out += r ? ",\n  {" : "\n  {";
        for (size_t c = 0; c < columns.size(); ++c) {
          out += (c ? ", " : "") + json_string(columns[c].name) + ": " + json_value(rows[r], columns[c]);
        }
        out += "}";
      }
      return out + (rows.empty() ? "]\n" : "\n]\n");
  }
  return out;
}

}  // namespace icsweep
