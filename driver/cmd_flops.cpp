// `icsweep flops MODEL_DIR`: FLOPs of a model config under a profile (docs/design.md §1.4). The logic
// lives in core/metrics/flops_report.h; this file is the command line.
#include <boost/program_options.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/common/errors.h"
#include "core/config/hf_cache.h"
#include "core/metrics/flops_report.h"
#include "core/store/text_table.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;
namespace {

// The quantity table of format_flops_table as rows: dimensions, FLOPs per part with their share
// of the total (percent), total FLOPs, total TFLOPs, FLOPs per token N and log2(N).
TextTable flops_quantity_table(const FlopsReport& report) {
  const FlopsEstimate& e = report.estimate;
  TextTable table;
  table.add_column("quantity", true);
  table.add_column("value", false);
  table.add_column("share_percent", false);
  auto number = [](double v, const char* readable_format) {
    char text[64];
    std::snprintf(text, sizeof text, readable_format, v);
    return number_cell(v, text);
  };
  const TableCell none{"", "", "null"};
  for (const auto& [name, value] : e.dimensions) table.rows.push_back({text_cell(name), integer_cell(value), none});
  for (const auto& [name, value] : e.breakdown)
    table.rows.push_back({text_cell(name + " FLOPs"), number(value, "%.0f"),
                          number(e.total_flops > 0 ? 100.0 * value / e.total_flops : 0.0, "%.2f")});
  table.rows.push_back({text_cell("total FLOPs"), number(e.total_flops, "%.0f"), none});
  table.rows.push_back({text_cell("total TFLOPs"), number_cell(e.total_flops / 1e12, shortest_round_trip(e.total_flops / 1e12)), none});
  table.rows.push_back({text_cell("FLOPs per token N"), number(e.flops_per_token, "%.4f"), none});
  table.rows.push_back({text_cell("log2(N)"), number(std::log2(e.flops_per_token), "%.6f"), none});
  return table;
}

}  // namespace

int cmd_flops(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep flops MODEL_DIR|ORG/NAME [--name NAME] [-l T] [--flops-profile reference|exact] [--attention mla|gqa]\n"
      "                   [--format table|csv|json|markdown]\n\n"
      "Reads MODEL_DIR/config.json and prints the FLOPs of T tokens and the FLOPs per token N that IC\n"
      "divides by (log2 N). Profile `reference` is the leaderboard's: decoding T tokens from an empty\n"
      "prompt, batch 1, with its name-keyed quirks (gpt-oss, Llama-4, Qwen MoE 'B-A', gemma-3, Ruyi,\n"
      "deepseek/MLA), matched case-insensitively on NAME. Profile `exact`: forward (prefill) FLOPs of\n"
      "scoring one sequence of T tokens with the real head_dim. csv and markdown print the quantity table\n"
      "(every number exact in csv); json one object with the dimensions, breakdown and notes.\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("name", po::value<std::string>(), "model name the quirks look at (default: the repo name for a repo id or cache folder, else MODEL_DIR as given)")
      ("max-length,l", po::value<int64_t>()->default_value(1024),
       "T: tokens decoded (reference) or scored (exact), the sweep's max_sample_length")
      ("flops-profile", po::value<std::string>()->default_value("reference"), "reference | exact (the sweep's settings.flops_profile)")
      ("attention", po::value<std::string>(), "mla | gqa: force the reference profile's attention branch")
      ("format,f", po::value<std::string>()->default_value("table"), "table | csv | json | markdown");
  po::variables_map vm;
  // The spellings before -l/--max-length, --format and --flops-profile (README "Commands").
  const std::vector<DeprecatedSpelling> deprecated = {
      {"--tokens", {"--max-length"}}, {"--json", {"--format", "json"}}, {"--profile", {"--flops-profile"}}};
  if (!parse_command_line("flops", args, options, "model-dir", &vm, false, deprecated)) return kExitOk;
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());
  if (!vm.count("model-dir")) {
    std::cerr << "icsweep flops: MODEL_DIR is required (see icsweep flops --help)\n";
    return kExitUsage;
  }

  FlopsRequest request;
  const std::string model_arg = vm["model-dir"].as<std::string>();
  ModelLocation location;
  try {
    location = resolve_model_location(model_arg, std::filesystem::current_path().string());
  } catch (const ConfigError& e) {
    std::cerr << "icsweep flops: " << e.what() << "\n";
    return kExitUsage;
  }
  request.model_dir = location.dir;
  // The quirks match the name: the repo name for a repo id or cache folder, else MODEL_DIR as typed.
  request.name = vm.count("name") ? vm["name"].as<std::string>() : location.repo_id.empty() ? model_arg : location.name;
  request.tokens = vm["max-length"].as<int64_t>();
  request.profile = vm["flops-profile"].as<std::string>();
  if (vm.count("attention")) request.attention = vm["attention"].as<std::string>();
  try {
    const FlopsReport report = compute_flops_report(request);
    if (format == TableFormat::kJson) {
      std::cout << flops_report_json(report).dump(2) << "\n";
    } else if (format == TableFormat::kTable) {
      std::cout << format_flops_table(report);
    } else {
      std::cout << render_table(flops_quantity_table(report), format);
    }
    return kExitOk;
  } catch (const UsageError& e) {
    std::cerr << "icsweep flops: " << e.what() << " (see icsweep flops --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "icsweep flops: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace icsweep
