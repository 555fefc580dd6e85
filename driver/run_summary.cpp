#include "driver/run_summary.h"

#include <cstdlib>
#include <string>

namespace icsweep {
namespace {

double bias_of(const SweepConfig& config, const std::string& data_name) {
  for (const auto& d : config.datasets)
    if (d.name == data_name) return d.bias;
  return 0.0;
}

int64_t sample_limit_of(const CellSummary& c) {
  const auto limit = c.attributes.find("sample_limit");
  return limit == c.attributes.end() ? 0 : std::strtoll(limit->second.c_str(), nullptr, 10);
}

TableCell fixed(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return number_cell(value, text);
}

// ic = (constant - NLL + b) / log2 N with the b of each dataset; the profile and T of N.
void print_legend(const SweepOutcome& outcome, const SweepConfig& config, std::FILE* to) {
  std::string biases;
  for (const auto& d : config.datasets) biases += (biases.empty() ? "" : ", ") + d.name + " " + shortest_round_trip(d.bias);
  std::fprintf(to,
               "ic = (constant - NLL + b) / log2 N, b by dataset (%s); information_capacity: the same without b.\n"
               "N: FLOPs per token of the %s profile (models may override), T = %lld.\n",
               biases.c_str(), config.settings.flops_profile.c_str(),
               static_cast<long long>(config.settings.max_sample_length));
  std::fprintf(to, "results: %s\n", outcome.index_file.c_str());
}

}  // namespace

TextTable run_summary_table(const SweepOutcome& outcome, const SweepConfig& config) {
  TextTable table;
  for (const char* c : {"model_name", "data_name", "status"}) table.add_column(c, true);
  for (const char* c : {"constant", "conditional_entropy", "BF16_TFLOPs", "information_capacity", "ic", "bias"})
    table.add_column(c, false);
  table.add_column("flops_profile", true);
  table.add_column("max_sample_length", false);
  table.add_column("resumed", true);
  table.add_column("sample_limit", false);
  table.add_column("errors", true);
  for (const auto& c : outcome.cells) {
    std::string errors;
    for (const auto& e : c.cell_errors) errors += (errors.empty() ? "" : "; ") + e.kind + ": " + e.message;
    const double bias = bias_of(config, c.row.data_name);
    table.rows.push_back({text_cell(c.row.model_name), text_cell(c.row.data_name), text_cell(c.status),
                          fixed(c.row.constant, "%.2f"), fixed(c.row.conditional_entropy, "%.5f"),
                          number_cell(c.row.bf16_tflops, shortest_round_trip(c.row.bf16_tflops)),
                          fixed(c.row.information_capacity, "%.5f"), fixed(c.row.ic, "%.5f"),
                          number_cell(bias, shortest_round_trip(bias)), text_cell(config.settings.flops_profile),
                          integer_cell(config.settings.max_sample_length), text_cell(c.resumed ? "yes" : "no"),
                          integer_cell(sample_limit_of(c)), text_cell(errors)});
  }
  return table;
}

void print_run_summary(const SweepOutcome& outcome, const SweepConfig& config, TableFormat format, std::FILE* out,
                       std::FILE* notes) {
  if (format != TableFormat::kTable) {
    std::fputs(render_table(run_summary_table(outcome, config), format).c_str(), out);
    std::fflush(out);
    print_legend(outcome, config, notes);
    std::fflush(notes);
    return;
  }
  std::fprintf(out, "\n%-40s %-8s %9s %11s %12s %20s %10s\n", "cell", "status", "constant", "NLL", "BF16_TFLOPs",
               "information_capacity", "ic");
  for (const auto& c : outcome.cells) {
    const int64_t limit = sample_limit_of(c);
    const std::string partial = limit > 0 ? "  (PARTIAL: --limit " + std::to_string(limit) + ")" : "";
    std::fprintf(out, "%-40s %-8s %9.2f %11.5f %12.6f %20.5f %10.5f%s%s\n", c.key.c_str(), c.status.c_str(),
                 c.row.constant, c.row.conditional_entropy, c.row.bf16_tflops, c.row.information_capacity, c.row.ic,
                 c.resumed ? "  (resumed)" : "", partial.c_str());
    for (const auto& e : c.cell_errors) std::fprintf(out, "    %s: %s\n", e.kind.c_str(), e.message.c_str());
  }
  print_legend(outcome, config, out);
  std::fflush(out);
}

}  // namespace icsweep
