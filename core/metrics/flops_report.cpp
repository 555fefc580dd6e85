#include "core/metrics/flops_report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/errors.h"

namespace icsweep {
namespace {

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Shortest decimal that reads back as the same double (what Python prints), e.g. 1.000647688192.
std::string shortest_repr(double value) {
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace

FlopsReport compute_flops_report(FlopsRequest request) {
  if (request.tokens < 1) throw UsageError("-l/--tokens must be at least 1, got " + std::to_string(request.tokens));
  if (request.profile != "reference" && request.profile != "exact") {
    throw UsageError("--profile must be 'reference' or 'exact', got '" + request.profile + "'");
  }
  if (!request.attention.empty() && request.attention != "mla" && request.attention != "gqa") {
    throw UsageError("--attention must be 'mla' or 'gqa', got '" + request.attention + "'");
  }
  if (!request.attention.empty() && request.profile == "exact") {
    throw UsageError("--attention applies to the reference profile only");
  }
  if (request.name.empty()) request.name = request.model_dir;
  FlopsReport report;
  report.config_path = (std::filesystem::path(request.model_dir) / "config.json").string();
  std::error_code ec;
  if (!std::filesystem::is_directory(request.model_dir, ec))
    throw ModelError(request.model_dir + ": not a directory; give the model directory that holds config.json");
  const HfConfig config = HfConfig::load(request.model_dir);
  report.estimate = flops_for_profile(request.profile, config, request.name, request.tokens, request.attention);
  report.request = std::move(request);
  return report;
}

std::string format_flops_table(const FlopsReport& report) {
  const FlopsEstimate& e = report.estimate;
  std::ostringstream out;
  out << "icsweep flops: " << report.request.name << "  (config " << report.config_path << ")\n";
  out << "profile " << e.profile << ", "
      << (e.profile == "reference" ? "decode of T tokens from an empty prompt, batch 1"
                                   : "prefill (scoring) of one sequence of T tokens")
      << ", T = " << e.tokens << "\n\n";
  char line[160];
  std::snprintf(line, sizeof(line), "%-28s %24s %8s\n", "quantity", "value", "share");
  out << line;
  for (const auto& [name, value] : e.dimensions) {
    std::snprintf(line, sizeof(line), "%-28s %24lld %8s\n", name.c_str(), static_cast<long long>(value), "");
    out << line;
  }
  for (const auto& [name, value] : e.breakdown) {
    const double share = e.total_flops > 0 ? 100.0 * value / e.total_flops : 0.0;
    std::snprintf(line, sizeof(line), "%-28s %24.0f %7.2f%%\n", (name + " FLOPs").c_str(), value, share);
    out << line;
  }
  std::snprintf(line, sizeof(line), "%-28s %24.0f %8s\n", "total FLOPs", e.total_flops, "");
  out << line;
  std::snprintf(line, sizeof(line), "%-28s %24s %8s\n", "total TFLOPs",
                shortest_repr(e.total_flops / 1e12).c_str(), "");
  out << line;
  std::snprintf(line, sizeof(line), "%-28s %24.4f %8s\n", "FLOPs per token N", e.flops_per_token, "");
  out << line;
  std::snprintf(line, sizeof(line), "%-28s %24.6f %8s\n", "log2(N)", std::log2(e.flops_per_token), "");
  out << line;
  if (!e.notes.empty()) {
    out << "\nnotes:\n";
    for (const auto& note : e.notes) out << "  - " << note << "\n";
  }
  out << "\n" << e.profile << " TFLOPs for T = " << e.tokens << ": "
      << shortest_repr(e.total_flops / 1e12) << ", FLOPs per token "
      << printf_string("%.6g", e.flops_per_token) << "\n";
  return out.str();
}

nlohmann::json flops_report_json(const FlopsReport& report) {
  const FlopsEstimate& e = report.estimate;
  nlohmann::json dims = nlohmann::json::object(), breakdown = nlohmann::json::object();
  for (const auto& [name, value] : e.dimensions) dims[name] = value;
  for (const auto& [name, value] : e.breakdown) breakdown[name] = value;
  return {{"model_dir", report.request.model_dir},
          {"name", report.request.name},
          {"config", report.config_path},
          {"profile", e.profile},
          {"attention", report.request.attention},
          {"tokens", e.tokens},
          {"total_flops", e.total_flops},
          {"total_tflops", e.total_flops / 1e12},
          {"flops_per_token", e.flops_per_token},
          {"log2_flops_per_token", std::log2(e.flops_per_token)},
          {"dimensions", dims},
          {"breakdown", breakdown},
          {"notes", e.notes}};
}

}  // namespace icsweep
