#include "driver/progress.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace icsweep {

EventLog::EventLog(const std::string& path) {
  if (!path.empty()) out_.open(path, std::ios::app);
}

void EventLog::write(const std::string& event, nlohmann::json fields) {
  if (!out_.is_open()) return;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  fields["time"] = stamp;
  fields["event"] = event;
  out_ << fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out_.flush();
}

std::string hms(double seconds) {
  if (!(seconds >= 0) || seconds > 1e12) return "-";
  const auto total = static_cast<long long>(seconds + 0.5);
  char text[48];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  return text;
}

Progress::Progress(std::ostream& out, double interval_seconds, double total_flops, int64_t total_samples)
    : out_(out), interval_(interval_seconds), start_(std::chrono::steady_clock::now()), last_print_(start_),
      total_flops_(total_flops), total_samples_(total_samples) {}

void Progress::add_done(int64_t samples, int64_t tokens, double flops, int worker, double forward_seconds) {
  done_flops_ += flops;
  done_samples_ += samples;
  done_tokens_ += tokens;
  worker_forward_seconds_[worker] += forward_seconds;
  interval_forward_seconds_[worker] += forward_seconds;
  worker_tokens_[worker] += tokens;
}

void Progress::set_cell(const std::string& cell_key, int64_t cell_done_samples, int64_t cell_total_samples) {
  cell_ = cell_key;
  cell_done_ = cell_done_samples;
  cell_total_ = cell_total_samples;
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::maybe_print(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double interval = std::chrono::duration<double>(now - last_print_).count();
  if (!force && interval < interval_) return;
  last_print_ = now;
  double forward_seconds = 0;
  for (const auto& [worker, seconds] : interval_forward_seconds_) forward_seconds += seconds;
  const double busy = interval > 0 && !interval_forward_seconds_.empty()
                          ? forward_seconds / (interval * static_cast<double>(interval_forward_seconds_.size()))
                          : 0;
  interval_forward_seconds_.clear();
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_tokens_) / elapsed : 0;
  const double flops_rate = elapsed > 0 ? done_flops_ / elapsed : 0;
  const double eta = flops_rate > 0 ? std::max(0.0, total_flops_ - done_flops_) / flops_rate : -1;
  // Slowest rank: the lowest tokens per forward-second among workers that have done anything.
  int slowest = -1;
  double slowest_rate = 0;
  for (const auto& [worker, seconds] : worker_forward_seconds_) {
    if (seconds <= 0) continue;
    const double r = static_cast<double>(worker_tokens_[worker]) / seconds;
    if (slowest < 0 || r < slowest_rate) {
      slowest = worker;
      slowest_rate = r;
    }
  }
  char line[512];
  std::snprintf(line, sizeof line,
                "[%s] cell %s %lld/%lld samples | sweep %lld/%lld samples %.1f%% FLOPs | %.0f tok/s | "
                "ETA %s | slowest rank %d (%.0f tok/s) | busy %.0f%%",
                hms(elapsed).c_str(), cell_.c_str(), static_cast<long long>(cell_done_), static_cast<long long>(cell_total_),
                static_cast<long long>(done_samples_), static_cast<long long>(total_samples_),
                total_flops_ > 0 ? 100.0 * std::min(1.0, done_flops_ / total_flops_) : 100.0,
                rate, hms(eta).c_str(), slowest, slowest_rate, 100.0 * std::min(1.0, busy));
  out_ << line << std::endl;
}

}  // namespace icsweep
