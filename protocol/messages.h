// Messages between driver and workers (protocol/transport.h carries them, tagged), and their byte
// encoding (core/common/bytes.h). Batch results are also the journal's records
// (protocol/journal_records.h), so their encoding is versioned and kept readable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep {

struct HelloMessage {
  std::string host;
  std::string device;              // cpu | cuda:N: the first device the worker owns
  std::string device_description;  // name and UUID of each owned device, "; "-separated
  int32_t owned_devices = 1;       // devices the worker owns (owned_devices): a model runs as replicas over them
};

// What a worker needs to score a batch: which model, how, and the token ids.
struct BatchMessage {
  int64_t work_id = 0;  // unique per dispatch (retries get new ones)
  int64_t cell = 0;
  int64_t batch = 0;    // batch index within the cell's plan
  std::string model_dir;
  std::string dtype;
  int64_t vocab_limit = 0;  // V_tok
  bool per_token = false;
  int32_t gpus = 1;                   // devices to split the model's layers across
  std::string fp8_mode = "auto";      // FP8 checkpoints: auto | dequant | w8a8
  std::vector<int64_t> sample_index;  // (B)
  std::vector<int64_t> offsets;       // (B + 1) into ids
  std::vector<int32_t> ids;           // concatenated sequences
};

struct ResultMessage {
  int64_t work_id = 0;
  int64_t cell = 0;
  int64_t batch = 0;
  bool ok = true;
  bool model_failed = false;  // the model could not be loaded: fail the model's cells
  std::string error;
  std::vector<int64_t> sample_index;  // (B)
  std::vector<int64_t> n_tokens;      // (B) scored tokens
  std::vector<double> nll_bits;       // (B) per-sample sums
  std::vector<float> token_nll_bits;  // per token, only with per_token
  std::vector<int64_t> token_offsets; // (B + 1) into token_nll_bits, only with per_token
  double forward_seconds = 0;
  double load_seconds = 0;            // > 0 when this batch loaded the model
  double load_gigabytes = 0;
  std::string weights_digest;         // files_digest of the model's weights files, hashed after loading
  double digest_seconds = 0;          // > 0 when this batch loaded the model: time spent hashing
};

struct StopMessage {
  int64_t cells = 0;  // length of the per-cell partial sums each worker reduces
};

// A worker got SIGTERM/SIGUSR1/SIGINT and asks the driver to stop the sweep.
struct StopRequestMessage {
  int32_t signal = 0;
};

std::vector<uint8_t> encode(const HelloMessage& m);
std::vector<uint8_t> encode(const BatchMessage& m);
std::vector<uint8_t> encode(const ResultMessage& m);
std::vector<uint8_t> encode(const StopMessage& m);
std::vector<uint8_t> encode(const StopRequestMessage& m);
HelloMessage decode_hello(const std::vector<uint8_t>& bytes);
BatchMessage decode_batch(const std::vector<uint8_t>& bytes);
ResultMessage decode_result(const std::vector<uint8_t>& bytes);
StopMessage decode_stop(const std::vector<uint8_t>& bytes);
StopRequestMessage decode_stop_request(const std::vector<uint8_t>& bytes);

}  // namespace icsweep
