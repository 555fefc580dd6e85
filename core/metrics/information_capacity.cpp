// IC and the published columns, reproducing the reference's arithmetic order.
#include "core/metrics/information_capacity.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/common/errors.h"

namespace icsweep {

double round_to_2_decimals(double value) {
  // Python's round(x, 2) rounds the exact binary value of x to 2 decimals, ties to even, and reads
  // the result back: the same as printf("%.2f") (glibc prints the exact value, correctly rounded in
  // the current rounding mode, round-to-nearest-even by default) followed by strtod.
  if (!std::isfinite(value)) return value;
  char buffer[400];  // |x| < 1.8e308 prints as at most 309 digits + sign + ".dd"
  std::snprintf(buffer, sizeof(buffer), "%.2f", value);
  return std::strtod(buffer, nullptr);
}

double information_capacity(double constant, double conditional_entropy, double bias, double flops_per_token) {
  if (!(flops_per_token > 1)) {
    throw Error("information capacity: FLOPs per token must be > 1, got " + std::to_string(flops_per_token));
  }
  return (constant - conditional_entropy + bias) / std::log2(flops_per_token);
}

const char* const* published_column_names(int* count) {
  static const char* const kColumns[] = {"model_name",     "model_series",        "model_size",
                                         "data_name",      "seq_len",             "uniform_entropy",
                                         "constant",       "conditional_entropy", "entropy_gain",
                                         "BF16_TFLOPs",    "information_capacity", "ic"};
  *count = static_cast<int>(sizeof(kColumns) / sizeof(kColumns[0]));
  return kColumns;
}

PublishedRow make_published_row(const std::string& model_name, const std::string& model_series,
                                const std::string& model_size, const std::string& data_name, int64_t seq_len,
                                int64_t config_vocab_size, double constant_unrounded, double conditional_entropy,
                                double total_flops, int64_t flops_tokens, double bias) {
  if (flops_tokens < 1) throw Error("published row: FLOPs token count must be >= 1");
  if (config_vocab_size < 1) throw Error("published row: vocab_size must be >= 1");
  PublishedRow row;
  row.model_name = model_name;
  row.model_series = model_series;
  row.model_size = model_size;
  row.data_name = data_name;
  row.seq_len = seq_len;
  row.uniform_entropy = std::log2(static_cast<double>(config_vocab_size));
  row.constant = round_to_2_decimals(constant_unrounded);
  row.conditional_entropy = conditional_entropy;
  row.entropy_gain = row.constant - conditional_entropy;
  row.bf16_tflops = total_flops / 1e12;
  // The reference derives N from the TFLOPs figure: N = TFLOPs · 1e12 / T.
  const double flops_per_token = row.bf16_tflops * 1e12 / static_cast<double>(flops_tokens);
  row.information_capacity = information_capacity(row.constant, conditional_entropy, 0.0, flops_per_token);
  row.ic = information_capacity(row.constant, conditional_entropy, bias, flops_per_token);
  return row;
}

}  // namespace icsweep
