#include "demo_tools/tiny_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "core/common/errors.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/safetensors.h"
#include "core/model/weights.h"
#include "core/tokenizer/tokenizer.h"
#include "demo_tools/tiny_model.h"

namespace icsweep {

TrainableLlama TrainableLlama::load(const std::string& model_dir) {
  const HfConfig hf = HfConfig::load(model_dir);
  const std::string model_type = hf.get_string("model_type", "");
  if (model_type != "llama")
    throw ModelError(hf.source() + ": key 'model_type' is '" + model_type +
                     "'; the tiny trainer supports only llama checkpoints (make-tiny-model --family llama)");
  TrainableLlama m;
  m.config = LlamaConfig::from_hf(hf, model_type);
  const LlamaConfig& c = m.config;
  if (c.qkv_bias || c.o_bias || c.mlp_bias)
    throw ModelError(hf.source() + ": attention_bias/mlp_bias are set; the tiny trainer supports bias-free llama only");
  const int64_t d = c.hidden_size, v = c.vocab_size;

  LlamaWeights& w = m.weights;
  w.layers.resize(c.num_layers);
  // The names and shapes of load_llama's table (bias-free llama).
  std::vector<WeightSpec> specs = {{"model.embed_tokens.weight", {v, d}, &w.embed_tokens},
                                   {"model.norm.weight", {d}, &w.norm}};
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {v, d}, &w.lm_head});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, /*qkv_bias=*/false, /*o_bias=*/false, l.attn);
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
  }
  load_weights(SafetensorsCheckpoint(model_dir), specs, torch::kFloat32, torch::kCPU);  // copies, not views
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;
  std::sort(specs.begin(), specs.end(), [](const WeightSpec& a, const WeightSpec& b) { return a.name < b.name; });
  for (const auto& s : specs) m.named.emplace_back(s.name, s.slot->requires_grad_(true));
  return m;
}

void TrainableLlama::save(const std::string& model_dir) const {
  std::vector<TensorData> tensors;
  for (const auto& [name, t] : named) {
    const torch::Tensor values = t.detach().to(torch::kFloat32).contiguous();
    std::string bytes(values.numel() * sizeof(float), '\0');
    std::memcpy(bytes.data(), values.data_ptr<float>(), bytes.size());  // little-endian hosts, as the format
    tensors.push_back({name, StDtype::kF32, values.sizes().vec(), std::move(bytes)});
  }
  write_safetensors(model_dir + "/model.safetensors", tensors);
}

std::vector<torch::Tensor> TrainableLlama::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& entry : named) out.push_back(entry.second);
  return out;
}

torch::Tensor llama_train_logits(const LlamaConfig& c, const LlamaWeights& w, const torch::Tensor& ids) {
  const int64_t b = ids.size(0), t = ids.size(1);
  const int64_t h = c.heads.num_heads, hkv = c.heads.num_kv_heads, dh = c.heads.head_dim;
  auto x = torch::embedding(w.embed_tokens, ids);                              // (B, T, D)
  auto [cos, sin] = rope_cos_sin(c.rope, t, torch::kFloat32, ids.device());  // (T, Dh) each
  const torch::Tensor no_window;  // llama: plain causal attention
  for (const auto& l : w.layers) {
    auto a = rms_norm(x, l.input_layernorm, c.rms_norm_eps);
    // The parameters stay separate here (they are what the optimizer updates).
    auto q = torch::matmul(a, l.attn.q_proj.t()).view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
    auto k = torch::matmul(a, l.attn.k_proj.t()).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
    auto v = torch::matmul(a, l.attn.v_proj.t()).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
    q = apply_rotary(q, cos, sin);
    k = repeat_kv(apply_rotary(k, cos, sin), h / hkv);  // (B, H, T, Dh)
    v = repeat_kv(v, h / hkv);
    auto out = causal_attention(q, k, v, no_window).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
    x = x + torch::matmul(out, l.attn.o_proj.t());
    auto m = rms_norm(x, l.post_attention_layernorm, c.rms_norm_eps);
    x = x + swiglu(m, l.mlp);  // unfused: gate, up, down
  }
  x = rms_norm(x, w.norm, c.rms_norm_eps);  // (B, T, D)
  return torch::matmul(x, w.lm_head.t());   // (B, T, V)
}

namespace {

// Linear warm-up to the peak, then cosine decay to a tenth of it at the last step.
double learning_rate(const TinyTrainOptions& o, int64_t warmup, int64_t step) {
  if (step < warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double decay_steps = static_cast<double>(std::max<int64_t>(1, o.steps - warmup));
  const double progress = static_cast<double>(step - warmup) / decay_steps;
  return o.lr * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * progress)));
}

