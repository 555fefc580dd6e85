#include "demo_tools/tiny_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "core/common/errors.h"
#include "core/model/safetensors.h"

namespace icsweep {
namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

constexpr const char* kSpecialToken = "<|endoftext|>";

// Built-in training text when --corpus is not given: plain English prose with some digits and
// punctuation, so the merges look like a real tokenizer's first merges.
constexpr const char* kBuiltinCorpus =
    "The information capacity of a language model is the ratio of how well it compresses text to how "
    "much computation it spends per token. A model that predicts the next token well assigns it a high "
    "probability, and the negative log of that probability, measured in bits, is the cost of encoding the "
    "token. The text itself has a size in bits per token that depends on the tokenizer: a tokenizer with "
    "longer tokens covers more bytes with each token. The difference between the two is what the model "
    "gains over a constant baseline. Dividing that gain by the logarithm of the floating point operations "
    "per token gives a number that can be compared across models of very different sizes.\n"
    "In 2024 and 2025 many open models were released: some with 0.5 billion parameters, some with 7, 14, "
    "32 or 72 billion. They share the same building blocks: token embeddings, attention with rotary position "
    "embeddings, normalization layers and gated feed-forward networks. The tokenizers differ more than the "
    "networks do. Some split text into bytes first and merge frequent pairs of bytes; others work on "
    "characters and fall back to bytes for rare ones.\n"
    "To measure the capacity of one model on one dataset, tokenize every sample, run the model over the "
    "tokens, and add up the bits it needs for each token after the first. Then count the bytes of the text "
    "that the scored tokens decode to. The sums, not the averages, are what should be stored, so that the "
    "numbers can be combined later without running the model again.\n";

enum class ByteClass { kLetter, kDigit, kSpace, kOther };

ByteClass byte_class(unsigned char c) {
  if (std::isalpha(c) || c >= 0x80) return ByteClass::kLetter;  // UTF-8 multibyte: treat as letters
  if (std::isdigit(c)) return ByteClass::kDigit;
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return ByteClass::kSpace;
  return ByteClass::kOther;
}

// GPT-2-like pre-tokenization: " ?letters", " ?digits", " ?other", whitespace runs.
std::vector<std::string> split_chunks(const std::string& text) {
  std::vector<std::string> chunks;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const size_t start = i;
    if (text[i] == ' ' && i + 1 < n && byte_class(text[i + 1]) != ByteClass::kSpace) ++i;
    const ByteClass c = byte_class(text[i]);
    while (i < n && byte_class(text[i]) == c) ++i;
    chunks.push_back(text.substr(start, i - start));
  }
  return chunks;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("make-tiny-model: cannot read corpus file '" + path + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw Error("make-tiny-model: cannot write " + path.string());
}

std::string f32_bytes(const std::vector<float>& values) {
  std::string out(values.size() * sizeof(float), '\0');
  std::memcpy(out.data(), values.data(), out.size());  // x86/ARM hosts are little-endian, as the format
  return out;
}

}  // namespace

uint64_t TinyRng::next_u64() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double TinyRng::uniform() { return (static_cast<double>(next_u64() >> 11) + 1.0) * (1.0 / 9007199254740992.0); }

double TinyRng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2.0 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2.0 * M_PI * u2);
}

std::string byte_level_char(uint8_t b) {
  // bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 map to
  // U+0100.. in byte order.
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
  uint32_t cp = b;
  if (!printable) {
    uint32_t n = 0;
    for (uint32_t x = 0; x < b; ++x) {
      const bool p = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE);
      if (!p) ++n;
    }
    cp = 256 + n;
  }
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

