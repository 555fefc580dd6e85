// SIGTERM/SIGUSR1 handling (design.md §3): the handler only sets a flag; the driver then stops
// handing out work, lets in-flight batches finish, flushes and exits with kExitRequeue.
#pragma once

namespace icsweep {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCellsFailed = 4;  // the sweep finished, but some cells failed (see their errors)
constexpr int kExitRequeue = 75;     // interrupted by a signal; re-run the same command to resume

void install_stop_signal_handlers();
bool stop_requested();
int stop_signal();  // the signal that asked to stop, 0 if none
// Sets the stop flag as if `signal` had arrived here (a worker rank forwarded its own signal).
void request_stop(int signal);

}  // namespace icsweep
