// `icsweep score -m MODEL_DIR -d data.jsonl`: one (model, dataset) pair, like the reference script,
// through the same driver/worker path as a sweep (in-process or under mpirun).
#include <boost/program_options.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "core/common/errors.h"
#include "core/common/remove_tree.h"
#include "core/config/hf_cache.h"
#include "core/config/model_dtype.h"
#include "core/config/sweep_config.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/run_summary.h"
#include "driver/run_sweep.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// The value of one of two spellings of an option (--bias and calc_ic.py's --numerator_bias); both
// given with different values is a UsageError.
template <typename T>
std::optional<T> either(const po::variables_map& vm, const char* a, const char* b) {
  if (vm.count(a) && vm.count(b) && vm[a].as<T>() != vm[b].as<T>())
    throw UsageError(std::string("score: --") + a + " and --" + b + " are the same option with different values");
  if (vm.count(a)) return vm[a].as<T>();
  if (vm.count(b)) return vm[b].as<T>();
  return std::nullopt;
}

// The one-cell sweep of `icsweep score`: the model, the dataset and the settings from the options.
SweepConfig score_config(const po::variables_map& vm, const ModelLocation& location, const std::string& data_path,
                         const std::string& dtype) {
  SweepConfig config;
  config.source_path = "(icsweep score)";
  ModelSpec model;
  model.path = location.dir;
  model.name = vm.count("name") ? vm["name"].as<std::string>() : location.name;
  model.series = model.name.substr(0, model.name.rfind('-') == std::string::npos ? model.name.size() : model.name.rfind('-'));
  model.dtype = dtype;
  model.fp8_mode = vm["fp8-mode"].as<std::string>();
  if (model.fp8_mode != "auto" && model.fp8_mode != "dequant" && model.fp8_mode != "w8a8")
    throw UsageError("score: --fp8-mode " + model.fp8_mode + ": expected auto, dequant or w8a8");
  model.attention = either<std::string>(vm, "attention", "attention_mechanism").value_or("");
  if (!model.attention.empty() && model.attention != "mla" && model.attention != "gqa")
    throw UsageError("score: --attention " + model.attention + ": expected mla or gqa");
  config.models.push_back(model);
  DatasetSpec dataset;
  dataset.path = data_path;
  dataset.name = fs::path(data_path).stem().string();
  dataset.text_field = vm["text-field"].as<std::string>();
  const std::optional<double> bias = either<double>(vm, "bias", "numerator_bias");
  dataset.bias = bias ? *bias : default_bias_for(data_path);
  dataset.bias_from_config = bias.has_value();
  config.datasets.push_back(dataset);
  config.settings.max_sample_length = vm["max-length"].as<int64_t>();
  if (config.settings.max_sample_length < 2) throw UsageError("score: --max-length must be at least 2");
  config.settings.per_token = vm["per-token"].as<bool>();
  config.settings.device = vm["device"].as<std::string>();
  config.settings.flops_profile = vm["flops-profile"].as<std::string>();
  config.settings.tokens_per_batch = vm["tokens-per-batch"].as<int64_t>();
  config.settings.threads = vm["threads"].as<int>();
  return config;
}

