#include "driver/signals.h"

#include <csignal>

namespace icsweep {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signal) { g_stop_signal = signal; }

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() { return g_stop_signal != 0; }
int stop_signal() { return g_stop_signal; }
std::string stop_reason() {
  return g_stop_signal == kStopFile ? std::string("stop file") : "signal " + std::to_string(g_stop_signal);
}
void request_stop(int signal) {
  if (g_stop_signal == 0) g_stop_signal = signal;
}

}  // namespace icsweep
