// icsweep make-tiny-model: a random Hugging Face-format checkpoint for demos and tests.
#include <boost/program_options.hpp>
#include <iostream>

#include "core/common/errors.h"
#include "core/model/tiny_model.h"
#include "driver/command_line.h"
#include "driver/commands.h"

namespace icsweep {

int cmd_make_tiny_model(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  TinyModelOptions o;
  po::options_description desc(
      "Usage: icsweep make-tiny-model --family llama|qwen2 --out DIR [options]\n\n"
      "Writes a small random checkpoint that Hugging Face transformers can load: config.json,\n"
      "model.safetensors (fp32), tokenizer.json (byte-level BPE whose merges are learned from\n"
      "--corpus, with <|endoftext|> as BOS) and tokenizer_config.json. The same options and seed\n"
      "always give byte-identical files.\n\nOptions");
  desc.add_options()
      ("help,h", "print this help")
      ("family", po::value(&o.family)->default_value(o.family), "llama | qwen2 (qwen2 adds q/k/v biases)")
      ("out,o", po::value(&o.out_dir), "output directory (created)")
      ("layers", po::value(&o.layers)->default_value(o.layers), "decoder layers")
      ("hidden", po::value(&o.hidden)->default_value(o.hidden), "hidden size")
      ("heads", po::value(&o.heads)->default_value(o.heads), "attention heads")
      ("kv-heads", po::value(&o.kv_heads)->default_value(o.kv_heads), "key/value heads (GQA)")
      ("intermediate", po::value(&o.intermediate)->default_value(o.intermediate),
       "MLP size; 0 = about 2.7 x hidden rounded to 8")
      ("vocab", po::value(&o.vocab)->default_value(o.vocab),
       "config vocab_size (embedding rows); 0 = tokenizer size rounded up to a multiple of 64")
      ("merges", po::value(&o.merges)->default_value(o.merges), "BPE merges to learn")
      ("corpus", po::value(&o.corpus), "text file to learn the merges from (default: built-in text)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "random seed of the weights")
      ("tie", po::bool_switch(&o.tie_embeddings), "tie lm_head to the input embeddings");
  po::variables_map vm;
  if (!parse_command_line("make-tiny-model", args, desc, "", &vm)) return 0;
  if (o.out_dir.empty()) {
    std::cerr << "icsweep make-tiny-model: --out DIR is required\n\n" << desc << "\n";
    return 2;
  }
  try {
    std::cout << make_tiny_model(o) << "\n";
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
