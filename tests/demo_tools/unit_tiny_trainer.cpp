#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/tokenizer/tokenizer.h"
#include "demo_tools/tiny_model.h"
#include "demo_tools/tiny_trainer.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The project's README cut at blank lines: real text, no external data.
std::vector<std::string> readme_paragraphs() {
  const std::string text = slurp(std::filesystem::path(testing::source_dir()) / "README.md");
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    if (end - start > 40) out.push_back(text.substr(start, end - start + 1));
    start = end + 2;
  }
  return out;
}

std::string tiny_llama(const std::string& name, uint64_t seed, bool tie = false) {
  TinyModelOptions o;
  o.out_dir = testing::scratch_dir(name);
  o.hidden = 32;
  o.layers = 2;
  o.merges = 128;
  o.seed = seed;
  o.tie_embeddings = tie;
  make_tiny_model(o);
  return o.out_dir;
}

TinyTrainOptions quick_options() {
  TinyTrainOptions t;
  t.steps = 40;
  t.batch = 8;
  t.seq_len = 32;
  t.lr = 1e-2;
  t.log_every = 0;
  return t;
}

// Mean NLL (nats/token) of `texts` through the scorer's model (load_causal_lm), softmax over the
// tokenizer's rows as the scorer does.
double scorer_nll(const std::string& dir, const std::vector<std::string>& texts) {
  auto model = load_causal_lm(dir, torch::kFloat32, torch::kCPU);
  const auto tokenizer = load_tokenizer(dir);
  const int64_t v_tok = tokenizer->size();
  double total = 0;
  int64_t count = 0;
  for (const auto& text : texts) {
    const auto ids32 = tokenizer->encode(text, true);
    const std::vector<int64_t> ids(ids32.begin(), ids32.end());
    const auto input = torch::tensor(ids).unsqueeze(0);                    // (1, T)
    const auto hidden = model->forward_hidden(input).squeeze(0);          // (T, D)
    const auto logp = torch::log_softmax(model->logits(hidden).narrow(-1, 0, v_tok), -1);  // (T, V_tok)
    const auto next = input.squeeze(0).narrow(0, 1, input.size(1) - 1);   // (T-1)
    total -= logp.narrow(0, 0, next.size(0)).gather(1, next.unsqueeze(1)).sum().item<double>();
    count += next.size(0);
  }
  return total / static_cast<double>(count);
}

TEST(TinyTrainer, TrainingForwardEqualsScorerForward) {
  for (bool tie : {false, true}) {
    const std::string dir = tiny_llama(tie ? "trainer_forward_tied" : "trainer_forward", 3, tie);
    torch::manual_seed(tie ? 12 : 11);
    auto ids = torch::randint(0, 300, {2, 19}, torch::kInt64);  // (B, T)
    const TrainableLlama trainable = TrainableLlama::load(dir);
    const auto mine = llama_train_logits(trainable.config, trainable.weights, ids);  // (B, T, V)
    auto model = load_causal_lm(dir, torch::kFloat32, torch::kCPU);
    const auto hidden = model->forward_hidden(ids);                               // (B, T, D)
    const auto theirs = model->logits(hidden.reshape({-1, hidden.size(-1)})).reshape(mine.sizes());
    EXPECT_TRUE(mine.requires_grad());
    // Two fp32 evaluation orders of the same math: agree to a few ulps of the largest logit
    // (random ids once gave 1.26e-5 absolute on tied logits of size ~35 against a fixed 1e-5).
    const double scale = theirs.abs().max().item<double>();
    EXPECT_LE((mine.detach() - theirs).abs().max().item<double>(), 2e-6 * scale)
        << (tie ? "tied" : "untied") << ", largest logit " << scale;
  }
}

TEST(TinyTrainer, TrainingLowersHeldOutNllOfTheScorer) {
  auto paragraphs = readme_paragraphs();
  ASSERT_GE(paragraphs.size(), 10u);
  const std::vector<std::string> held_out(paragraphs.end() - 3, paragraphs.end());
  paragraphs.resize(paragraphs.size() - 3);
  const std::string dir = tiny_llama("trainer_lowers", 5);
  const double before = scorer_nll(dir, held_out);
  const TinyTrainReport report = train_tiny_model(dir, paragraphs, quick_options(), nullptr);
  const double after = scorer_nll(dir, held_out);
  ASSERT_EQ(report.losses.size(), 40u);
  EXPECT_LT(report.losses.back(), report.losses.front() - 1.0);
  EXPECT_LT(after, before - 1.0) << "held-out NLL before " << before << ", after " << after;
  // The trained model's held-out NLL is far below a uniform guess over the tokenizer.
  EXPECT_LT(after, std::log(static_cast<double>(load_tokenizer(dir)->size())) - 1.0);
}

TEST(TinyTrainer, SameSeedGivesBitIdenticalWeights) {
  const auto texts = readme_paragraphs();
  const std::string a = tiny_llama("trainer_same_a", 7), b = tiny_llama("trainer_same_b", 7);
  const std::string untrained = slurp(std::filesystem::path(a) / "model.safetensors");
  TinyTrainOptions t = quick_options();
  t.steps = 10;
  t.seed = 7;
  train_tiny_model(a, texts, t, nullptr);
  train_tiny_model(b, texts, t, nullptr);
  const std::string trained = slurp(std::filesystem::path(a) / "model.safetensors");
  EXPECT_EQ(trained, slurp(std::filesystem::path(b) / "model.safetensors"));
  EXPECT_NE(trained, untrained);
  const std::string c = tiny_llama("trainer_same_c", 7);
  t.seed = 8;  // other windows, same initial weights
  train_tiny_model(c, texts, t, nullptr);
  EXPECT_NE(trained, slurp(std::filesystem::path(c) / "model.safetensors"));
}

TEST(TinyTrainer, RejectsOtherFamiliesAndBadOptions) {
  const auto texts = readme_paragraphs();
  TinyModelOptions q;
  q.family = "qwen2";
  q.out_dir = testing::scratch_dir("trainer_qwen2");
  make_tiny_model(q);
  EXPECT_THROW(train_tiny_model(q.out_dir, texts, quick_options(), nullptr), ModelError);
  const std::string dir = tiny_llama("trainer_bad", 1);
  TinyTrainOptions t = quick_options();
  t.steps = 0;
  EXPECT_THROW(train_tiny_model(dir, texts, t, nullptr), UsageError);
  EXPECT_THROW(train_tiny_model(dir, {"too short"}, quick_options(), nullptr), UsageError);
}

}  // namespace
}  // namespace icsweep
