// IC and the reference's published columns (docs/design.md §1.2, §1.5).
#pragma once

#include <cstdint>
#include <string>

namespace icsweep {

// Reference-compatible rounding of `constant` to 2 decimals (Python round(x, 2) semantics).
double round_to_2_decimals(double value);

// (constant - conditional_entropy + bias) / log2(flops_per_token)
double information_capacity(double constant, double conditional_entropy, double bias,
                            double flops_per_token);

// One row of the reference's published table, in its column order.
struct PublishedRow {
  std::string model_name, model_series, model_size, data_name;
  int64_t seq_len = 0;
  double uniform_entropy = 0;      // log2(config vocab_size)
  double constant = 0;             // mean text bits/token, rounded to 2 decimals
  double conditional_entropy = 0;  // token-weighted NLL bits/token
  double entropy_gain = 0;         // constant - conditional_entropy
  double bf16_tflops = 0;          // decode total / 1e12
  double information_capacity = 0; // unbiased: entropy_gain / log2(N)
  double ic = 0;                   // biased: (entropy_gain + b) / log2(N)
};

// Column names in order: model_name, model_series, ..., ic.
const char* const* published_column_names(int* count);

// Builds the row from the unrounded sample mean of text bits/token, the token-weighted NLL,
// the FLOPs total for T tokens and the bias.
PublishedRow make_published_row(const std::string& model_name, const std::string& model_series,
                                const std::string& model_size, const std::string& data_name,
                                int64_t seq_len, int64_t config_vocab_size,
                                double constant_unrounded, double conditional_entropy,
                                double total_flops, int64_t flops_tokens, double bias);

}  // namespace icsweep
