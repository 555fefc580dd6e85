// The FP8 checkpoint formats icsweep reads, from config.json's quantization_config (no torch here).
//
//   quant_method "fp8" (transformers' FineGrainedFP8Config; DeepSeek-V3/V3.1, Kimi-K2, Qwen3-FP8, ...):
//     <m>.weight F8_E4M3 (out, in) and <m>.weight_scale_inv, the dequantization multiplier:
//       weight_block_size [br, bc]  per block, shape (ceil(out/br), ceil(in/bc)); edge blocks partial;
//                                   F32, BF16 or F16, or one byte b per block (F8_E8M0 / U8) = 2^(b-127)
//                                   (scale_fmt "ue8m0"; V3.1 stores those powers of two as F32 too)
//       weight_block_size null      one scalar scale; activation_scheme "static" adds <m>.activation_scale
//   quant_method "compressed-tensors", format "float-quantized" (llm-compressor's FP8 schemes):
//     <m>.weight F8_E4M3 and <m>.weight_scale (the multiplier), strategy tensor (1 value), channel
//     (out, 1) or block (grid of block_structure); a block-strategy weight padded to whole blocks carries
//     <m>.weight_shape_original (the real (out, in)); `ignore` lists modules stored unquantized;
//     input_activations say how a w8a8 GEMM quantizes the input (token / group / static tensor + input_scale).
// dequantized weight = fp8 value x its scale; tensors without a scale load as stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace icsweep {

class HfConfig;

enum class Fp8Scales { kBlock, kTensor, kChannel };  // the weight scale's granularity

// How a w8a8 FP8 GEMM quantizes its input (docs: fp8_store.h, quantize_activations).
enum class Fp8Activations {
  kGroup,   // per token and `act_group` channels, dynamic (DeepSeek's act_quant, vLLM's per-token-group)
  kToken,   // per token over the whole row, dynamic (compressed-tensors "token")
  kStatic,  // one stored per-tensor scale (<m>.activation_scale / <m>.input_scale)
  kNone,    // weight-only (compressed-tensors without input_activations)
};

struct Fp8Format {
  std::string method;                  // "fp8" | "compressed-tensors"
  std::string scale_name;              // "weight_scale_inv" | "weight_scale"
  Fp8Scales scales = Fp8Scales::kBlock;
  int64_t block_rows = 128, block_cols = 128;  // kBlock only
  Fp8Activations activations = Fp8Activations::kGroup;
  int64_t act_group = 128;             // kGroup only
  std::string act_scale_name;          // kStatic only: "activation_scale" | "input_scale"
  std::vector<std::string> not_converted;  // modules_to_not_convert / ignore, as written (informational)

  // e.g. "fp8 block [128, 128]", "compressed-tensors channel"; for `icsweep models` and the cell.
  std::string describe() const;
};

// config.json's quantization_config (top level, else text_config's) as an FP8 format; nullopt when
// there is none, or when it is gpt-oss's "mxfp4" (its family reads it). ModelError naming the file,
// the key and its value for any other method or an FP8 variant icsweep does not read (e5m2, dynamic
// per-tensor activations, mixed config_groups, ...).
std::optional<Fp8Format> read_fp8_format(const HfConfig& config);

// How FP8 linears compute: `dequant` (weights dequantized to the compute dtype, activations as they
// are) or `w8a8` (inputs quantized to e4m3 as the format says, then the GEMM); "auto" picks w8a8 on
// GPUs with FP8 tensor cores (compute capability >= 8.9), dequant elsewhere.
enum class Fp8Mode { kAuto, kDequant, kW8a8 };
Fp8Mode parse_fp8_mode(const std::string& name);  // "auto" | "dequant" | "w8a8"; UsageError otherwise
const char* fp8_mode_name(Fp8Mode mode);

}  // namespace icsweep
