// Sweep YAML -> SweepConfig. Validated completely before any model loads; every problem is a
// ConfigError naming FILE:LINE:COL and the key. All problems of a file are reported at once: the
// error's file/line/column are the first problem's, its message lists every problem, one per line.
// Schema reference: docs/sweep-schema.md; full example: configs/example-sweep.yaml.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace icsweep {

struct ModelSpec {
  std::string name;    // unique in the sweep; used in file names and the report
  std::string path;    // model directory (config.json, *.safetensors, tokenizer files), absolute
  std::string series;  // e.g. "Qwen2.5"; default: name up to the last '-'
  std::string size;    // size label, e.g. "0.5B"; default: ""
  std::string dtype = "auto";            // auto (the checkpoint's, as the reference) | float32 | bfloat16 | float16
  std::string dtype_source;              // after planning: why dtype is what it is (see model_dtype.h)
  std::string flops_profile;             // "" = settings.flops_profile; else reference | exact
  std::string attention;                 // "" | "mla" | "gqa": overrides the FLOPs attention branch
  std::string tokenizer;                 // tokenizer directory, default = path
  int gpus = 1;                          // devices its layers are split across (llama family; 1 = no split)
  std::string fp8_mode = "auto";         // FP8 checkpoints: auto | dequant | w8a8 (core/config/fp8_format.h)
  std::string fp8_format;                // after planning: the FP8 format ("" for other checkpoints)
  int64_t resident_bytes = 0;            // after planning, FP8 only: the weights as a load holds them
  int line = 0;                          // YAML line of the entry, for messages
};

struct DatasetSpec {
  std::string name;                // unique; default: file name without .jsonl
  std::string path;                // JSONL file, absolute
  std::string text_field = "text";
  double bias = -27.0;             // b in bits/token (docs/design.md §1.5)
  bool bias_from_config = false;   // true when the YAML set it
  std::string on_bad_record = "skip";  // skip | fail
  int line = 0;
};

struct Settings {
  int64_t max_sample_length = 1024;
  int64_t tokens_per_batch = 0;   // token budget per batch (padded B*T); 0 = automatic
  std::string output_dir;         // absolute; default "<yaml dir>/results"
  bool per_token = false;         // write /tokens/nll_bits
  std::string device = "auto";    // auto | cpu | cuda | cuda:N
  std::string flops_profile = "reference";  // reference | exact
  int threads = 0;                // CPU threads per rank for torch; 0 = torch default
  int64_t sample_limit = 0;       // `icsweep run --limit N`: only the first N records of each dataset
                                  // (a trial; its cells are partial). 0 = all. Not a YAML key.
};

struct SweepConfig {
  std::string name;          // sweep name; default: the YAML file name without extension
  std::string source_path;   // the YAML file as given
  std::string source_dir;    // absolute directory relative paths were resolved against
  std::string source_text;   // its full text (stored in results for provenance)
  std::vector<ModelSpec> models;
  std::vector<DatasetSpec> datasets;
  Settings settings;
};

// Reads and validates PATH. Relative paths inside are resolved against the YAML's directory.
SweepConfig load_sweep_config(const std::string& path);

// auto | cpu | cuda | cuda:N (the settings.device values; also checks `icsweep run --device`).
bool valid_device(const std::string& device);

// Same, from text; `file_for_messages` names the source in errors, `base_dir` resolves paths.
// `check_paths` = false skips the existence checks (for unit tests of the schema).
SweepConfig parse_sweep_config(const std::string& text, const std::string& file_for_messages,
                               const std::string& base_dir, bool check_paths = true);

// Reference bias b (docs/design.md §1.5) for a dataset file: -24 for mixed_text.jsonl,
// -18.7 for Ch-FineWeb-Edu.jsonl, -27 otherwise. Matched as a case-sensitive substring of the file
// name (the reference tests `"mixed_text.jsonl" in data_path`), so directories never match.
double default_bias_for(const std::string& dataset_path);

// Why `dir` cannot be used as an output directory ("" if it can): it exists and is not a
// directory, its nearest existing ancestor is not a directory, or that ancestor is not writable.
// Not part of parsing because `icsweep run --output` may replace settings.output_dir.
std::string output_dir_problem(const std::string& dir);

// Key names of each section, in schema order (for docs, suggestions and tests).
const std::vector<std::string>& sweep_top_level_keys();
const std::vector<std::string>& sweep_model_keys();
const std::vector<std::string>& sweep_dataset_keys();
const std::vector<std::string>& sweep_settings_keys();

}  // namespace icsweep