ByteLevelBpe train_byte_level_bpe(const std::string& text, int64_t merges) {
  ByteLevelBpe bpe;
  std::unordered_map<std::string, int> id_of;
  for (int b = 0; b < 256; ++b) {
    bpe.vocab.push_back(byte_level_char(static_cast<uint8_t>(b)));
    id_of[bpe.vocab.back()] = b;
  }
  std::map<std::string, int64_t> chunk_counts;  // ordered: deterministic iteration
  for (auto& c : split_chunks(text)) ++chunk_counts[c];
  std::vector<std::pair<std::vector<int>, int64_t>> words;
  for (const auto& [chunk, count] : chunk_counts) {
    std::vector<int> symbols(chunk.begin(), chunk.end());
    for (int& s : symbols) s = static_cast<unsigned char>(s);
    words.emplace_back(std::move(symbols), count);
  }
  for (int64_t m = 0; m < merges; ++m) {
    std::map<std::pair<int, int>, int64_t> pair_counts;
    for (const auto& [symbols, count] : words)
      for (size_t i = 0; i + 1 < symbols.size(); ++i) pair_counts[{symbols[i], symbols[i + 1]}] += count;
    std::pair<int, int> best{-1, -1};
    int64_t best_count = 1;  // a pair seen once teaches nothing
    for (const auto& [pair, count] : pair_counts)
      if (count > best_count) {
        best = pair;
        best_count = count;
      }
    if (best.first < 0) break;
    const std::string merged = bpe.vocab[best.first] + bpe.vocab[best.second];
    int new_id;
    if (auto it = id_of.find(merged); it != id_of.end()) {
      new_id = it->second;
    } else {
      new_id = static_cast<int>(bpe.vocab.size());
      bpe.vocab.push_back(merged);
      id_of[merged] = new_id;
    }
    bpe.merges.emplace_back(bpe.vocab[best.first], bpe.vocab[best.second]);
    for (auto& [symbols, count] : words) {
      std::vector<int> out;
      out.reserve(symbols.size());
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == best.first && symbols[i + 1] == best.second) {
          out.push_back(new_id);
          ++i;
        } else {
          out.push_back(symbols[i]);
        }
      }
      symbols.swap(out);
    }
  }
  return bpe;
}

namespace {

void check_options(const TinyModelOptions& o) {
  if (o.family != "llama" && o.family != "qwen2")
    throw UsageError("make-tiny-model: --family must be llama or qwen2, got '" + o.family + "'");
  if (o.out_dir.empty()) throw UsageError("make-tiny-model: -o/--output is required");
  if (o.layers < 1 || o.hidden < 2 || o.heads < 1 || o.kv_heads < 1 || o.merges < 0)
    throw UsageError("make-tiny-model: sizes must be positive");
  if (o.hidden % o.heads != 0 || (o.hidden / o.heads) % 2 != 0 || o.heads % o.kv_heads != 0)
    throw UsageError("make-tiny-model: --hidden must be a multiple of --heads with an even head size, and --heads "
                     "a multiple of --kv-heads");
}

// The sizes the options resolve to, once the tokenizer is known.
struct TinySizes {
  int64_t special_id;      // <|endoftext|>: the last tokenizer id
  int64_t tokenizer_size;  // special_id + 1
  int64_t vocab;           // embedding rows (>= tokenizer_size)
  int64_t d, f, dh;        // hidden, intermediate, head size
  int64_t q_dim, kv_dim;   // heads * dh, kv_heads * dh
};

TinySizes resolve_sizes(const TinyModelOptions& o, const ByteLevelBpe& bpe) {
  TinySizes s;
  s.special_id = static_cast<int64_t>(bpe.vocab.size());
  s.tokenizer_size = s.special_id + 1;
  s.vocab = o.vocab > 0 ? o.vocab : (s.tokenizer_size + 63) / 64 * 64;
  if (s.vocab < s.tokenizer_size)
    throw UsageError("make-tiny-model: --vocab " + std::to_string(s.vocab) + " is smaller than the tokenizer (" +
                     std::to_string(s.tokenizer_size) + " tokens)");
  s.d = o.hidden;
  s.f = o.intermediate > 0 ? o.intermediate : std::max<int64_t>(8, (s.d * 27 / 10 + 7) / 8 * 8);
  s.dh = s.d / o.heads;
  s.q_dim = o.heads * s.dh;
  s.kv_dim = o.kv_heads * s.dh;
  return s;
}

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  enum Kind { kMatrix, kEmbedding, kNorm, kBias } kind;
};

