// Endpoints that are threads of one process: mailboxes guarded by a mutex. Used when the sweep
// runs without a launcher (or with one rank): the driver on the main thread, workers on threads.
#pragma once

#include <memory>

#include "protocol/transport.h"

namespace icsweep {

class InProcessHub {
 public:
  explicit InProcessHub(int endpoints);
  ~InProcessHub();
  int endpoints() const;
  // Transport for endpoint `index`; the hub must outlive it. Each endpoint is used by one thread.
  std::unique_ptr<Transport> connect(int index);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace icsweep
