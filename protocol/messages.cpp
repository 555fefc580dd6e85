#include "protocol/messages.h"

#include "core/common/bytes.h"

namespace icsweep {
namespace {

// Version 2 added weights_digest and digest_seconds. The byte after `ok` is unused (it held an
// out-of-memory flag that nothing read): written 0 and skipped, so journals stay readable both ways.
constexpr uint32_t kResultVersion = 2;

void expect_end(const ByteReader& r, const char* what) {
  if (!r.at_end()) throw Error(std::string("trailing bytes after a ") + what + " message");
}

}  // namespace

std::vector<uint8_t> encode(const HelloMessage& m) {
  ByteWriter w;
  w.put_string(m.host);
  w.put_string(m.device);
  w.put_string(m.device_description);
  w.put<int32_t>(m.owned_devices);
  return w.take();
}

HelloMessage decode_hello(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  HelloMessage m;
  m.host = r.get_string();
  m.device = r.get_string();
  m.device_description = r.get_string();
  m.owned_devices = r.get<int32_t>();
  expect_end(r, "hello");
  return m;
}

std::vector<uint8_t> encode(const BatchMessage& m) {
  ByteWriter w;
  w.put(m.work_id);
  w.put(m.cell);
  w.put(m.batch);
  w.put_string(m.model_dir);
  w.put_string(m.dtype);
  w.put(m.vocab_limit);
  w.put<uint8_t>(m.per_token);
  w.put<int32_t>(m.gpus);
  w.put_string(m.fp8_mode);
  w.put_vector(m.sample_index);
  w.put_vector(m.offsets);
  w.put_vector(m.ids);
  return w.take();
}

BatchMessage decode_batch(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  BatchMessage m;
  m.work_id = r.get<int64_t>();
  m.cell = r.get<int64_t>();
  m.batch = r.get<int64_t>();
  m.model_dir = r.get_string();
  m.dtype = r.get_string();
  m.vocab_limit = r.get<int64_t>();
  m.per_token = r.get<uint8_t>() != 0;
  m.gpus = r.get<int32_t>();
  m.fp8_mode = r.get_string();
  m.sample_index = r.get_vector<int64_t>();
  m.offsets = r.get_vector<int64_t>();
  m.ids = r.get_vector<int32_t>();
  expect_end(r, "batch");
  if (m.offsets.size() != m.sample_index.size() + 1 || m.offsets.back() != static_cast<int64_t>(m.ids.size()))
    throw Error("batch message with inconsistent offsets");
  return m;
}

std::vector<uint8_t> encode(const ResultMessage& m) {
  ByteWriter w;
  w.put(kResultVersion);
  w.put(m.work_id);
  w.put(m.cell);
  w.put(m.batch);
  w.put<uint8_t>(m.ok);
  w.put<uint8_t>(0);  // unused
  w.put<uint8_t>(m.model_failed);
  w.put_string(m.error);
  w.put_vector(m.sample_index);
  w.put_vector(m.n_tokens);
  w.put_vector(m.nll_bits);
  w.put_vector(m.token_nll_bits);
  w.put_vector(m.token_offsets);
  w.put(m.forward_seconds);
  w.put(m.load_seconds);
  w.put(m.load_gigabytes);
  w.put_string(m.weights_digest);
  w.put(m.digest_seconds);
  return w.take();
}

ResultMessage decode_result(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  const auto version = r.get<uint32_t>();
  if (version != kResultVersion && version != 1)
    throw Error("result record of unknown version " + std::to_string(version) + " (written by a newer icsweep?)");
  ResultMessage m;
  m.work_id = r.get<int64_t>();
  m.cell = r.get<int64_t>();
  m.batch = r.get<int64_t>();
  m.ok = r.get<uint8_t>() != 0;
  r.get<uint8_t>();  // unused
  m.model_failed = r.get<uint8_t>() != 0;
  m.error = r.get_string();
  m.sample_index = r.get_vector<int64_t>();
  m.n_tokens = r.get_vector<int64_t>();
  m.nll_bits = r.get_vector<double>();
  m.token_nll_bits = r.get_vector<float>();
  m.token_offsets = r.get_vector<int64_t>();
  m.forward_seconds = r.get<double>();
  m.load_seconds = r.get<double>();
  m.load_gigabytes = r.get<double>();
  if (version >= 2) {
    m.weights_digest = r.get_string();
    m.digest_seconds = r.get<double>();
  }
  expect_end(r, "result");
  const size_t b = m.sample_index.size();
  if (m.n_tokens.size() != b || m.nll_bits.size() != b) throw Error("result message with inconsistent column lengths");
  return m;
}

std::vector<uint8_t> encode(const StopMessage& m) {
  ByteWriter w;
  w.put(m.cells);
  return w.take();
}

StopMessage decode_stop(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  StopMessage m;
  m.cells = r.get<int64_t>();
  expect_end(r, "stop");
  return m;
}

std::vector<uint8_t> encode(const StopRequestMessage& m) {
  ByteWriter w;
  w.put(m.signal);
  return w.take();
}

StopRequestMessage decode_stop_request(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  StopRequestMessage m;
  m.signal = r.get<int32_t>();
  expect_end(r, "stop request");
  return m;
}

}  // namespace icsweep
