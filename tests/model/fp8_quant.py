"""The published FP8 formulas the FP8 fixtures are made with (gen_fp8_fixtures.py), in plain torch.

Weights (quantize_*): what the published quantizers write, the dequantized fp32 weight returned with
them (dequant = fp8 value times its scale, the form every reader applies):
  block       transformers' Fp8Quantize / DeepSeek's: per [128, 128] block, scale = 448 / amax,
              q = clamp(w * scale) to e4m3, weight_scale_inv = 1 / scale; edge blocks are partial (the
              block covers what is left), as DeepSeek-V3's and vLLM's readers take them.
  ue8m0       the same with weight_scale_inv rounded up to a power of two first (2^ceil(log2 inv)),
              stored as one byte b, inv = 2^(b - 127).
  tensor      one scale for the whole matrix (weight_block_size: null).
  channel     compressed-tensors: one scale per output row, weight_scale (out, 1) = amax / 448.
Activations (act_*): what a w8a8 FP8 linear does to its input before the FP8 GEMM, emulated as
quantize-then-dequantize in fp32:
  group       per token and 128-channel group (transformers' fine-grained FP8 Triton kernel, DeepSeek's
              act_quant, vLLM's per_token_group_quant_fp8): s = max(amax, 1e-10) / 448, x / s to e4m3.
  token       per token over the whole row (transformers' CompressedTensorsFP8Linear
              quantize_fp8_per_row): s = amax / 448 (1 / 448 for an all-zero row).
  static      one stored per-tensor activation_scale s: clamp(x / s) to e4m3.
"""
import torch
import torch.nn.functional as F

FP8 = torch.float8_e4m3fn
FP8_MAX = 448.0
BLOCK = 128


def _pad_to(w, rows, cols):
    return F.pad(w, (0, cols - w.shape[-1], 0, rows - w.shape[-2]))


def _cdiv(a, b):
    return (a + b - 1) // b


def quantize_block(w, block=(BLOCK, BLOCK), ue8m0=False):
    """w (out, in) fp32 -> (q e4m3 (out, in), inv fp32 (ceil(out/bm), ceil(in/bn)), dequantized fp32)."""
    out_f, in_f = w.shape
    bm, bn = block
    gr, gc = _cdiv(out_f, bm), _cdiv(in_f, bn)
    tiles = _pad_to(w.float(), gr * bm, gc * bn).reshape(gr, bm, gc, bn)
    amax = tiles.abs().amax(dim=(1, 3))
    scale = torch.where(amax > 0, FP8_MAX / torch.where(amax > 0, amax, torch.ones_like(amax)), torch.ones_like(amax))
    inv = (1.0 / scale).float()
    if ue8m0:
        inv = torch.pow(2.0, torch.ceil(torch.log2(inv.clamp(min=torch.finfo(torch.float32).tiny))))
        scale = 1.0 / inv
    q = torch.clamp(tiles * scale[:, None, :, None], -FP8_MAX, FP8_MAX).to(FP8)
    deq = (q.float() * inv[:, None, :, None]).reshape(gr * bm, gc * bn)[:out_f, :in_f]
    return q.reshape(gr * bm, gc * bn)[:out_f, :in_f].contiguous(), inv.contiguous(), deq.contiguous()


def dequantize_block(q, inv, block=(BLOCK, BLOCK)):
    """q (out, in) e4m3, inv (ceil(out/bm), ceil(in/bn)) -> q * inv per block in fp32 (partial edges)."""
    bm, bn = block
    full = inv.float().repeat_interleave(bm, 0).repeat_interleave(bn, 1)[:q.shape[0], :q.shape[1]]
    return q.float() * full


def ue8m0_bytes(inv):
    """Power-of-two fp32 scales -> their e8m0 bytes b (inv = 2^(b - 127)), uint8."""
    return (torch.log2(inv).round() + 127).to(torch.uint8)


def quantize_tensor(w):
    """w (out, in) -> (q e4m3, scalar inv fp32 (shape []), dequantized fp32): Fp8Quantize with
    weight_block_size null, i.e. one block over the whole matrix."""
    q, inv, deq = quantize_block(w, tuple(w.shape))
    return q, inv.reshape(()), deq


def quantize_channel(w):
    """compressed-tensors channel strategy: w (out, in) -> (q e4m3, weight_scale (out, 1) fp32, dequantized)."""
    amax = w.float().abs().amax(dim=1, keepdim=True)
    scale = torch.where(amax > 0, amax, torch.ones_like(amax)) / FP8_MAX
    q = torch.clamp(w.float() / scale, -FP8_MAX, FP8_MAX).to(FP8)
    return q, scale.float(), q.float() * scale


def quantize_block_padded(w, block=(BLOCK, BLOCK)):
    """compressed-tensors block strategy as its compressor writes a matrix whose dims are not block
    multiples: the weight zero-padded to whole blocks, then quantized per block, weight_scale =
    amax / 448 (a direct scale, not an inverse). -> (q padded e4m3, scale, dequantized (out, in))."""
    out_f, in_f = w.shape
    bm, bn = block
    gr, gc = _cdiv(out_f, bm), _cdiv(in_f, bn)
    tiles = _pad_to(w.float(), gr * bm, gc * bn).reshape(gr, bm, gc, bn)
    amax = tiles.abs().amax(dim=(1, 3))
    scale = torch.where(amax > 0, amax, torch.ones_like(amax)) / FP8_MAX
    q = torch.clamp(tiles / scale[:, None, :, None], -FP8_MAX, FP8_MAX).to(FP8)
    deq = (q.float() * scale[:, None, :, None]).reshape(gr * bm, gc * bn)[:out_f, :in_f]
    return q.reshape(gr * bm, gc * bn).contiguous(), scale.float().contiguous(), deq.contiguous()


def act_group(x, group=BLOCK):
    """x (..., K) -> the same after per-token, per-`group`-channel e4m3 quantization (the last group
    partial when K % group != 0), in x's dtype."""
    k = x.shape[-1]
    xf = x.float().reshape(-1, k)
    pad = (-k) % group
    g = F.pad(xf, (0, pad)).reshape(xf.shape[0], -1, group)
    s = g.abs().amax(-1, keepdim=True).clamp_min(1e-10) / FP8_MAX
    q = torch.clamp(g / s, -FP8_MAX, FP8_MAX).to(FP8).float()
    return (q * s).reshape(xf.shape[0], -1)[:, :k].reshape(x.shape).to(x.dtype)


def act_token(x):
    """Per-token (whole row) e4m3 quantization, as quantize_fp8_per_row."""
    xf = x.float()
    amax = xf.abs().amax(-1, keepdim=True)
    s = torch.where(amax > 0, amax, torch.ones_like(amax)) / FP8_MAX
    q = torch.clamp(xf / s, -FP8_MAX, FP8_MAX).to(FP8).float()
    return (q * s).to(x.dtype)


def act_static(x, scale):
    """Static per-tensor e4m3 quantization with the stored activation_scale (a scalar tensor)."""
    s = scale.float()
    q = torch.clamp(x.float() / s, -FP8_MAX, FP8_MAX).to(FP8).float()
    return (q * s).to(x.dtype)
