// CUDA kernels for the memory-bound parts of a forward, each doing in one pass what eager torch does
// in several (they were 60% of the 0.5B shape's GPU time). Plain pointers and a stream, no
// torch headers: compiled by nvcc, called through core/model/fused_ops.h, which checks shapes.
// Each rounds to the activation dtype wherever eager torch stores an intermediate in that dtype, so
// results equal the eager composites up to fp32 summation order. Each returns nullptr when the launch
// succeeded, else CUDA's error text.
#pragma once

#include <cstdint>

namespace icsweep::cuda_kernels {

enum class DType { kFloat32, kBFloat16, kFloat16 };

// out = weight * round(x * rsqrt(mean(x^2) + eps)) per row (LlamaRMSNorm). With `residual` set, x is
// first replaced by round(x + residual) and that sum written to `sum_out` (the decoder's residual
// stream). x, residual, sum_out, out: (rows, width) contiguous; weight: (width).
const char* rms_norm(DType dtype, const void* x, const void* residual, void* sum_out, const void* weight, void* out,
              int64_t rows, int64_t width, float eps, void* stream);

// Rotary embedding, rotate_half layout, on the first `rotary` dims of each head (the rest copied):
// out[e] = round(round(x[e] * cos[t, e]) + round(r[e] * sin[t, e])), r = cat(-x2, x1).
// x: (B, H, T, Dh) with element strides (sb, sh, st, 1); cos/sin: (T, rotary) contiguous;
// out: (B, H, T, Dh) with element strides (ob, oh, ot, 1).
const char* rotary(DType dtype, const void* x, int64_t sb, int64_t sh, int64_t st, const void* cos, const void* sin,
                   void* out, int64_t ob, int64_t oh, int64_t ot, int64_t b, int64_t h, int64_t t, int64_t dh,
                   int64_t rotary, void* stream);

// out = round(round(silu(gate)) * up) with gate = gate_up[:, :F], up = gate_up[:, F:].
// gate_up: (rows, 2F) contiguous; out: (rows, F) contiguous.
const char* silu_mul(DType dtype, const void* gate_up, void* out, int64_t rows, int64_t f, void* stream);

// Negative log2-likelihood of each row's target: (logsumexp(row) - row[target]) / ln 2, in fp32 from
// logits in `dtype` read once. logits: (rows, cols) with row stride `ld` elements; targets: (rows)
// int64 in [0, cols); nll_bits: (rows) fp32.
const char* nll_bits(DType dtype, const void* logits, int64_t ld, const int64_t* targets, float* nll_bits, int64_t rows,
              int64_t cols, void* stream);

}  // namespace icsweep::cuda_kernels
