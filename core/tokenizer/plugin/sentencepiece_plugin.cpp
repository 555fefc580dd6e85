// A tiny C interface over libsentencepiece, built as a separate shared object and opened with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by sentencepiece_library.cpp. Why: Debian's libsentencepiece
// carries its own protobuf (3.14) and exports its symbols; libtorch loads libprotobuf 3.21. Linked
// into one program, whichever is found first serves both, and the program aborts (version check) or
// crashes before main(). Deep binding lets sentencepiece use its own copy while torch keeps its.
#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void set_error(const std::string& message, char* error, size_t error_size) {
  if (!error || error_size == 0) return;
  std::strncpy(error, message.c_str(), error_size - 1);
  error[error_size - 1] = '\0';
}

}  // namespace

extern "C" {

// Returns an opaque handle, or nullptr with a message in `error`.
void* icsweep_spm_load(const char* file, char* error, size_t error_size) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->Load(file);
  if (!status.ok()) {
    set_error(status.ToString(), error, error_size);
    delete processor;
    return nullptr;
  }
  return processor;
}

void icsweep_spm_free(void* handle) { delete static_cast<sentencepiece::SentencePieceProcessor*>(handle); }

int icsweep_spm_bos_id(void* handle) { return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->bos_id(); }
int icsweep_spm_eos_id(void* handle) { return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->eos_id(); }
int icsweep_spm_piece_count(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

// The piece of `id`; valid while the handle lives.
const char* icsweep_spm_piece(void* handle, int id, size_t* length) {
  const std::string& piece = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id);
  *length = piece.size();
  return piece.data();
}

// Encodes text into *ids (malloc'ed, caller frees with free()); 0 on success.
int icsweep_spm_encode(void* handle, const char* text, size_t text_length, int** ids, size_t* count, char* error,
                       size_t error_size) {
  std::vector<int> pieces;
  const auto status = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(
      std::string_view(text, text_length), &pieces);
  if (!status.ok()) {
    set_error(status.ToString(), error, error_size);
    return 1;
  }
  *count = pieces.size();
  *ids = static_cast<int*>(std::malloc(std::max<size_t>(1, pieces.size()) * sizeof(int)));
  if (!*ids) {
    set_error("out of memory", error, error_size);
    return 1;
  }
  if (!pieces.empty()) std::memcpy(*ids, pieces.data(), pieces.size() * sizeof(int));
  return 0;
}

}  // extern "C"