// Every tensor of the checkpoint with its Hugging Face name, sorted by name.
std::vector<TensorSpec> tensor_specs(const TinyModelOptions& o, const TinySizes& s) {
  const int64_t vocab = s.vocab, d = s.d, f = s.f, q_dim = s.q_dim, kv_dim = s.kv_dim;
  std::vector<TensorSpec> specs = {{"model.embed_tokens.weight", {vocab, d}, TensorSpec::kEmbedding},
                                   {"model.norm.weight", {d}, TensorSpec::kNorm}};
  if (!o.tie_embeddings) specs.push_back({"lm_head.weight", {vocab, d}, TensorSpec::kMatrix});
  for (int64_t i = 0; i < o.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, TensorSpec::kNorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, TensorSpec::kNorm});
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, TensorSpec::kMatrix});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, TensorSpec::kMatrix});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, TensorSpec::kMatrix});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, TensorSpec::kMatrix});
    specs.push_back({p + "mlp.gate_proj.weight", {f, d}, TensorSpec::kMatrix});
    specs.push_back({p + "mlp.up_proj.weight", {f, d}, TensorSpec::kMatrix});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, TensorSpec::kMatrix});
    if (o.family == "qwen2") {  // q/k/v biases
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, TensorSpec::kBias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, TensorSpec::kBias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, TensorSpec::kBias});
    }
  }
  std::sort(specs.begin(), specs.end(), [](const TensorSpec& a, const TensorSpec& b) { return a.name < b.name; });
  return specs;
}

// One RNG stream, tensors drawn in `specs` order, so the file is a function of the seed.
// Returns the number of parameters written.
int64_t write_random_weights(const fs::path& path, const std::vector<TensorSpec>& specs, uint64_t seed) {
  TinyRng rng(seed);
  std::vector<TensorData> tensors;
  int64_t parameters = 0;
  for (const auto& s : specs) {
    int64_t numel = 1;
    for (int64_t x : s.shape) numel *= x;
    // Scales chosen so logits spread over a few nats: a near-uniform model would make parity
    // tests insensitive. Norm weights and biases are perturbed so that their code paths matter.
    const double fan_in = static_cast<double>(s.shape.back());
    std::vector<float> values(numel);
    for (auto& v : values) {
      const double z = rng.normal();
      switch (s.kind) {
        case TensorSpec::kMatrix: v = static_cast<float>(z / std::sqrt(fan_in)); break;
        case TensorSpec::kEmbedding: v = static_cast<float>(z); break;
        case TensorSpec::kNorm: v = static_cast<float>(1.0 + 0.1 * z); break;
        case TensorSpec::kBias: v = static_cast<float>(0.1 * z); break;
      }
    }
    parameters += numel;
    tensors.push_back({s.name, StDtype::kF32, s.shape, f32_bytes(values)});
  }
  write_safetensors(path.string(), tensors);
  return parameters;
}

// config.json (transformers 4.x key names, which transformers 5 still reads).
ordered_json config_json(const TinyModelOptions& o, const TinySizes& s) {
  ordered_json config;
  config["architectures"] = {o.family == "llama" ? "LlamaForCausalLM" : "Qwen2ForCausalLM"};
  config["model_type"] = o.family;
  config["vocab_size"] = s.vocab;
  config["hidden_size"] = s.d;
  config["intermediate_size"] = s.f;
  config["num_hidden_layers"] = o.layers;
  config["num_attention_heads"] = o.heads;
  config["num_key_value_heads"] = o.kv_heads;
  if (o.family == "llama") config["head_dim"] = s.dh;
  config["hidden_act"] = "silu";
  config["max_position_embeddings"] = 2048;
  config["rms_norm_eps"] = 1e-6;
  config["rope_theta"] = 10000.0;
  config["rope_scaling"] = nullptr;
  if (o.family == "llama") {
    config["attention_bias"] = false;
    config["mlp_bias"] = false;
  } else {
    config["use_sliding_window"] = false;
    config["sliding_window"] = nullptr;
    config["max_window_layers"] = o.layers;
  }
  config["attention_dropout"] = 0.0;
  config["initializer_range"] = 0.02;
  config["tie_word_embeddings"] = o.tie_embeddings;
  config["bos_token_id"] = s.special_id;
  config["eos_token_id"] = s.special_id;
  config["use_cache"] = true;
  config["torch_dtype"] = "float32";
  return config;
}

// <|endoftext|> as an added token (tokenizer.json's added_tokens entry).
ordered_json special_token_json(int64_t special_id) {
  return {{"id", special_id}, {"content", kSpecialToken}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},  {"normalized", false},      {"special", true}};
}

