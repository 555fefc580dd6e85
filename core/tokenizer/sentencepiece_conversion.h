// transformers 5 has no SentencePiece encoder: a directory holding only a tokenizer.model (Llama-2,
// Mistral v0.1) is converted into a tokenizers BPE (TokenizersBackend.convert_to_native_format with
// SentencePieceExtractor), and that BPE, not libsentencepiece, gives the reference's ids. The two
// disagree on runs of spaces before a word ("  a": SentencePiece [▁, ▁a], the converted BPE [▁▁, a]).
// This file reads the model file and builds the same tokenizer.json.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace icsweep {

// The parts of a SentencePiece ModelProto (sentencepiece_model.proto) that the conversion reads.
struct SentencePieceProto {
  enum class ModelType { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };
  struct Piece {
    std::string text;
    float score = 0;
    int type = 1;  // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
  };
  std::vector<Piece> pieces;  // by id
  ModelType model_type = ModelType::kUnigram;
  bool byte_fallback = false;
  std::string unk_piece = "<unk>";
  bool has_precompiled_charsmap = false;  // a normalization table transformers would apply
};

// Parses FILE (a serialized ModelProto); TokenizerError names the file when it is not one.
SentencePieceProto read_sentencepiece_proto(const std::string& file);

// The tokenizer.json transformers 5.17 builds for a bare BPE tokenizer.model: vocabulary = the
// pieces by id; merges = for each piece in id order, every split into two pieces of the vocabulary,
// shorter left part first; normalizer Replace(' ', '▁'); no pre_tokenizer; BPE(unk, fuse_unk,
// byte_fallback); decoder Replace('▁', ' ') [+ ByteFallback, Fuse]; no BOS/EOS; control and unknown
// pieces as special added tokens. TokenizerError (naming `file`) for models it cannot convert.
nlohmann::json sentencepiece_bpe_tokenizer_json(const SentencePieceProto& proto, const std::string& file);

}  // namespace icsweep
