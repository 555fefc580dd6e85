// `icsweep models [DIR|ORG/NAME ...]`: the architectures icsweep loads, or for each model given
// whether it loads, without loading weights (driver/model_check.h).
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/common/errors.h"
#include "core/config/hf_cache.h"
#include "core/model/families/registry.h"
#include "core/store/text_table.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/model_check.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;
namespace {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

TableCell flops_cell(double flops_per_token) {
  if (flops_per_token < 0) return {"n/a", "", "null"};
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", flops_per_token);
  return number_cell(flops_per_token, text);
}

TextTable architectures_table() {
  TextTable table;
  for (const char* c : {"architecture", "model_type", "family"}) table.add_column(c, true);
  table.add_column("splits_across_gpus", true);
  for (const FamilyRow& row : family_rows())
    table.rows.push_back({text_cell(row.architecture), text_cell(row.model_type), text_cell(row.family),
                          text_cell(row.splits ? "yes" : "no")});
  return table;
}

ModelCheck check_argument(const std::string& arg, const po::variables_map& vm) {
  ModelSpec spec;
  try {
    const ModelLocation location = resolve_model_location(arg, std::filesystem::current_path().string());
    spec.name = location.name;
    spec.path = location.dir;
  } catch (const ConfigError& e) {
    ModelCheck missing;
    missing.name = arg;
    missing.problems.push_back(e.what());
    return missing;
  }
  spec.dtype = vm["dtype"].as<std::string>();
  spec.gpus = vm["gpus-per-model"].as<int>();
  return check_model(spec, "reference", vm["max-length"].as<int64_t>());
}

TextTable models_table(const std::vector<ModelCheck>& checks) {
  TextTable table;
  for (const char* c : {"model", "loads", "architecture", "family", "dtype"}) table.add_column(c, true);
  table.add_column("parameters", false);
  table.add_column("quantization", true);
  table.add_column("resident_bytes", false);
  table.add_column("vocab", false);
  table.add_column("reference_FLOPs_per_token", false);
  table.add_column("exact_FLOPs_per_token", false);
  table.add_column("path", true);
  table.add_column("problems", true);
  for (const ModelCheck& c : checks) {
    TableCell parameters = c.parameters < 0 ? TableCell{"?", "", "null"} : integer_cell(c.parameters);
    parameters.readable = format_parameters(c.parameters);
    table.rows.push_back({text_cell(c.name), text_cell(c.loads() ? "yes" : "no"), text_cell(c.architecture),
                          text_cell(c.family), text_cell(c.dtype), parameters,
                          text_cell(!c.weight_format.empty() ? c.weight_format
                                    : c.quantization.empty() ? "none" : c.quantization),
                          c.resident_bytes < 0 ? TableCell{"?", "", "null"} : integer_cell(c.resident_bytes),
                          integer_cell(c.tokenizer_size), flops_cell(c.reference_flops_per_token),
                          flops_cell(c.exact_flops_per_token), text_cell(c.dir), text_cell(join(c.problems, "; "))});
  }
  return table;
}

}  // namespace

int cmd_models(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep models [MODEL ...] [--format table|csv|json|markdown]\n\n"
      "Without MODEL: the architectures icsweep loads (config.json architectures[0]); any other can be\n"
      "scored through the TorchScript escape hatch (README). With MODELs (directories, Hugging Face repo\n"
      "ids ORG/NAME[@REVISION] or cache folders, README \"Models from the Hugging Face cache\"): for each,\n"
      "whether it loads, its architecture, dtype (auto as a sweep resolves it), parameters (safetensors\n"
      "headers), quantization (config.json quantization_config: mxfp4, or the FP8 format icsweep reads),\n"
      "resident_bytes (the weights as a load holds them: FP8 weights 1 byte per parameter plus fp32 scales,\n"
      "the rest in the compute dtype), vocabulary (tokenizer) and\n"
      "FLOPs per token of both profiles for -l tokens, without loading any weights.\n"
      "Exit codes: 0 every model loads, 1 some do not (see 'problems'), 2 bad command line.\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("format,f", po::value<std::string>()->default_value("table"), "table | csv | json | markdown")
      ("max-length,l", po::value<int64_t>()->default_value(1024), "T for the FLOPs per token (max_sample_length)")
      ("dtype", po::value<std::string>()->default_value("auto"), "auto | float32 | bfloat16 | float16")
      ("gpus-per-model", po::value<int>()->default_value(1),
       "devices one model's layers would be split across, as a sweep's models[].gpus (checks that the family splits)")
      ("model", po::value<std::vector<std::string>>(), "model directories or repo ids (positional)");
  po::variables_map vm;
  // --gpus: the spelling before --gpus-per-model (plan's --gpus counts all GPUs of the estimate).
  if (!parse_command_line("models", args, options, "model", &vm, /*repeat_positional=*/true,
                          {{"--gpus", {"--gpus-per-model"}}}))
    return kExitOk;
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());
  if (vm["max-length"].as<int64_t>() < 2) throw UsageError("models: --max-length must be at least 2");
  if (!vm.count("model")) {
    if (format == TableFormat::kTable)
      std::cout << "icsweep loads these architectures (config.json architectures[0]; without it, model_type):\n";
    std::cout << render_table(architectures_table(), format);
    if (format == TableFormat::kTable)
      std::cout << "Any other: export it with scripts/export_torchscript.py (README \"TorchScript models\").\n";
    return kExitOk;
  }
  std::vector<ModelCheck> checks;
  for (const auto& arg : vm["model"].as<std::vector<std::string>>()) checks.push_back(check_argument(arg, vm));
  TextTable table = models_table(checks);
  bool all_load = true;
  for (const auto& c : checks) all_load = all_load && c.loads();
  if (format == TableFormat::kTable) {
    // The long columns go below the table, one model at a time.
    for (auto& row : table.rows) row.resize(table.columns.size() - 2);
    table.columns.resize(table.columns.size() - 2);
    std::cout << "FLOPs per token for T = " << vm["max-length"].as<int64_t>() << " tokens; no weights were loaded\n"
              << render_table(table, format);
    for (const auto& c : checks) {
      std::cout << c.name << ": " << (c.dir.empty() ? "not found" : c.dir) << "\n";
      for (const auto& p : c.problems) std::cout << "  problem: " << p << "\n";
    }
  } else {
    std::cout << render_table(table, format);
  }
  return all_load ? kExitOk : kExitFailure;
}

}  // namespace icsweep
