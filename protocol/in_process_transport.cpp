#include "protocol/in_process_transport.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "core/common/errors.h"

namespace icsweep {

struct InProcessHub::State {
  explicit State(int n) : mailboxes(n), reduce_parts(n) {}
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::deque<Envelope>> mailboxes;
  // reduce_sum: every endpoint deposits its part; endpoint 0 waits for all, sums and resets.
  std::vector<std::vector<double>> reduce_parts;
  int reduce_deposited = 0;
};

namespace {

std::string host_name() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return name;
}

class InProcessTransport final : public Transport {
 public:
  InProcessTransport(std::shared_ptr<InProcessHub::State> state, int index)
      : state_(std::move(state)), index_(index) {}

  int endpoint() const override { return index_; }
  int endpoint_count() const override { return static_cast<int>(state_->mailboxes.size()); }

  void send(int destination, MessageTag tag, std::vector<uint8_t> payload) override {
    if (destination < 0 || destination >= endpoint_count())
      throw Error("in-process transport: no endpoint " + std::to_string(destination));
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->mailboxes[destination].push_back(Envelope{index_, tag, std::move(payload)});
    state_->changed.notify_all();
  }

  bool receive(Envelope* out, int timeout_ms) override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    auto& box = state_->mailboxes[index_];
    auto ready = [&] { return !box.empty(); };
    if (timeout_ms < 0) {
      state_->changed.wait(lock, ready);
    } else if (!state_->changed.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready)) {
      return false;
    }
    *out = std::move(box.front());
    box.pop_front();
    return true;
  }

  std::vector<double> reduce_sum(const std::vector<double>& local) override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    state_->reduce_parts[index_] = local;
    ++state_->reduce_deposited;
    state_->changed.notify_all();
    if (index_ != 0) return {};
    state_->changed.wait(lock, [&] { return state_->reduce_deposited == endpoint_count(); });
    std::vector<double> total(local.size(), 0.0);
    for (const auto& part : state_->reduce_parts) {
      if (part.size() != total.size()) throw Error("in-process reduce_sum: endpoints disagree on the vector length");
      for (size_t i = 0; i < total.size(); ++i) total[i] += part[i];
    }
    state_->reduce_deposited = 0;
    return total;
  }

  int local_worker_index() const override { return index_ > 0 ? index_ - 1 : 0; }
  int local_worker_count() const override { return endpoint_count() - 1; }  // every worker shares this host
  std::string host() const override { return host_name(); }
  std::string kind() const override { return "in-process"; }

 private:
  std::shared_ptr<InProcessHub::State> state_;
  int index_;
};

}  // namespace

InProcessHub::InProcessHub(int endpoints) : state_(std::make_shared<State>(endpoints)) {}
InProcessHub::~InProcessHub() = default;
int InProcessHub::endpoints() const { return static_cast<int>(state_->mailboxes.size()); }
std::unique_ptr<Transport> InProcessHub::connect(int index) {
  return std::make_unique<InProcessTransport>(state_, index);
}

}  // namespace icsweep
