// libFuzzer target: encode/decode arbitrary bytes with one tokenizer directory.
//
// Built by CMake with -DICSWEEP_FUZZ=ON and clang (fuzz/CMakeLists.txt), or by hand:
//   clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_tokenizer.cpp \
//       core/tokenizer/*.cpp -lonig -lutf8proc -lsentencepiece -o build-tok/fuzz_tokenizer
//   ICSWEEP_FUZZ_TOKENIZER=build/testdata/tokenizers/qwen2.5 build-tok/fuzz_tokenizer -max_total_time=300
// Optional: ICSWEEP_FUZZ_ROUNDTRIP=1 also asserts decode(encode(text)) == text, which holds for
// byte-level tokenizers without a normalizer (gpt2, llama3), not for NFC or Metaspace ones.
//
// Checked per input: valid UTF-8 encodes without throwing in both flavors, with and without special
// tokens, every id is below size(), decode gives valid UTF-8; invalid UTF-8 throws TokenizerError
// (never crashes); decoding arbitrary ids (two input bytes each) gives valid UTF-8.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode_text.h"

namespace {

struct Loaded {
  std::shared_ptr<const icsweep::Tokenizer> transformers;
  std::shared_ptr<const icsweep::Tokenizer> library;  // null for SentencePiece-only directories
  bool roundtrip = false;
};

const Loaded& loaded() {
  static const Loaded instance = [] {
    const char* dir = std::getenv("ICSWEEP_FUZZ_TOKENIZER");
    if (dir == nullptr) {
      std::fprintf(stderr, "set ICSWEEP_FUZZ_TOKENIZER to a tokenizer directory\n");
      std::abort();
    }
    Loaded l;
    l.transformers = icsweep::load_tokenizer(dir);
    try {
      l.library = icsweep::load_tokenizer(dir, icsweep::TokenizerFlavor::kTokenizersLibrary);
    } catch (const icsweep::TokenizerError&) {
      l.library = nullptr;
    }
    const char* roundtrip = std::getenv("ICSWEEP_FUZZ_ROUNDTRIP");
    l.roundtrip = roundtrip != nullptr && std::string(roundtrip) == "1";
    return l;
  }();
  return instance;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_tokenizer: %s\n", what);
    std::abort();
  }
}

void exercise(const icsweep::Tokenizer& tokenizer, std::string_view text, bool roundtrip) {
  for (const bool special : {false, true}) {
    const std::vector<int32_t> ids = tokenizer.encode(text, special);
    for (const int32_t id : ids) check(id >= 0 && id < tokenizer.size(), "id outside [0, size())");
    const std::string decoded = tokenizer.decode(ids);
    check(icsweep::unicode::find_invalid_utf8(decoded) == std::string_view::npos, "decode gave invalid UTF-8");
    if (!special && roundtrip) check(decoded == text, "decode(encode(text)) != text");
    check(icsweep::tail_text_bytes(tokenizer, ids) >= 0, "negative tail bytes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Loaded& l = loaded();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = icsweep::unicode::find_invalid_utf8(text) == std::string_view::npos;
  for (const auto* tokenizer : {l.transformers.get(), l.library.get()}) {
    if (tokenizer == nullptr) continue;
    if (valid) {
      exercise(*tokenizer, text, l.roundtrip && tokenizer == l.library.get());
    } else {
      bool threw = false;
      try {
        tokenizer->encode(text, true);
      } catch (const icsweep::TokenizerError&) {
        threw = true;
      }
      check(threw, "invalid UTF-8 was encoded instead of rejected");
    }
    // Arbitrary ids (also out of range ones, which decode skips).
    std::vector<int32_t> ids;
    for (size_t i = 0; i + 1 < size; i += 2) {
      ids.push_back(static_cast<int32_t>((data[i] << 8 | data[i + 1]) % (tokenizer->size() + 8)));
    }
    const std::string decoded = tokenizer->decode(ids);
    check(icsweep::unicode::find_invalid_utf8(decoded) == std::string_view::npos, "decode of ids gave invalid UTF-8");
  }
  return 0;
}
