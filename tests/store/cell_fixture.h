// A CellResult with every field set to values worked out by hand, shared by the store tests.
//
// Two scored samples and three that contribute nothing:
//   sample 0: 125 bytes -> 1000 text bits over 25 tokens = 40.00 bits/token; NLL 100 bits (4.0/token)
//   sample 1: 121 bytes ->  968 text bits over 32 tokens = 30.25 bits/token; NLL 112 bits (3.5/token)
//   samples 2 (too short), 3 (bad record), 4 (failed): zeros.
// constant_unrounded = (40 + 30.25) / 2 = 35.125; Python round(35.125, 2) = 35.12 (35.125 is exact
// in binary, half-to-even). conditional_entropy = (100 + 112) / (25 + 32) = 212/57.
// N = 2^30 FLOPs/token so log2(N) = 30; T = 1024 so BF16_TFLOPs = 2^40 / 1e12 = 1.099511627776.
// entropy_gain = 35.12 - 212/57 = 31.400701754385963
// information_capacity = 31.400701754385963 / 30 = 1.046690058479532
// ic (b = -24) = (31.400701754385963 - 24) / 30 = 0.2466900584795321
// ic with the unrounded constant = (35.125 - 212/57 - 24) / 30 = 0.24685672514619886
// uniform_entropy = log2(65536) = 16.
#pragma once

#include "core/store/cell_result.h"

namespace icsweep::testing {

inline constexpr double kEntropyGain = 31.400701754385963;
inline constexpr double kInformationCapacity = 1.046690058479532;
inline constexpr double kIc = 0.2466900584795321;

inline CellResult hand_made_cell(const std::string& model_name = "tiny-llama-α",
                                 const std::string& data_name = "demo-docs") {
  CellResult cell;
  cell.row = {model_name, "tiny-llama", "1M", data_name, 1024, 16.0, 35.12, 212.0 / 57.0,
              kEntropyGain, 1.099511627776, kInformationCapacity, kIc};
  cell.constant_unrounded = 35.125;
  cell.bias = -24;
  cell.flops_per_token = 1073741824.0;
  cell.ic_unrounded_constant = 0.24685672514619886;
  cell.flops_profile = "reference";
  cell.max_sample_length = 1024;
  cell.total_scored_tokens = 57;
  cell.total_nll_bits = 212;
  cell.samples_scored = 2;
  cell.samples_skipped = 3;
  cell.status = "ok";
  cell.attributes = {{"dtype", "bf16"},
                     {"hosts", "node-α,node-β"},
                     {"config_text", "models:\n  - name: tiny-llama-α # 日本語\n"},
                     {"device_names", "NVIDIA H100 80GB HBM3"}};
  cell.samples = {
      {0, 125, 25, 1000, 100, 40.0, 4.0, SampleStatus::kOk},
      {1, 121, 32, 968, 112, 30.25, 3.5, SampleStatus::kOk},
      {2, 3, 0, 0, 0, 0, 0, SampleStatus::kTooShort},
      {3, 0, 0, 0, 0, 0, 0, SampleStatus::kBadRecord},
      {4, 0, 0, 0, 0, 0, 0, SampleStatus::kFailed},
  };
  cell.errors = {
      {3, 4, "invalid_json", "expected ',' after «ünïcødé» 日本 at column 17"},
      {4, 5, "out_of_memory", "CUDA out of memory — batch retried alone and failed"},
      {-1, 0, "note", ""},
  };
  cell.has_tokens = true;
  cell.token_nll_bits.assign(25, 4.0f);
  cell.token_nll_bits.insert(cell.token_nll_bits.end(), 32, 3.5f);
  cell.token_offsets = {0, 25, 57, 57, 57, 57};
  return cell;
}

}  // namespace icsweep::testing
