// MPI transport: one rank per endpoint (rank 0 drives). Every MPI call goes through here and its
// return code becomes an exception; MPI_Abort only for protocol violations (abort_job).
#pragma once

#include <memory>
#include <string>

#include "protocol/transport.h"

namespace icsweep {

// True when a launcher (mpirun, srun --mpi=pmix) started this process as one of several ranks.
bool launched_by_mpi_launcher();

// MPI_Init_thread (FUNNELED) on construction, MPI_Finalize on destruction.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  int rank() const { return rank_; }
  int size() const { return size_; }
  std::unique_ptr<Transport> transport() const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Logs `reason` to stderr and ends every rank (MPI_Abort with `exit_code`, which mpirun returns) —
// protocol violations and start-up checks that only some ranks can see fail.
[[noreturn]] void abort_job(const std::string& reason, int exit_code = 3);

}  // namespace icsweep
