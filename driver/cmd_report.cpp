// `icsweep report results.h5 [--format table|csv|json|markdown]`: the published columns of
// docs/design.md §1.5, one row per (model, dataset), from a sweep's index or from a single cell file.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "core/common/errors.h"
#include "core/store/cell_file.h"
#include "core/store/published_table.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;

int cmd_report(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep report RESULTS.h5 [--format table|csv|json|markdown]\n\n"
      "Prints the reference's published columns (model_name, model_series, model_size, data_name,\n"
      "seq_len, uniform_entropy, constant, conditional_entropy, entropy_gain, BF16_TFLOPs,\n"
      "information_capacity, ic), one row per (model, dataset), from a sweep's results.h5 or from a\n"
      "single cell file. table and markdown round for reading (constant to 2 decimals, entropies and\n"
      "IC to 5); csv and json print every float exactly (shortest form that reads back identically).\n"
      "Failed cells are listed on stderr and left out unless --include-failed.\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("format,f", po::value<std::string>()->default_value("table"), "table | csv | json | markdown")
      ("include-failed", po::bool_switch(), "also print rows of failed cells (their numbers are not meaningful)")
      ("results", po::value<std::string>(), "results.h5 index or a cell .h5 file (positional)");
  po::variables_map vm;
  if (!parse_command_line("report", args, options, "results", &vm)) return kExitOk;
  if (!vm.count("results")) throw UsageError("report: give a results.h5 or cell .h5 file (see icsweep report --help)");
  const std::string path = vm["results"].as<std::string>();
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());
  if (!std::filesystem::is_regular_file(path)) throw UsageError("report: " + path + " is not a file");

  std::vector<PublishedRow> rows;
  int failed = 0;
  const auto cells = read_report_cells(path);
  int unreadable = 0, partial = 0;
  for (const ReportCell& cell : cells) {
    if (cell.status == "unreadable") {
      ++unreadable;
      std::cerr << "icsweep report: cell " << cell.row.model_name << " x " << cell.row.data_name
                << " left out: its file cannot be read (" << cell.error << "); re-run the sweep to recompute it\n";
      continue;
    }
    if (cell.status != "ok") {
      ++failed;
      std::cerr << "icsweep report: cell " << cell.row.model_name << " x " << cell.row.data_name << " "
                << cell.status << (vm["include-failed"].as<bool>() ? "" : ", left out") << " (" << cell.cell_file
                << ")\n";
      if (!vm["include-failed"].as<bool>()) continue;
    }
    if (cell.sample_limit > 0) {
      ++partial;
      std::cerr << "icsweep report: cell " << cell.row.model_name << " x " << cell.row.data_name
                << " is PARTIAL: a trial on the first " << cell.sample_limit
                << " records (--limit); run the sweep without --limit for the full cell\n";
    }
    rows.push_back(cell.row);
  }
  const auto pending = is_index_file(path) ? index_pending_cells(path) : std::vector<std::string>{};
  if (!pending.empty()) {
    std::cerr << "icsweep report: the sweep is unfinished: " << pending.size() << " of " << cells.size() + pending.size()
              << " cells pending (";
    for (size_t i = 0; i < pending.size() && i < 5; ++i) std::cerr << (i ? ", " : "") << pending[i];
    std::cerr << (pending.size() > 5 ? ", ..." : "") << "); run the same icsweep run command again to finish them\n";
  }
  if (format == TableFormat::kTable) {
    std::cout << "icsweep report: " << path << " (" << cells.size() << " cells, " << failed << " failed, " << partial
              << " partial, " << pending.size() << " pending)\n";
  }
  std::cout << format_published_rows(rows, format);
  return unreadable > 0 ? kExitFailure : kExitOk;
}

}  // namespace icsweep