// Sets tok's normalizer and pre_tokenizer: GPT-2's byte-level split, or Qwen2's pipeline for qwen2.
void set_pre_tokenization(ordered_json& tok, const std::string& family) {
  tok["normalizer"] = nullptr;
  tok["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                          {"use_regex", true}};
  if (family != "qwen2") return;
  // transformers 5 rebuilds any qwen2 tokenizer as Qwen2Tokenizer (NFC + Qwen's split regex, digits
  // one by one) whatever tokenizer.json says; writing that pipeline keeps HF and icsweep identical.
  tok["normalizer"] = {{"type", "NFC"}};
  tok["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"},
         {"pattern",
          {{"Regex",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
            "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
         {"behavior", "Isolated"},
         {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}};
}

// tokenizer.json's "model": the BPE vocab (the special token last) and merges in rank order.
ordered_json bpe_model_json(const ByteLevelBpe& bpe, int64_t special_id) {
  ordered_json vocab_json = ordered_json::object();
  for (size_t i = 0; i < bpe.vocab.size(); ++i) vocab_json[bpe.vocab[i]] = i;
  vocab_json[kSpecialToken] = special_id;
  ordered_json merges_json = ordered_json::array();
  for (const auto& [a, b] : bpe.merges) merges_json.push_back(a + " " + b);
  return {{"type", "BPE"},          {"dropout", nullptr},
          {"unk_token", nullptr},   {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
          {"byte_fallback", false}, {"ignore_merges", false},
          {"vocab", vocab_json},    {"merges", merges_json}};
}

// tokenizer.json: GPT-2-style byte-level BPE; the post-processor prepends the special token as
// BOS, so encode(text, add_special_tokens=True) starts with it.
ordered_json tokenizer_json(const std::string& family, const ByteLevelBpe& bpe, int64_t special_id) {
  ordered_json bos_piece = {{"SpecialToken", {{"id", kSpecialToken}, {"type_id", 0}}}};
  ordered_json tok;
  tok["version"] = "1.0";
  tok["truncation"] = nullptr;
  tok["padding"] = nullptr;
  tok["added_tokens"] = {special_token_json(special_id)};
  set_pre_tokenization(tok, family);
  tok["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {bos_piece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair", {bos_piece, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
      {"special_tokens",
       {{kSpecialToken, {{"id", kSpecialToken}, {"ids", {special_id}}, {"tokens", {kSpecialToken}}}}}}};
  tok["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  tok["model"] = bpe_model_json(bpe, special_id);
  return tok;
}

ordered_json tokenizer_config_json(int64_t special_id) {
  ordered_json tok_config;
  tok_config["tokenizer_class"] = "PreTrainedTokenizerFast";
  tok_config["bos_token"] = kSpecialToken;
  tok_config["eos_token"] = kSpecialToken;
  tok_config["model_max_length"] = 2048;
  tok_config["clean_up_tokenization_spaces"] = false;
  ordered_json decoder_entry = special_token_json(special_id);
  decoder_entry.erase("id");  // keyed by id here; AddedToken() rejects an "id" field
  tok_config["added_tokens_decoder"] = {{std::to_string(special_id), decoder_entry}};
  return tok_config;
}

}  // namespace

std::string make_tiny_model(const TinyModelOptions& o) {
  check_options(o);
  const std::string merge_text = !o.corpus.empty()        ? read_text(o.corpus)
                                 : !o.corpus_text.empty() ? o.corpus_text
                                                          : std::string(kBuiltinCorpus);
  const ByteLevelBpe bpe = train_byte_level_bpe(merge_text, o.merges);
  const TinySizes s = resolve_sizes(o, bpe);

  fs::create_directories(o.out_dir);
  const fs::path dir(o.out_dir);
  const int64_t parameters = write_random_weights(dir / "model.safetensors", tensor_specs(o, s), o.seed);
  write_text(dir / "config.json", config_json(o, s).dump(2) + "\n");
  write_text(dir / "tokenizer.json", tokenizer_json(o.family, bpe, s.special_id).dump(2) + "\n");
  write_text(dir / "tokenizer_config.json", tokenizer_config_json(s.special_id).dump(2) + "\n");

  std::ostringstream summary;
  summary << o.out_dir << ": " << o.family << " " << o.layers << " layers, hidden " << s.d << ", heads " << o.heads
          << "/" << o.kv_heads << ", intermediate " << s.f << ", vocab " << s.vocab << " (tokenizer "
          << s.tokenizer_size << ", " << bpe.merges.size() << " merges), " << parameters << " parameters, seed "
          << o.seed << (o.tie_embeddings ? ", tied embeddings" : "");
  return summary.str();
}

}  // namespace icsweep
