// The fused CUDA kernels (core/model/fused_ops.h) against the eager composites they replace, run on
// the CPU in the same dtype (the CPU path is the one the fp32 fixtures check against transformers).
// In bf16/fp16 every element within one ulp, elementwise steps almost all bit-equal; in fp32 a few ulps
// (exp and rsqrt differ in the last bits between the devices); the NLL to 1e-5 relative. Vector (16-byte)
// and scalar paths both run: odd widths and strided views take the scalar one.
#include <gtest/gtest.h>

#include "core/model/fused_ops.h"
#include "core/model/layers.h"

namespace icsweep {
namespace {

const torch::Device kCuda("cuda:0");

// Largest |a - b| in units of b's dtype resolution at b's magnitude (1 = one ulp), and the share of
// elements that differ at all.
struct Agreement {
  double worst_ulps = 0;
  double differing = 0;
};

Agreement compare(const torch::Tensor& got, const torch::Tensor& want) {
  const double epsilon = want.scalar_type() == torch::kBFloat16 ? 1.0 / 128 : want.scalar_type() == torch::kHalf ? 1.0 / 1024 : 1.2e-7;
  const auto a = got.to(torch::kCPU, torch::kFloat64), b = want.to(torch::kCPU, torch::kFloat64);
  const auto scale = b.abs().clamp_min(1e-3) * epsilon;
  Agreement result;
  result.worst_ulps = ((a - b).abs() / scale).max().item<double>();
  result.differing = (a != b).to(torch::kFloat64).mean().item<double>();
  return result;
}

// bf16/fp16: elementwise steps within one ulp and rarely differing at all; normalisations within two
// (a one-ulp flip of the normalised value, from the summation order, is multiplied by the weight and
// rounded again). fp32: a few ulps (CPU and GPU exp/rsqrt differ in the last bits).
void expect_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what, bool elementwise) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const Agreement agreement = compare(got, want);
  const bool fp32 = want.scalar_type() == torch::kFloat32;
  EXPECT_LE(agreement.worst_ulps, fp32 ? 8.0 : elementwise ? 1.01 : 2.01) << what;
  if (elementwise && !fp32) EXPECT_LE(agreement.differing, 1e-3) << what << ": share of elements differing";
}

const std::vector<torch::ScalarType> kDtypes = {torch::kFloat32, torch::kBFloat16, torch::kHalf};

torch::Tensor random(std::vector<int64_t> shape, torch::ScalarType dtype, double scale = 1.0) {
  return (torch::randn(shape, torch::TensorOptions().dtype(torch::kFloat32)) * scale).to(dtype);
}

TEST(FusedOps, EnabledForCudaInferenceTensorsOnly) {
  ASSERT_TRUE(torch::cuda::is_available()) << "the gpu tests need a CUDA device";
  const auto x = torch::ones({2, 8}, torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda));
  EXPECT_TRUE(fused::enabled(fused::Kernel::kNorm, x)) << "the CUDA build lacks the fused kernels (nvcc missing?)";
  EXPECT_FALSE(fused::enabled(fused::Kernel::kNorm, x.cpu()));
  EXPECT_FALSE(fused::enabled(fused::Kernel::kNorm, x.to(torch::kInt64)));
  EXPECT_FALSE(fused::enabled(fused::Kernel::kNorm, x.to(torch::kFloat32).requires_grad_()));
}

TEST(FusedOps, RmsNormAndResidualAddMatchEager) {
  torch::manual_seed(1);
  for (auto dtype : kDtypes)
    for (int64_t width : {896, 897, 64, 4096}) {
      const std::string what = std::string(c10::toString(dtype)) + " width " + std::to_string(width);
      const auto x = random({37, width}, dtype, 3.0), delta = random({37, width}, dtype);
      const auto w = random({width}, dtype);
      expect_close(fused::rms_norm(x.to(kCuda), w.to(kCuda), 1e-6), rms_norm(x, w, 1e-6), what, false);
      const auto [sum, normed] = fused::add_rms_norm(x.to(kCuda), delta.to(kCuda), w.to(kCuda), 1e-5);
      EXPECT_TRUE(torch::equal(sum.cpu(), x + delta)) << what << ": the residual sum is one rounding, as eager";
      expect_close(normed, rms_norm(x + delta, w, 1e-5), what + " after the residual add", false);
    }
}