// The reference script's report of the one cell.
void print_cell(const CellSummary& c, const SweepConfig& config) {
  const double bias = config.datasets.front().bias;
  auto attribute = [&](const char* key) {
    auto it = c.attributes.find(key);
    return it == c.attributes.end() ? std::string("?") : it->second;
  };
  std::printf("\nmodel %s | data %s | dtype %s (%s) | device %s\n", c.row.model_name.c_str(), c.row.data_name.c_str(),
              attribute("dtype").c_str(), attribute("dtype_source").c_str(), attribute("devices").c_str());
  if (c.status == "ok") {
    std::printf("samples %lld scored, %lld skipped | tokens %lld\n", static_cast<long long>(c.samples_scored),
                static_cast<long long>(c.samples_skipped), static_cast<long long>(c.total_scored_tokens));
    std::printf("constant              %.2f  (unrounded %.6f bits/token)\n", c.row.constant, c.constant_unrounded);
    std::printf("conditional_entropy   %.5f bits/token\n", c.row.conditional_entropy);
    std::printf("BF16_TFLOPs           %.12g  (N = %.6g FLOPs/token)\n", c.row.bf16_tflops, c.flops_per_token);
    std::printf("information_capacity  %.5f  (IC without the bias: (constant - NLL) / log2 N)\n", c.row.information_capacity);
    std::printf("ic                    %.5f  (with bias b = %.4g: (constant - NLL + b) / log2 N; FLOPs profile %s, T = %lld)\n",
                c.row.ic, bias, config.settings.flops_profile.c_str(), static_cast<long long>(config.settings.max_sample_length));
    const std::string notes = attribute("flops_notes");
    if (!notes.empty() && notes != "?") std::printf("FLOPs notes           %s\n", notes.c_str());
  } else {
    std::printf("status %s\n", c.status.c_str());
    for (const auto& e : c.cell_errors) std::printf("  %s: %s\n", e.kind.c_str(), e.message.c_str());
  }
}

// --format table: print_cell; csv, json, markdown: the one row of `icsweep run --format`'s summary
// (driver/run_summary.h), stdout holding nothing else. The cell's file copied to --output when given.
void report_cell(const CellSummary& c, const SweepConfig& config, const std::optional<fs::path>& out,
                 TableFormat format) {
  if (format == TableFormat::kTable) {
    print_cell(c, config);
  } else {
    SweepOutcome one;
    one.cells.push_back(c);
    std::fputs(render_table(run_summary_table(one, config), format).c_str(), stdout);
  }
  std::fflush(stdout);
  if (out && !c.file.empty()) {
    fs::create_directories(out->parent_path());
    fs::copy_file(c.file, *out, fs::copy_options::overwrite_existing);
    std::fprintf(format == TableFormat::kTable ? stdout : stderr, "cell file: %s\n", out->c_str());
  }
}

// The options of `icsweep score`: its own spellings and calc_ic.py's.
po::options_description score_options() {
  po::options_description options(
      "Usage: icsweep score -m MODEL_DIR -d DATA.jsonl [options]\n\n"
      "calc_ic.py's flags work too: -m, -d, -l, -n/--numerator_bias, -a/--attention_mechanism, -b (ignored).\n"
      "Scores one model on one dataset and prints constant (text bits/token), conditional entropy\n"
      "(NLL bits/token), decode TFLOPs, information_capacity (unbiased) and ic (biased), as the\n"
      "reference script does (docs/design.md section 1).\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("model,m", po::value<std::string>(),
       "model directory (config.json, safetensors, tokenizer), or a Hugging Face repo id ORG/NAME[@REVISION] "
       "found in the local cache (nothing is downloaded)")
      ("data,d", po::value<std::string>(), "JSONL dataset")
      ("max-length,l", po::value<int64_t>()->default_value(1024), "max_sample_length in tokens")
      ("bias", po::value<double>(), "bias b in bits/token (default: the reference's, by file name)")
      ("numerator_bias,n", po::value<double>(), "the same as --bias (calc_ic.py's name)")
      ("attention", po::value<std::string>(), "mla | gqa: force the reference FLOPs formula's attention branch")
      ("attention_mechanism,a", po::value<std::string>(), "the same as --attention (calc_ic.py's name)")
      ("batch_size,b", po::value<int64_t>(),
       "calc_ic.py's batch size: accepted and ignored. icsweep packs batches by tokens (--tokens-per-batch), "
       "which never changes the numbers; the bias b is --bias / -n")
      ("output,o", po::value<std::string>(), "write the cell's HDF5 file here")
      ("format,f", po::value<std::string>()->default_value("table"),
       "table (the report above) | csv | json | markdown (the row of icsweep run --format's summary)")
      ("per-token", po::bool_switch(), "store every token's NLL in the cell file")
      ("name", po::value<std::string>(), "model name (FLOPs quirks match it; default: the repo name, else the directory name)")
      ("dtype", po::value<std::string>()->default_value("auto"),
       "auto | float32 | bfloat16 | float16; auto: the checkpoint's own (config.json dtype/torch_dtype, else "
       "the stored tensors'), as the reference script loads it")
      ("device", po::value<std::string>()->default_value("auto"), "auto | cpu | cuda | cuda:N")
      ("fp8-mode", po::value<std::string>()->default_value("auto"), "FP8 checkpoints: auto | dequant | w8a8 (README)")
      ("text-field", po::value<std::string>()->default_value("text"), "JSON field holding the text")
      ("flops-profile", po::value<std::string>()->default_value("reference"), "reference | exact")
      ("tokens-per-batch", po::value<int64_t>()->default_value(0), "padded tokens per batch (0 = automatic)")
      ("threads", po::value<int>()->default_value(0), "CPU threads for torch (0 = default)");
  return options;
}

}  // namespace

