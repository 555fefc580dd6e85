// libFuzzer target for the JSONL reader. Each input is written to a file and read with the
// skip policy; the only exception allowed out is DataError, and every record must point inside the
// file at a line holding its text. Also runs classify_jsonl_line on the raw input.
//
// Built by CMake with -DICSWEEP_FUZZ=ON and clang (fuzz/CMakeLists.txt), or by hand from the repository root:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     fuzz/fuzz_jsonl.cpp core/data/jsonl_dataset.cpp core/data/jsonl_line.cpp -o /tmp/fuzz_jsonl
//   mkdir -p /tmp/jsonl-corpus && head -c 20000 build/testdata/datasets/code.jsonl > /tmp/jsonl-corpus/seed
//   /tmp/fuzz_jsonl /tmp/jsonl-corpus -max_len=65536 -max_total_time=300
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/common/errors.h"
#include "core/data/jsonl_dataset.h"

namespace {

std::string scratch_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/fuzz_jsonl." + std::to_string(::getpid()) + ".jsonl";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace icsweep;
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  std::string text, reason, message;
  if (!classify_jsonl_line(bytes, "text", &text, &reason, &message) && reason.empty()) std::abort();

  static const std::string path = scratch_path();
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) std::abort();
  if (size && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  try {
    const DatasetContents contents = read_jsonl_dataset(path, "text", BadRecordPolicy::kSkip);
    if (contents.file_bytes != size) std::abort();
    for (const TextRecord& record : contents.records) {
      if (record.byte_offset >= size || record.text.empty() || record.line < 1) std::abort();
    }
    for (const BadRecord& bad : contents.bad) {
      if (bad.byte_offset >= size || bad.reason.empty() || bad.line < 1) std::abort();
    }
  } catch (const DataError&) {
    // empty file or only blank lines: expected
  }
  return 0;
}
