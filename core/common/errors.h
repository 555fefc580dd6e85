// Typed errors with context. Every error says what went wrong, where (file, line, key, tensor)
// and, where it can, what to do. They are caught at the batch/cell boundary in the worker and at main().
#pragma once

#include <stdexcept>
#include <string>

namespace icsweep {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad command line or option combination.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Sweep YAML problems: message is "FILE:LINE:COL: key 'x': what is wrong".
class ConfigError : public Error {
 public:
  ConfigError(const std::string& file, int line, int column, const std::string& message)
      : Error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
        file_(file), line_(line), column_(column) {}
  explicit ConfigError(const std::string& message) : Error(message) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string file_;
  int line_ = 0;
  int column_ = 0;
};

// Dataset (JSONL) problems: "FILE:LINE: what is wrong".
class DataError : public Error {
 public:
  DataError(const std::string& file, long long line, const std::string& message)
      : Error(line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message),
        file_(file), line_(line) {}
  const std::string& file() const { return file_; }
  long long line() const { return line_; }

 private:
  std::string file_;
  long long line_ = 0;
};

// Tokenizer files: names the file and the component (e.g. "pre_tokenizer Split").
class TokenizerError : public Error {
 public:
  using Error::Error;
};

// Model directory, config.json, safetensors, tensor names/shapes, unsupported architectures.
class ModelError : public Error {
 public:
  using Error::Error;
};

// Forward/scoring failures inside a batch (e.g. CUDA out of memory); `out_of_memory` lets the
// driver retry the batch in smaller pieces.
class ScoreError : public Error {
 public:
  ScoreError(const std::string& message, bool out_of_memory)
      : Error(message), out_of_memory_(out_of_memory) {}
  bool out_of_memory() const { return out_of_memory_; }

 private:
  bool out_of_memory_ = false;
};

// HDF5 result files and the journal.
class StoreError : public Error {
 public:
  using Error::Error;
};

}  // namespace icsweep
