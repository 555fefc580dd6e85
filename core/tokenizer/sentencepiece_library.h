// SentencePiece through the dlopen'ed plugin (plugin/sentencepiece_plugin.cpp explains why).
// Thread-safe after construction: SentencePieceProcessor::Encode is const.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace icsweep {

class SentencePieceModel {
 public:
  // Loads FILE (tokenizer.model); throws TokenizerError naming it, or naming the plugin when the
  // plugin cannot be opened (set ICSWEEP_SPM_PLUGIN to its path if it was moved).
  explicit SentencePieceModel(const std::string& file);
  ~SentencePieceModel();
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  std::vector<int32_t> encode(std::string_view text) const;  // ids without BOS/EOS
  int bos_id() const { return bos_id_; }
  int eos_id() const { return eos_id_; }
  const std::vector<std::string>& pieces() const { return pieces_; }  // id -> piece

 private:
  std::string file_;
  void* handle_ = nullptr;
  int bos_id_ = -1, eos_id_ = -1;
  std::vector<std::string> pieces_;
};

}  // namespace icsweep
