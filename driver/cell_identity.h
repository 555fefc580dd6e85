// What a cell's numbers are computed from (docs/design.md §3, README "What resume guarantees").
//
// The identity holds every input that changes a sample's NLL, by content: the model's config.json
// and weights headers and sizes, the weights files' dates (their bytes are hashed by the worker after
// each load and compared when the dates change), the dtype, the tokenizer files, the dataset's bytes
// and text field, max_sample_length, per_token and the token budget. Journaled batches are combined
// only with batches of the same identity; a finished cell of another identity is stale.
//
// The derived settings change only numbers computed from the stored per-sample sums (bias, series,
// size, FLOPs profile and attention branch, the model name the FLOPs quirks match): a change is
// re-derived from the cell file without scoring.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config/sweep_config.h"

namespace icsweep {

// Part name (shown to the user when it changes) -> value (a setting, or a content digest).
using IdentityParts = std::map<std::string, std::string>;

// Names of the identity parts.
inline constexpr const char* kPartModelFiles = "model config.json and weights headers";
inline constexpr const char* kPartWeightsDates = "weights file sizes and dates";
inline constexpr const char* kPartDtype = "dtype";
inline constexpr const char* kPartTokenizer = "tokenizer files";
inline constexpr const char* kPartDataset = "dataset bytes";
inline constexpr const char* kPartTextField = "text_field";
inline constexpr const char* kPartMaxLength = "max_sample_length";
inline constexpr const char* kPartPerToken = "per_token";
inline constexpr const char* kPartBudget = "tokens_per_batch";
// Only in the identity of a partial cell (`icsweep run --limit N`): full cells' identities lack it.
inline constexpr const char* kPartSampleLimit = "sample limit (--limit)";

// Digest of config.json's text plus each weights file's name, size and header (safetensors: the JSON
// header with every tensor's name, dtype, shape and offsets; TorchScript .pt: its first and last
// 64 KiB), without reading the weights.
std::string model_files_digest(const std::string& model_dir, const std::string& config_text);

// "NAME SIZE MTIME_NS" per weights file: cheap evidence that their bytes did not change.
std::string weights_dates(const std::string& model_dir);

// Digest of the tokenizer files present in DIR (tokenizer.json, tokenizer_config.json,
// tokenizer.model, special_tokens_map.json).
std::string tokenizer_files_digest(const std::string& dir);

// The inputs that decide a sample's NLL. `model_files`, `dates`, `tokenizer` and `dataset` are
// digests computed by the functions above and by the dataset reader; `dtype` the dtype the model
// is scored in.
IdentityParts cell_identity(const std::string& model_files, const std::string& dates, const std::string& dtype,
                            const std::string& tokenizer, const std::string& dataset, const DatasetSpec& d,
                            const Settings& settings, int64_t token_budget);

// The settings that change only numbers derived from the stored per-sample sums.
IdentityParts derived_settings(const ModelSpec& m, const DatasetSpec& d, const Settings& settings);

// Digest of every part (names and values): the cell's fingerprint.
std::string parts_digest(const IdentityParts& parts);

std::string parts_to_json(const IdentityParts& parts);
// Empty when TEXT is not a JSON object of strings (e.g. a file written before identities were kept).
IdentityParts parts_from_json(const std::string& text);

// "dataset bytes (3f2a9c01b2d4 -> 77e0a1c39d5f); per_token (false -> true)": each part that differs,
// long digests shortened; "inputs not recorded" when `before` is empty.
std::string describe_changes(const IdentityParts& before, const IdentityParts& now);

// Parts whose values differ (or that one side lacks).
std::vector<std::string> changed_parts(const IdentityParts& before, const IdentityParts& now);

}  // namespace icsweep
