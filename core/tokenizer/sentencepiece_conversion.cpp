#include "core/tokenizer/sentencepiece_conversion.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// Protocol-buffer wire format, as much as a ModelProto needs.
class WireReader {
 public:
  WireReader(std::string_view data, const std::string& file) : data_(data), file_(file) {}
  bool done() const { return pos_ >= data_.size(); }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail();
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) return value;
    }
    fail();
  }

  // Next field: its number, wire type, and (for length-delimited and fixed types) its bytes.
  void field(uint32_t* number, uint32_t* wire_type, std::string_view* bytes, uint64_t* value) {
    const uint64_t key = varint();
    *number = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    switch (*wire_type) {
      case 0: *value = varint(); break;
      case 1: *bytes = take(8); break;
      case 2: *bytes = take(varint()); break;
      case 5: *bytes = take(4); break;
      default: fail();
    }
  }

 private:
  std::string_view take(uint64_t n) {
    if (n > data_.size() - pos_) fail();
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  [[noreturn]] void fail() const {
    throw TokenizerError(file_ + ": not a SentencePiece model (malformed protocol buffer at byte " +
                         std::to_string(pos_) + ")");
  }

  std::string_view data_;
  const std::string& file_;
  size_t pos_ = 0;
};

// Calls fn(number, wire_type, bytes, value) for each field of a message.
template <typename Fn>
void for_each_field(std::string_view message, const std::string& file, Fn fn) {
  WireReader reader(message, file);
  while (!reader.done()) {
    uint32_t number = 0, wire_type = 0;
    std::string_view bytes;
    uint64_t value = 0;
    reader.field(&number, &wire_type, &bytes, &value);
    fn(number, wire_type, bytes, value);
  }
}

size_t code_points(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

SentencePieceProto read_sentencepiece_proto(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw TokenizerError(file + ": cannot open");
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SentencePieceProto proto;
  // ModelProto: 1 pieces, 2 trainer_spec, 3 normalizer_spec.
  for_each_field(data, file, [&](uint32_t number, uint32_t wire_type, std::string_view bytes, uint64_t) {
    if (wire_type != 2) return;
    if (number == 1) {  // SentencePiece: 1 piece, 2 score (float), 3 type
      SentencePieceProto::Piece piece;
      for_each_field(bytes, file, [&](uint32_t n, uint32_t w, std::string_view b, uint64_t v) {
        if (n == 1 && w == 2) piece.text = std::string(b);
        if (n == 2 && w == 5) std::memcpy(&piece.score, b.data(), sizeof(float));
        if (n == 3 && w == 0) piece.type = static_cast<int>(v);
      });
      proto.pieces.push_back(std::move(piece));
    } else if (number == 2) {  // TrainerSpec: 3 model_type, 35 byte_fallback, 45 unk_piece
      for_each_field(bytes, file, [&](uint32_t n, uint32_t w, std::string_view b, uint64_t v) {
        if (n == 3 && w == 0) proto.model_type = static_cast<SentencePieceProto::ModelType>(v);
        if (n == 35 && w == 0) proto.byte_fallback = v != 0;
        if (n == 45 && w == 2) proto.unk_piece = std::string(b);
      });
    } else if (number == 3) {  // NormalizerSpec: 2 precompiled_charsmap
      for_each_field(bytes, file, [&](uint32_t n, uint32_t w, std::string_view b, uint64_t) {
        if (n == 2 && w == 2 && !b.empty()) proto.has_precompiled_charsmap = true;
      });
    }
  });
  if (proto.pieces.empty()) throw TokenizerError(file + ": not a SentencePiece model (no pieces)");
  return proto;
}

nlohmann::json sentencepiece_bpe_tokenizer_json(const SentencePieceProto& proto, const std::string& file) {
  if (proto.model_type != SentencePieceProto::ModelType::kBpe) {
    throw TokenizerError(file + ": only BPE SentencePiece models are converted as transformers does");
  }
  if (proto.has_precompiled_charsmap) {
    throw TokenizerError(file + ": a SentencePiece model with a precompiled normalization table is not supported "
                                "(transformers would apply it as a Precompiled normalizer); ship its tokenizer.json");
  }
  std::unordered_map<std::string, int32_t> ids;
  nlohmann::json vocab = nlohmann::json::object();
  nlohmann::json added = nlohmann::json::array();
  for (size_t id = 0; id < proto.pieces.size(); ++id) {
    const auto& piece = proto.pieces[id];
    ids.emplace(piece.text, static_cast<int32_t>(id));
    vocab[piece.text] = id;
    if (piece.type == 2 || piece.type == 3) {  // unknown, control: special added tokens
      added.push_back({{"id", id}, {"content", piece.text}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", true}});
    }
  }
  // (merged id, left length, right length) orders the merges; split at code point boundaries.
  std::vector<std::tuple<int32_t, size_t, size_t, std::string, std::string>> merges;
  for (size_t id = 0; id < proto.pieces.size(); ++id) {
    const std::string& text = proto.pieces[id].text;
    for (size_t cut = 1; cut < text.size(); ++cut) {
      if ((static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) continue;
      std::string left = text.substr(0, cut), right = text.substr(cut);
      if (!ids.count(left) || !ids.count(right)) continue;
      const size_t left_length = code_points(left), right_length = code_points(right);
      merges.emplace_back(static_cast<int32_t>(id), left_length, right_length, std::move(left), std::move(right));
    }
  }
  std::sort(merges.begin(), merges.end());
  nlohmann::json merge_list = nlohmann::json::array();
  for (const auto& merge : merges) merge_list.push_back({std::get<3>(merge), std::get<4>(merge)});

  const std::string kUnderline = "\xE2\x96\x81";  // U+2581
  nlohmann::json decoders = nlohmann::json::array();
  decoders.push_back({{"type", "Replace"}, {"pattern", {{"String", kUnderline}}}, {"content", " "}});
  if (proto.byte_fallback) {
    decoders.push_back({{"type", "ByteFallback"}});
    decoders.push_back({{"type", "Fuse"}});
  }
  nlohmann::json model = {{"type", "BPE"}, {"fuse_unk", true}, {"byte_fallback", proto.byte_fallback},
                          {"vocab", std::move(vocab)}, {"merges", std::move(merge_list)}};
  if (ids.count(proto.unk_piece)) model["unk_token"] = proto.unk_piece;
  return {{"added_tokens", std::move(added)},
          {"normalizer", {{"type", "Sequence"},
                          {"normalizers", {{{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kUnderline}}}}}},
          {"pre_tokenizer", nullptr},
          {"post_processor", {{"type", "TemplateProcessing"},
                              {"single", {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                              {"pair", {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
                              {"special_tokens", nlohmann::json::object()}}},
          {"decoder", {{"type", "Sequence"}, {"decoders", std::move(decoders)}}},
          {"model", std::move(model)}};
}

}  // namespace icsweep
