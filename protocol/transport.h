// Transport between the driver (endpoint 0) and the workers (endpoints 1..N). Only driver/ and
// worker/ know it exists. Two implementations: MPI (one rank per endpoint, mpirun/srun) and
// in-process (threads of one process, so a plain `icsweep run` takes the same code path).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace icsweep {

// Each tag carries one message of protocol/messages.h: kHello HelloMessage, kBatch BatchMessage,
// kResult ResultMessage, kStop StopMessage, kStopRequest StopRequestMessage.
enum class MessageTag : int { kHello = 1, kBatch = 2, kResult = 3, kStop = 4, kStopRequest = 5 };

struct Envelope {
  int source = -1;
  MessageTag tag = MessageTag::kHello;
  std::vector<uint8_t> payload;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int endpoint() const = 0;        // 0 = driver, >= 1 = worker
  virtual int endpoint_count() const = 0;  // driver + workers
  virtual void send(int destination, MessageTag tag, std::vector<uint8_t> payload) = 0;
  // Waits up to timeout_ms (< 0: forever) for a message from anyone; false on timeout.
  virtual bool receive(Envelope* out, int timeout_ms) = 0;
  // Collective over all endpoints: element-wise sum of `local`, valid on endpoint 0.
  virtual std::vector<double> reduce_sum(const std::vector<double>& local) = 0;
  // This worker's index among the workers on its host (picks the GPU); 0 for the driver.
  virtual int local_worker_index() const = 0;
  // Workers on this endpoint's host (>= 1 for a worker): with more GPUs than that, a worker owns several.
  virtual int local_worker_count() const = 0;
  virtual std::string host() const = 0;
  virtual std::string kind() const = 0;  // "mpi" | "in-process"
};

}  // namespace icsweep
