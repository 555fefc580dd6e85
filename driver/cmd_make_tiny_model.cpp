// icsweep make-tiny-model: a tiny Hugging Face-format checkpoint for demos and tests, random or
// trained for a few seconds on a JSONL corpus (demo_tools/tiny_trainer).
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "core/common/errors.h"
#include "core/data/jsonl_dataset.h"
#include "demo_tools/tiny_model.h"
#include "demo_tools/tiny_trainer.h"
#include "driver/command_line.h"
#include "driver/commands.h"

namespace icsweep {

namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: icsweep make-tiny-model --family llama|qwen2 -o DIR [options]\n"
    "       icsweep make-tiny-model -o DIR --train CORPUS.jsonl --steps N [options]\n\n"
    "Writes a small checkpoint that Hugging Face transformers can load: config.json,\n"
    "model.safetensors (fp32), tokenizer.json (byte-level BPE whose merges are learned from\n"
    "--corpus, else from the --train texts, with <|endoftext|> as BOS) and tokenizer_config.json.\n"
    "The weights are random; with --train (llama only) they are then trained on CPU with AdamW\n"
    "on next-token prediction over random windows of the corpus, each text tokenized with the\n"
    "model's own tokenizer and preceded by BOS. The same options, seed and --threads always give\n"
    "byte-identical files.\n\nModel options";

void add_model_options(po::options_description& desc, TinyModelOptions& o) {
  desc.add_options()
      ("family", po::value(&o.family)->default_value(o.family), "llama | qwen2 (qwen2 adds q/k/v biases)")
      ("output,o", po::value(&o.out_dir), "output directory (created)")
      ("layers", po::value(&o.layers)->default_value(o.layers), "decoder layers")
      ("hidden", po::value(&o.hidden)->default_value(o.hidden), "hidden size")
      ("heads", po::value(&o.heads)->default_value(o.heads), "attention heads")
      ("kv-heads", po::value(&o.kv_heads)->default_value(o.kv_heads), "key/value heads (GQA)")
      ("intermediate", po::value(&o.intermediate)->default_value(o.intermediate),
       "MLP size; 0 = about 2.7 x hidden rounded to 8")
      ("vocab", po::value(&o.vocab)->default_value(o.vocab),
       "config vocab_size (embedding rows); 0 = tokenizer size rounded up to a multiple of 64")
      ("merges", po::value(&o.merges)->default_value(o.merges), "BPE merges to learn")
      ("corpus", po::value(&o.corpus), "text file to learn the merges from (default: the --train texts, else "
                                       "built-in text)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "random seed of the weights and of the training windows")
      ("tie", po::bool_switch(&o.tie_embeddings), "tie lm_head to the input embeddings");
}

void add_training_options(po::options_description& train, TinyTrainOptions& t, std::string& train_path,
                          std::string& text_field) {
  train.add_options()
      ("train", po::value(&train_path), "JSONL corpus to train on (bad records are skipped)")
      ("text-field", po::value(&text_field)->default_value(text_field), "JSONL field holding the text")
      ("steps", po::value(&t.steps)->default_value(t.steps), "optimizer steps")
      ("batch", po::value(&t.batch)->default_value(t.batch), "sequences per step")
      ("seq-len", po::value(&t.seq_len)->default_value(t.seq_len), "tokens per sequence")
      ("lr", po::value(&t.lr)->default_value(t.lr, "5e-3"), "peak learning rate (linear warm-up, cosine decay to lr/10)")
      ("warmup", po::value(&t.warmup)->default_value(t.warmup), "warm-up steps; -1 = steps / 10")
      ("weight-decay", po::value(&t.weight_decay)->default_value(t.weight_decay), "AdamW weight decay (not on norms)")
      ("threads", po::value(&t.threads)->default_value(t.threads),
       "torch threads; the result is reproducible for a given thread count")
      ("log-every", po::value(&t.log_every)->default_value(t.log_every), "print the loss every N steps (0: never)");
}

// The texts of the --train corpus; bad records are skipped with one warning line.
std::vector<std::string> read_training_texts(const std::string& train_path, const std::string& text_field) {
  const DatasetContents data = read_jsonl_dataset(train_path, text_field, BadRecordPolicy::kSkip);
  if (!data.bad.empty())
    std::cerr << "icsweep make-tiny-model: " << train_path << ": skipped " << data.bad.size()
              << " bad record(s), first at line " << data.bad.front().line << " (" << data.bad.front().reason
              << ")\n";
  std::vector<std::string> texts;
  for (const auto& r : data.records) texts.push_back(r.text);
  return texts;
}

}  // namespace

int cmd_make_tiny_model(const std::vector<std::string>& args) {
  TinyModelOptions o;
  TinyTrainOptions t;
  std::string train_path, text_field = "text";
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "print this help");
  add_model_options(desc, o);
  po::options_description train("Training options (with --train)");
  add_training_options(train, t, train_path, text_field);
  desc.add(train);
  po::variables_map vm;
  // --out: the spelling before -o/--output (README "Commands").
  if (!parse_command_line("make-tiny-model", args, desc, "", &vm, false, {{"--out", {"--output"}}})) return 0;
  if (o.out_dir.empty()) {
    std::cerr << "icsweep make-tiny-model: -o/--output DIR is required\n\n" << desc << "\n";
    return 2;
  }
  try {
    std::vector<std::string> texts;
    if (!train_path.empty()) {
      if (o.family != "llama") throw UsageError("make-tiny-model: --train supports --family llama only");
      texts = read_training_texts(train_path, text_field);
      if (o.corpus.empty())
        for (const auto& text : texts) o.corpus_text += text;
    }
    std::cout << make_tiny_model(o) << "\n";
    if (!train_path.empty()) {
      t.seed = o.seed;
      const TinyTrainReport r = train_tiny_model(o.out_dir, texts, t, &std::cout);
      std::printf("%s: trained %lld steps in %.1f s, loss %.4f -> %.4f nats/token\n", o.out_dir.c_str(),
                  static_cast<long long>(t.steps), r.seconds, r.losses.front(), r.losses.back());
    }
  } catch (const UsageError& e) {
    std::cerr << "icsweep " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "icsweep make-tiny-model: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace icsweep
