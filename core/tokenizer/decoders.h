// tokenizer.json "decoder": token strings -> text, as tokenizers' Decoder::decode_chain followed by
// concatenation (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, BPEDecoder, Sequence).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace icsweep {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// null JSON gives nullptr (tokens are then joined with " ", as tokenizers does).
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const std::string& file);

// Runs `decoder` (or the no-decoder rule) and concatenates.
std::string run_decoder(const Decoder* decoder, std::vector<std::string> tokens);

}  // namespace icsweep
