#include "core/store/text_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/common/errors.h"

namespace icsweep {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += (c == '|') ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

// Characters as a terminal counts them (UTF-8 code points; wide CJK glyphs are not special-cased).
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

// Fixed-width columns, two spaces apart.
std::string render_fixed(const TextTable& table) {
  std::vector<size_t> widths;
  for (const auto& name : table.columns) widths.push_back(display_width(name));
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c].readable));
  auto line = [&](auto text_of) {
    std::string out;
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const std::string value = text_of(c);
      const size_t pad = widths[c] - display_width(value);
      if (c) out += "  ";
      const bool last = c + 1 == table.columns.size();
      out += table.left_aligned[c] ? value + std::string(last ? 0 : pad, ' ') : std::string(pad, ' ') + value;
    }
    return out + "\n";
  };
  std::string out = line([&](size_t c) { return table.columns[c]; });
  for (const auto& row : table.rows) out += line([&](size_t c) { return row[c].readable; });
  return out;
}

}  // namespace

TableFormat parse_table_format(const std::string& name) {
  if (name == "table") return TableFormat::kTable;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  if (name == "markdown") return TableFormat::kMarkdown;
  throw UsageError("unknown format '" + name + "': use table, csv, json or markdown");
}

std::string shortest_round_trip(double value) {
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
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

TableCell text_cell(const std::string& text) { return {text, text, json_string(text)}; }

TableCell number_cell(double value, const std::string& readable) {
  if (std::isnan(value)) return {readable, "nan", "null"};
  if (std::isinf(value)) return {readable, value > 0 ? "inf" : "-inf", "null"};
  const std::string exact = shortest_round_trip(value);
  return {readable, exact, exact};
}

TableCell integer_cell(int64_t value) {
  const std::string text = std::to_string(value);
  return {text, text, text};
}

std::string render_table(const TextTable& table, TableFormat format) {
  const auto& columns = table.columns;
  std::string out;
  switch (format) {
    case TableFormat::kTable: return render_fixed(table);
    case TableFormat::kCsv:
      for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + csv_field(columns[c]);
      out += "\n";
      for (const auto& row : table.rows) {
        for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + csv_field(row[c].exact);
        out += "\n";
      }
      return out;
    case TableFormat::kMarkdown:
      out = "|";
      for (const auto& column : columns) out += " " + markdown_cell(column) + " |";
      out += "\n|";
      for (size_t c = 0; c < columns.size(); ++c) out += table.left_aligned[c] ? "---|" : "---:|";
      out += "\n";
      for (const auto& row : table.rows) {
        out += "|";
        for (size_t c = 0; c < columns.size(); ++c) out += " " + markdown_cell(row[c].readable) + " |";
        out += "\n";
      }
      return out;
    case TableFormat::kJson:
      out = "[";
      for (size_t r = 0; r < table.rows.size(); ++r) {
        out += r ? ",\n  {" : "\n  {";
        for (size_t c = 0; c < columns.size(); ++c)
          out += (c ? ", " : "") + json_string(columns[c]) + ": " + table.rows[r][c].json;
        out += "}";
      }
      return out + (table.rows.empty() ? "]\n" : "\n]\n");
  }
  return out;
}

}  // namespace icsweep