int cmd_score(const std::vector<std::string>& args) {
  const po::options_description options = score_options();
  po::variables_map vm;
  // --out: the spelling before -o/--output (README "Commands").
  if (!parse_command_line("score", args, options, "", &vm, false, {{"--out", {"--output"}}})) return kExitOk;
  if (!vm.count("model") || !vm.count("data")) throw UsageError("score: -m MODEL_DIR and -d DATA.jsonl are required");
  const TableFormat format = parse_table_format(vm["format"].as<std::string>());

  ModelLocation location;
  try {
    location = resolve_model_location(vm["model"].as<std::string>(), fs::current_path().string());
  } catch (const ConfigError& e) {
    throw UsageError(std::string("score: -m: ") + e.what());
  }
  const std::string& model_dir = location.dir;
  const std::string data_path = fs::absolute(vm["data"].as<std::string>()).lexically_normal().string();
  if (!fs::exists(data_path)) throw UsageError("score: dataset " + data_path + " does not exist");
  const auto dtype = canonical_dtype_name(vm["dtype"].as<std::string>());
  if (!dtype) throw UsageError("score: --dtype '" + vm["dtype"].as<std::string>() + "' is not auto, float32, bfloat16 or float16");
  if (vm.count("batch_size"))
    std::cerr << "icsweep score: -b/--batch_size " << vm["batch_size"].as<int64_t>()
              << " ignored: icsweep packs batches by tokens (--tokens-per-batch), which never changes the numbers; "
                 "the bias b is --bias (-n/--numerator_bias)\n";
  std::optional<fs::path> out;
  if (vm.count("output")) {
    out = fs::absolute(vm["output"].as<std::string>()).lexically_normal();
    if (fs::is_directory(*out))
      throw UsageError("score: --output " + out->string() + " is a directory; give a file name (cell.h5)");
    const std::string problem = output_dir_problem(out->parent_path().string());
    if (!problem.empty()) throw UsageError("score: --output " + out->string() + ": " + problem);
  }

  SweepConfig config = score_config(vm, location, data_path, *dtype);
  // The sweep's files go to a scratch folder that is removed on every way out; only --output is kept.
  char scratch[] = "/tmp/icsweep-score-XXXXXX";
  if (!mkdtemp(scratch)) throw Error("score: cannot create a scratch directory under /tmp");
  struct RemoveOnExit {
    std::string dir;
    ~RemoveOnExit() { remove_tree(dir); }
  } scratch_guard{scratch};
  config.settings.output_dir = scratch;
  config.source_text = "icsweep score -m " + model_dir + " -d " + data_path;
  RunRequest request;
  request.driver.progress_interval_seconds = 30;
  request.print_summary = false;
  request.summary_format = format;  // progress to stderr unless table
  request.driver.scratch_output = true;
  SweepOutcome outcome;
  const int code = run_sweep_command(request, &outcome, &config);
  if (!outcome.cells.empty()) report_cell(outcome.cells.front(), config, out, format);
  return code;
}

}  // namespace icsweep