TEST(FusedOps, RotaryOnStridedQkvViewsMatchesEagerFullAndPartial) {
  torch::manual_seed(2);
  const int64_t b = 3, t = 19, h = 5, hkv = 1, dh = 64;
  for (auto dtype : kDtypes)
    for (int64_t rotary : {dh, int64_t{32}, int64_t{20}}) {  // 20: half of 10, the scalar kernel
      const std::string what = std::string(c10::toString(dtype)) + " rotary " + std::to_string(rotary);
      // The q part of a fused qkv projection: (B, T, (H + 2 Hkv) Dh) viewed as (B, H, T, Dh), strided.
      const auto qkv = random({b, t, (h + 2 * hkv) * dh}, dtype, 2.0);
      const auto q = qkv.narrow(2, 0, h * dh).view({b, t, h, dh}).transpose(1, 2);
      RopeConfig rope;
      rope.dim = rotary;
      rope.theta = 10000.0;
      const auto [cos, sin] = rope_cos_sin(rope, t, dtype, torch::kCPU);  // (T, Dr)
      const auto qkv_cuda = qkv.to(kCuda);
      const auto q_cuda = qkv_cuda.narrow(2, 0, h * dh).view({b, t, h, dh}).transpose(1, 2);
      ASSERT_FALSE(q_cuda.is_contiguous());
      const auto out = fused::rotary(q_cuda, cos.to(kCuda), sin.to(kCuda));
      expect_close(out, apply_partial_rotary(q, cos, sin), what, true);
      EXPECT_TRUE(out.transpose(1, 2).is_contiguous()) << what << ": not laid out as (B, T, H, Dh)";
      // A contiguous (B, H, T, Dh) input gives the same values.
      expect_close(fused::rotary(q_cuda.contiguous(), cos.to(kCuda), sin.to(kCuda)), apply_partial_rotary(q, cos, sin),
                   what + " contiguous input", true);
    }
}

TEST(FusedOps, SiluMulMatchesEager) {
  torch::manual_seed(3);
  for (auto dtype : kDtypes)
    for (int64_t f : {4864, 13}) {
      const auto gate_up = random({2, 7, 2 * f}, dtype, 4.0);
      const auto parts = gate_up.chunk(2, -1);
      const std::string what = std::string(c10::toString(dtype)) + " F " + std::to_string(f);
      const auto got = fused::silu_mul(gate_up.to(kCuda)), want = torch::silu(parts[0]) * parts[1];
      if (dtype == torch::kFloat32) {
        expect_close(got, want, what, true);
        continue;
      }
      // 16-bit activations take the fast exp and division (a few fp32 ulps): where SiLU's fp32 value lies
      // that close to a rounding boundary of the dtype, its rounded value flips by one ulp and the product
      // by up to 1.5. Such elements must stay rare.
      ASSERT_EQ(got.sizes(), want.sizes()) << what;
      const Agreement agreement = compare(got, want);
      EXPECT_LE(agreement.worst_ulps, 1.51) << what;
      EXPECT_LE(agreement.differing, 1e-3) << what << ": share of elements differing";
    }
}

TEST(FusedOps, NllBitsFromANarrowedLogitsViewMatchesFp32LogSoftmax) {
  torch::manual_seed(4);
  for (auto dtype : kDtypes)
    for (int64_t vocab_used : {151646, 1001, 8}) {
      const int64_t rows = 23, vocab = vocab_used + 290;  // the model's rows beyond the tokenizer's are cut off
      const auto logits = random({rows, vocab}, dtype, 6.0);
      const auto used = logits.narrow(1, 0, vocab_used);
      const auto targets = torch::randint(vocab_used, {rows}, torch::TensorOptions().dtype(torch::kInt64));
      const auto want = -torch::log_softmax(used.to(torch::kFloat64), 1).gather(1, targets.unsqueeze(1)).squeeze(1) /
                        std::log(2.0);
      const auto got = fused::nll_bits(logits.to(kCuda).narrow(1, 0, vocab_used), targets.to(kCuda));
      const double worst = ((got.cpu().to(torch::kFloat64) - want).abs() / want.abs().clamp_min(1.0)).max().item<double>();
      EXPECT_LE(worst, 1e-5) << c10::toString(dtype) << " V " << vocab_used;
    }
}

TEST(FusedOps, NllBitsOfAConstantRowIsLog2OfTheVocabulary) {
  // Hand value: a uniform distribution over V tokens costs log2(V) bits whatever the target.
  const auto logits = torch::full({4, 1000}, 2.5, torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda));
  const auto targets = torch::tensor({0, 1, 998, 999}, torch::TensorOptions().dtype(torch::kInt64).device(kCuda));
  const auto got = fused::nll_bits(logits, targets).cpu();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i].item<double>(), std::log2(1000.0), 1e-5);
}

}  // namespace
}  // namespace icsweep
