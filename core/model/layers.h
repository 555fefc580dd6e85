// Building blocks shared by the decoder families, each matching its transformers counterpart:
// RMSNorm (LlamaRMSNorm), rotary embeddings (modeling_rope_utils.py + rotate_half; RopeConfig in
// families/family_config.h), GQA key/value repetition, causal (optionally sliding-window) attention.
#pragma once

#include <torch/torch.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

// x * rsqrt(mean(x^2) + eps) computed in fp32, cast back to x's dtype, then times the weight
// (in x's dtype), exactly as LlamaRMSNorm. x: (..., D), weight: (D).
// On CUDA the fused kernel of core/model/fused_ops.h does the same in one pass.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// (x + delta, rms_norm(x + delta)): a decoder's residual add and the next block's pre-norm, in one
// pass on CUDA. x, delta: (..., D); weight: (D).
std::pair<torch::Tensor, torch::Tensor> add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                     const torch::Tensor& weight, double eps);

// silu(gate) * up with (gate, up) = gate_up.chunk(2, -1), one pass on CUDA. (..., 2F) -> (..., F).
torch::Tensor silu_mul(const torch::Tensor& gate_up);

// Inverse frequencies (dim / 2) in fp32 on the CPU, for a forward over `seq_len` positions
// (only "dynamic" depends on it).
torch::Tensor rope_inv_freq(const RopeConfig& rope, int64_t seq_len);

// cos and sin for positions 0..T-1: each (T, dim), in `dtype` on `device` (computed in fp32 like
// transformers, which casts to the activation dtype at the end).
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const RopeConfig& rope, int64_t seq_len,
                                                     torch::ScalarType dtype, torch::Device device);

// x * cos + rotate_half(x) * sin with rotate_half(x) = cat(-x2, x1) over the last dim (one pass on
// CUDA). x: (B, H, T, Dh); cos/sin: (T, Dh).
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// (B, Hkv, T, Dh) -> (B, Hkv * n_rep, T, Dh), each kv head repeated n_rep times in a row
// (transformers' repeat_kv).
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep);

// Bool (T, T) "may attend" mask: causal, and with window > 0 only the last `window` positions
// (query i sees keys j with i - window < j <= i, as transformers' sliding_window_overlay).
// Undefined tensor for plain causal attention with no window or T <= window (fast path).
torch::Tensor attention_mask(int64_t seq_len, int64_t window, torch::Device device);

// Causal attention: q (B, H, T, Dh), k/v (B, Hkv, T, Dh) with Hkv dividing H (grouped-query heads
// shared without copies where torch allows) -> (B, H, T, Dh); `mask` from attention_mask(); softmax
// scale 1/sqrt(Dh) unless `scale` is given (Granite's attention_multiplier).
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, std::optional<double> scale = std::nullopt);

// cat(*parts, 0) into `fused`, releasing the parts; nothing when the first part is undefined (no
// bias). Fusing q/k/v or gate/up at load: one GEMM where the Hub stores several. FP8 parts fuse into
// one FP8 placeholder (fp8_store.h).
void fuse_rows(std::initializer_list<torch::Tensor*> parts, torch::Tensor& fused);

// y = x W^T (+ b); bias may be undefined. For an FP8 weight of a w8a8 model (fp8_store.h) x is first
// quantized to e4m3 as the checkpoint's format says.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// As rms_norm, but the weight multiplies the fp32 normalised values before the cast back
// (Olmo2RMSNorm: (weight * h).to(input_dtype)). x: (..., D), weight: (D).
torch::Tensor rms_norm_weight_fp32(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// nn.LayerNorm over the last dim. x: (..., D), weight/bias: (D).
torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps);

// Rotary embedding on the first cos.size(-1) dims of the head, the rest passed through
// (partial rotary: GPT-NeoX rotary_pct, Phi-3/GLM partial_rotary_factor). x: (B, H, T, Dh);
// cos/sin: (T, Dr) with Dr <= Dh.
torch::Tensor apply_partial_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// transformers' ACT2FN by name: gelu (erf), gelu_new / gelu_fast / gelu_pytorch_tanh (tanh
// approximation), silu / swish, relu (activation_supported() in families/family_config.h);
// activation() throws ModelError for any other name.
torch::Tensor activation(const std::string& name, const torch::Tensor& x);

// Attention with an explicit softmax scale and optional tanh soft-capping of the scores, as
// transformers' eager_attention_forward with `scaling` and `softcap` (Gemma 3: scale
// query_pre_attn_scalar^-0.5, attn_logit_softcapping). q: (B, H, Tq, Dh), k/v: (B, H, Tk, Dh)
// with the kv heads already repeated; `mask` from attention_mask() (undefined = plain causal);
// softcap <= 0: none. Scores are formed in q's dtype, the softmax runs in fp32. (B, H, Tq, Dh).
torch::Tensor scaled_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, double scale, double softcap);

// GLM's rotary layout (modeling_glm4.py): the first cos.size(-1) dims rotate as adjacent pairs
// (x0, x1), (x2, x3), ... with pair i at frequency i; the rest pass through. cos/sin as from
// rope_cos_sin: (T, Dr), both halves equal. x: (B, H, T, Dh) with Dr <= Dh.
torch::Tensor apply_interleaved_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// The same in fp32 (x cast up; cos/sin fp32), cast back to x's dtype: ERNIE 4.5's apply_rotary_pos_emb.
torch::Tensor apply_interleaved_rotary_fp32(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace icsweep