void check_options(const TinyTrainOptions& o) {
  auto positive = [](int64_t value, const char* option) {
    if (value < 1) throw UsageError("make-tiny-model: " + std::string(option) + " must be at least 1, got " +
                                    std::to_string(value));
  };
  positive(o.steps, "--steps");
  positive(o.batch, "--batch");
  positive(o.seq_len, "--seq-len");
  positive(o.threads, "--threads");
  if (!(o.lr > 0)) throw UsageError("make-tiny-model: --lr must be positive");
  if (o.warmup >= o.steps) throw UsageError("make-tiny-model: --warmup must be smaller than --steps");
}

}  // namespace

TinyTrainReport train_tiny_model(const std::string& model_dir, const std::vector<std::string>& texts,
                                 const TinyTrainOptions& o, std::ostream* log) {
  check_options(o);
  const auto start = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  TrainableLlama model = TrainableLlama::load(model_dir);
  const auto tokenizer = load_tokenizer(model_dir);
  const int64_t v_tok = tokenizer->size();  // softmax over the tokenizer's rows only, as the scorer
  if (v_tok > model.config.vocab_size)
    throw ModelError(model_dir + ": tokenizer has " + std::to_string(v_tok) + " tokens, more than vocab_size " +
                     std::to_string(model.config.vocab_size));

  std::vector<int64_t> stream;  // every text with its BOS, concatenated
  for (const auto& text : texts) {
    const auto ids = tokenizer->encode(text, /*add_special_tokens=*/true);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  const int64_t window = o.seq_len + 1;
  if (static_cast<int64_t>(stream.size()) < window)
    throw UsageError("make-tiny-model: the training texts give " + std::to_string(stream.size()) +
                     " tokens, fewer than --seq-len + 1 = " + std::to_string(window));
  const torch::Tensor tokens = torch::tensor(stream, torch::kInt64);  // (N)

  TinyTrainReport report;
  report.tokens = tokens.numel();
  std::vector<torch::Tensor> decay, no_decay;  // norms are not decayed
  for (const auto& p : model.parameters()) {
    (p.dim() >= 2 ? decay : no_decay).push_back(p);
    report.parameters += p.numel();
  }
  auto adamw = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(o.lr).betas({0.9, 0.95}).weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(o.weight_decay));
  groups.emplace_back(no_decay, adamw(0.0));
  torch::optim::AdamW optimizer(std::move(groups), torch::optim::AdamWOptions(o.lr));

  const int64_t warmup = o.warmup >= 0 ? o.warmup : o.steps / 10;
  const uint64_t starts = static_cast<uint64_t>(tokens.numel() - window + 1);
  TinyRng rng(o.seed ^ 0x7261696eull);  // its own stream: not the weights' initialisation sequence
  if (log)
    *log << "training " << model_dir << ": " << report.parameters << " parameters, " << report.tokens
         << " tokens, " << o.steps << " steps of " << o.batch << " x " << o.seq_len << ", " << o.threads
         << " thread(s)\n"
         << "  step  loss(nats)  bits/token        lr  seconds\n";
  for (int64_t step = 0; step < o.steps; ++step) {
    std::vector<torch::Tensor> rows;
    for (int64_t i = 0; i < o.batch; ++i)
      rows.push_back(tokens.narrow(0, static_cast<int64_t>(rng.next_u64() % starts), window));
    const torch::Tensor batch = torch::stack(rows);                 // (B, T+1)
    const torch::Tensor inputs = batch.narrow(1, 0, o.seq_len);     // (B, T)
    const torch::Tensor targets = batch.narrow(1, 1, o.seq_len);    // (B, T)
    const double lr = learning_rate(o, warmup, step);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    optimizer.zero_grad();
    auto logits = llama_train_logits(model.config, model.weights, inputs).narrow(-1, 0, v_tok);  // (B, T, V_tok)
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, v_tok}), targets.reshape({-1}));
    loss.backward();
    if (o.clip_norm > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), o.clip_norm);
    optimizer.step();

    report.losses.push_back(loss.item<double>());
    const bool last = step + 1 == o.steps;
    if (log && o.log_every > 0 && ((step + 1) % o.log_every == 0 || step == 0 || last)) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::ostringstream line;  // the caller's stream keeps its formatting
      line << std::setw(6) << step + 1 << std::fixed << std::setprecision(4) << std::setw(12) << report.losses.back()
           << std::setw(12) << report.losses.back() / M_LN2 << std::scientific << std::setprecision(2)
           << std::setw(10) << lr << std::fixed << std::setprecision(1) << std::setw(9) << seconds << "\n";
      *log << line.str();
    }
  }
  model.save(model_dir);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace icsweep
