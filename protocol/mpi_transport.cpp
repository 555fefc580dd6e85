#include "protocol/mpi_transport.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <list>
#include <set>
#include <thread>

#include "core/common/errors.h"

namespace icsweep {
namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(std::string(call) + " failed: " + std::string(text, length));
}

class MpiTransport final : public Transport {
 public:
  MpiTransport() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
    host_.assign(name, length);
    // GPU choice: index among the *workers* on this node, whatever the launcher's rank order.
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    int node_size = 0, node_rank = 0;
    MPI_Comm_size(node, &node_size);
    MPI_Comm_rank(node, &node_rank);
    std::vector<int> world_ranks(node_size);
    check(MPI_Allgather(&rank_, 1, MPI_INT, world_ranks.data(), 1, MPI_INT, node), "MPI_Allgather");
    for (int i = 0; i < node_size; ++i) {
      if (world_ranks[i] == 0) continue;  // the driver
      if (i < node_rank) ++local_worker_index_;
      ++local_worker_count_;
    }
    MPI_Comm_free(&node);
  }

  int endpoint() const override { return rank_; }
  int endpoint_count() const override { return size_; }

  void send(int destination, MessageTag tag, std::vector<uint8_t> payload) override {
    // Isend keeps the driver responsive while a large batch travels; buffers live until completed.
    reap_sends();
    pending_.push_back(Pending{std::move(payload), MPI_REQUEST_NULL});
    Pending& p = pending_.back();
    if (p.payload.size() > static_cast<size_t>(INT32_MAX)) throw Error("message too large for MPI: " + std::to_string(p.payload.size()));
    check(MPI_Isend(p.payload.data(), static_cast<int>(p.payload.size()), MPI_BYTE, destination,
                    static_cast<int>(tag), MPI_COMM_WORLD, &p.request), "MPI_Isend");
    // MPI moves a message past its eager size only inside MPI calls, and a worker computes its next
    // batch without any: finish a worker's message now, or the driver gets it a whole batch later.
    if (rank_ != 0) flush_sends();
  }

  // Every message that has arrived is matched (MPI_Improbe) and received without blocking
  // (MPI_Imrecv): a sender stopped in the middle of a message (a hung rank) then delays only its own
  // messages, and the driver keeps checking its deadlines. Messages of one sender keep their order.
  bool receive(Envelope* out, int timeout_ms) override {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      reap_sends();
      start_arrived_receives();
      if (take_received(out)) return true;
      if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  std::vector<double> reduce_sum(const std::vector<double>& local) override {
    flush_sends();
    std::vector<double> total(local.size(), 0.0);
    check(MPI_Reduce(local.data(), total.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_SUM, 0,
                     MPI_COMM_WORLD), "MPI_Reduce");
    return rank_ == 0 ? total : std::vector<double>{};
  }

  int local_worker_index() const override { return local_worker_index_; }
  int local_worker_count() const override { return local_worker_count_; }
  std::string host() const override { return host_; }
  std::string kind() const override { return "mpi"; }

  ~MpiTransport() override {
    try {
      flush_sends();
    } catch (...) {
    }
  }

 private:
  struct Pending {
    std::vector<uint8_t> payload;
    MPI_Request request;
  };
  struct Incoming {
    Envelope envelope;  // payload sized to the message, filled by MPI_Imrecv
    MPI_Request request;
  };
  void start_arrived_receives() {
    for (;;) {
      int flag = 0;
      MPI_Message message;
      MPI_Status status;
      check(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &message, &status), "MPI_Improbe");
      if (!flag) return;
      int count = 0;
      check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
      incoming_.push_back(Incoming{Envelope{status.MPI_SOURCE, static_cast<MessageTag>(status.MPI_TAG), {}},
                                   MPI_REQUEST_NULL});
      Incoming& in = incoming_.back();
      in.envelope.payload.resize(count);
      check(MPI_Imrecv(in.envelope.payload.data(), count, MPI_BYTE, &message, &in.request), "MPI_Imrecv");
    }
  }
  // The first complete message whose sender has no earlier message still arriving.
  bool take_received(Envelope* out) {
    std::set<int> still_arriving;
    for (auto it = incoming_.begin(); it != incoming_.end(); ++it) {
      const int source = it->envelope.source;
      if (still_arriving.count(source)) continue;
      int done = 0;
      check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (!done) {
        still_arriving.insert(source);
        continue;
      }
      *out = std::move(it->envelope);
      incoming_.erase(it);
      return true;
    }
    return false;
  }
  void reap_sends() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int done = 0;
      check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      it = done ? pending_.erase(it) : std::next(it);
    }
  }
  void flush_sends() {
    for (auto& p : pending_) check(MPI_Wait(&p.request, MPI_STATUS_IGNORE), "MPI_Wait");
    pending_.clear();
  }

  int rank_ = 0, size_ = 1, local_worker_index_ = 0, local_worker_count_ = 0;
  std::string host_;
  std::list<Pending> pending_;
  std::list<Incoming> incoming_;  // matched messages, in arrival order
};

}  // namespace

bool launched_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

std::unique_ptr<Transport> MpiSession::transport() const { return std::make_unique<MpiTransport>(); }

void abort_job(const std::string& reason, int exit_code) {
  std::cerr << "icsweep: aborting the whole job: " << reason << std::endl;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace icsweep
