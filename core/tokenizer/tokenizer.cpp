// load_tokenizer: picks tokenizer.json (preferred, as transformers does) or a SentencePiece
// tokenizer.model, and the helpers of the public API.
#include "core/tokenizer/tokenizer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/json_tokenizer.h"
#include "core/tokenizer/sentencepiece_conversion.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"

namespace icsweep {
namespace {

// FNV-1a 64 over each present file's name and bytes: stable across machines and runs.
std::string fingerprint_files(const std::filesystem::path& dir) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&hash](const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      hash ^= static_cast<unsigned char>(data[i]);
      hash *= 0x100000001b3ULL;
    }
  };
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model"}) {
    std::ifstream in(dir / name, std::ios::binary);
    if (!in) continue;
    mix(name, std::char_traits<char>::length(name));
    char buffer[1 << 16];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) mix(buffer, static_cast<size_t>(in.gcount()));
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& dir, TokenizerFlavor flavor) {
  const std::filesystem::path path(dir);
  if (!std::filesystem::is_directory(path)) {
    throw TokenizerError(dir + ": tokenizer directory does not exist");
  }
  const std::string fingerprint = fingerprint_files(path);
  if (std::filesystem::is_regular_file(path / "tokenizer.json")) return load_json_tokenizer(dir, fingerprint, flavor);
  if (std::filesystem::is_regular_file(path / "tokenizer.model") && flavor == TokenizerFlavor::kTransformers) {
    // transformers 5 converts a BPE model into a tokenizers BPE (sentencepiece_conversion.h); other
    // model types still go through libsentencepiece.
    const std::string model_file = (path / "tokenizer.model").string();
    const SentencePieceProto proto = read_sentencepiece_proto(model_file);
    if (proto.model_type != SentencePieceProto::ModelType::kBpe) return load_sentencepiece_tokenizer(dir, fingerprint);
    return load_json_tokenizer(sentencepiece_bpe_tokenizer_json(proto, model_file), dir, model_file, fingerprint,
                               flavor);
  }
  if (std::filesystem::is_regular_file(path / "tiktoken.model"))  // Kimi-K2: tokenization_kimi.py, remote code
    throw TokenizerError(dir + ": only tiktoken.model found; its tokenizer is remote code (trust_remote_code) that "
                         "icsweep does not run. Save it once as tokenizer.json with transformers "
                         "(AutoTokenizer.from_pretrained(dir, trust_remote_code=True).save_pretrained(dir)) and score again");
  if (flavor == TokenizerFlavor::kTokenizersLibrary) throw TokenizerError(dir + ": tokenizer.json not found");
  throw TokenizerError(dir + ": neither tokenizer.json nor tokenizer.model found");
}

int64_t tail_text_bytes(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  if (ids.size() < 2) return 0;
  const std::vector<int32_t> tail(ids.begin() + 1, ids.end());
  return static_cast<int64_t>(tokenizer.decode(tail).size());
}

}  // namespace icsweep
