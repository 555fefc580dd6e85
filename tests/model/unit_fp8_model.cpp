// An FP8 checkpoint scores exactly like the dense checkpoint of its dequantized values: a make-tiny-model
// llama whose projections are replaced by random e4m3 codes with random [128, 128] block scales (hidden 64
// and intermediate 176: every block partial; q/k/v and gate/up fused across block boundaries), next to the
// same weights written as F32 values code x scale (decoded here from the e4m3 definition). The dense
// checkpoint runs the plain path; the FP8 one placeholders, fusion and per-layer dequantization.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/model/causal_lm.h"
#include "core/model/safetensors.h"
#include "demo_tools/tiny_model.h"
#include "test_paths.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;

// e4m3fn by its definition: sign, exponent e (bias 7, 0 = subnormal), mantissa m (3 bits).
float e4m3_value(uint8_t code) {
  const int e = (code >> 3) & 15, m = code & 7;
  const float v = e == 0 ? std::ldexp(m / 8.0f, -6) : std::ldexp(1.0f + m / 8.0f, e - 7);
  return (code & 128) ? -v : v;
}

std::string f32_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

struct Pair {
  fs::path fp8, dense;
};

// From a tiny llama: the FP8 checkpoint (codes + F32 weight_scale_inv) and its dense twin.
Pair make_pair() {
  TinyModelOptions o;
  o.out_dir = testing::scratch_dir("fp8_model_source");
  o.seed = 11;
  make_tiny_model(o);
  const Pair p{testing::scratch_dir("fp8_model_fp8"), testing::scratch_dir("fp8_model_dense")};
  std::ifstream in(fs::path(o.out_dir) / "config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  std::ofstream(p.dense / "config.json") << config;
  config["quantization_config"] = {{"quant_method", "fp8"}, {"activation_scheme", "dynamic"},
                                   {"weight_block_size", {128, 128}}};
  std::ofstream(p.fp8 / "config.json") << config;
  TinyRng rng(5);
  std::vector<TensorData> fp8, dense;
  const SafetensorsCheckpoint source(o.out_dir);
  const std::regex projection(R"(model\.layers\.\d+\..*_proj\.weight)");
  for (const auto& [name, e] : source.tensors()) {
    const std::string bytes(reinterpret_cast<const char*>(e->data), e->nbytes);
    if (!std::regex_match(name, projection)) {
      fp8.push_back({name, e->dtype, e->shape, bytes});
      dense.push_back({name, e->dtype, e->shape, bytes});
      continue;
    }
    const int64_t rows = e->shape[0], cols = e->shape[1], gr = (rows + 127) / 128, gc = (cols + 127) / 128;
    std::vector<float> scale(gr * gc), values(rows * cols);
    for (auto& s : scale) s = static_cast<float>(0.002 * (1 + rng.uniform()));
    std::string codes(rows * cols, '\0');
    for (int64_t i = 0; i < rows * cols; ++i) {
      uint8_t c = static_cast<uint8_t>(rng.next_u64() & 0xFF);
      if ((c & 0x7F) == 0x7F) c ^= 1;  // no NaN codes
      codes[i] = static_cast<char>(c);
      values[i] = e4m3_value(c) * scale[(i / cols / 128) * gc + (i % cols) / 128];
    }
    fp8.push_back({name, StDtype::kF8E4M3, e->shape, codes});
    fp8.push_back({name + "_scale_inv", StDtype::kF32, {gr, gc}, f32_bytes(scale)});
    dense.push_back({name, StDtype::kF32, e->shape, f32_bytes(values)});
  }
  write_safetensors((p.fp8 / "model.safetensors").string(), fp8);
  write_safetensors((p.dense / "model.safetensors").string(), dense);
  return p;
}

torch::Tensor logits_of(CausalLM& model, const torch::Tensor& ids) {
  torch::InferenceMode guard;
  auto hidden = model.forward_hidden(ids);
  return model.logits(hidden.reshape({-1, hidden.size(-1)}));
}

TEST(Fp8Model, ScoresLikeTheDenseCheckpointOfItsValues) {
  const Pair p = make_pair();
  auto dense = load_causal_lm(p.dense.string(), torch::kFloat32, torch::kCPU);
  auto fp8 = load_causal_lm(p.fp8.string(), torch::kFloat32, torch::kCPU, Fp8Mode::kDequant);
  EXPECT_EQ(fp8->info().weight_format, "fp8 block [128, 128], dequant");
  EXPECT_EQ(fp8->info().num_parameters, dense->info().num_parameters);
  auto ids = torch::arange(3, 40, torch::kInt64).remainder(dense->info().vocab_size).view({1, -1});
  auto want = logits_of(*dense, ids);
  auto got = logits_of(*fp8, ids);
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-5 * want.abs().max().item<double>());
  // w8a8 quantizes the projections' inputs: other numbers, still finite.
  auto w8a8 = load_causal_lm(p.fp8.string(), torch::kFloat32, torch::kCPU, Fp8Mode::kW8a8);
  auto q = logits_of(*w8a8, ids);
  EXPECT_TRUE(torch::isfinite(q).all().item<bool>());
  EXPECT_GT((q - want).abs().max().item<double>(), 1e-4 * want.abs().max().item<double>());
}

TEST(Fp8Model, HoldsOneBytePerFp8ParameterPlusFp32Scales) {
  const Pair p = make_pair();
  const SafetensorsCheckpoint ck(p.fp8.string());
  int64_t codes = 0, scales = 0, rest = 0;
  for (const auto& [name, e] : ck.tensors())
    (e->dtype == StDtype::kF8E4M3 ? codes : name.find("_scale_inv") != std::string::npos ? scales : rest) +=
        e->numel();
  auto fp8 = load_causal_lm(p.fp8.string(), torch::kFloat32, torch::kCPU, Fp8Mode::kDequant);
  EXPECT_EQ(fp8->info().resident_bytes, codes + 4 * scales + 4 * rest);
  auto dense = load_causal_lm(p.dense.string(), torch::kFloat32, torch::kCPU);
  EXPECT_EQ(dense->info().resident_bytes, 4 * (codes + rest));
}

}  // namespace
}  // namespace icsweep
