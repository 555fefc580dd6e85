// SIGTERM/SIGUSR1 handling (docs/design.md §3): the handler only sets a flag; the driver then stops
// handing out work, lets in-flight batches finish, flushes and exits with kExitRequeue.
#pragma once

#include <string>

namespace icsweep {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAborted = 3;      // the job was ended: a rank failed or a batch hung (finished work is kept)
constexpr int kExitCellsFailed = 4;  // the sweep finished, but some cells failed (see their errors)
constexpr int kExitRequeue = 75;     // interrupted by a signal or the stop file; re-run the same command to resume
// request_stop() value for OUTPUT/STOP (the portable stop request: a launcher that does not pass
// signals on to the ranks cannot lose it).
constexpr int kStopFile = -1;

void install_stop_signal_handlers();
bool stop_requested();
int stop_signal();  // the signal that asked to stop (kStopFile for the stop file), 0 if none
std::string stop_reason();  // "signal 15" / "stop file" for messages
// Sets the stop flag as if `signal` had arrived here (a worker rank forwarded its own signal).
void request_stop(int signal);

}  // namespace icsweep
