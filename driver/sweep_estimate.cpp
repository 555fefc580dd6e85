#include "driver/sweep_estimate.h"

#include <algorithm>
#include <cstdio>

#include "core/score/devices.h"
#include "driver/plan.h"
#include "driver/preflight.h"
#include "driver/progress.h"
#include "driver/signals.h"

namespace icsweep {
namespace {

std::string fixed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

struct Totals {
  int64_t samples = 0, tokens = 0;
  double flops = 0, seconds = 0;
};

TextTable plan_table(const SweepPlan& plan, const PlanRequest& r, int gpus, Totals* totals) {
  const Settings& settings = r.config.settings;
  TextTable table;
  table.add_column("model", true);
  table.add_column("dataset", true);
  for (const char* c : {"samples", "tokens", "TFLOPs", "gpus_per_model", "est_time"}) table.add_column(c, false);
  const double rate = r.peak_tflops * 1e12 * r.mfu;  // FLOP/s sustained per GPU
  auto row = [&](const std::string& model, const std::string& data, int64_t samples, int64_t tokens, double flops,
                 int per_model, double seconds) {
    TableCell time = number_cell(seconds, hms(seconds));
    table.rows.push_back({text_cell(model), text_cell(data), integer_cell(samples), integer_cell(tokens),
                          number_cell(flops / 1e12, fixed("%.4g", flops / 1e12)), integer_cell(per_model), time});
  };
  for (const CellPlan& cell : plan.cells) {
    const double flops = cell_scoring_flops(cell, settings.flops_profile, settings.max_sample_length);
    const int parallel = std::max(1, gpus / std::max(1, cell.model.gpus));
    const double seconds = flops / (rate * parallel);
    const int64_t samples = cell_scored_samples(cell), tokens = cell_scored_tokens(cell);
    row(cell.model.name, cell.dataset.name, samples, tokens, flops, cell.model.gpus, seconds);
    totals->samples += samples;
    totals->tokens += tokens;
    totals->flops += flops;
    totals->seconds += seconds;
  }
  row("total", "", totals->samples, totals->tokens, totals->flops, 0, totals->seconds);
  table.rows.back()[5] = text_cell("");
  return table;
}

void print_header(const PlanRequest& r, const SweepPlan& plan, int64_t budget, std::ostream& out) {
  const Settings& s = r.config.settings;
  out << "plan of " << r.config.source_path << ": " << r.config.models.size() << " model(s) x "
      << r.config.datasets.size() << " dataset(s) = " << plan.cells.size() << " cells; max_sample_length "
      << s.max_sample_length << ", token budget " << budget << " per batch, device " << s.device << ", output "
      << s.output_dir << "\n";
  if (s.sample_limit > 0)
    out << "--limit " << s.sample_limit << ": the first " << s.sample_limit
        << " records of each dataset; the cells will be marked partial\n";
  for (const auto& w : plan.warnings) out << "warning: " << w << "\n";
}

void print_assumptions(const PlanRequest& r, int gpus, bool cpu, const Totals& totals, std::ostream& out) {
  const double each = r.peak_tflops * r.mfu;
  out << "TFLOPs: forward FLOPs of scoring every sample at its length (exact profile; per cell, not the\n"
      << "published BF16_TFLOPs). est_time assumes " << gpus << (cpu ? " worker(s)" : " GPU(s)") << " each sustaining "
      << fixed("%g", r.peak_tflops) << " TFLOP/s peak x MFU " << fixed("%g", r.mfu) << " = " << fixed("%g", each)
      << " TFLOP/s (--gpus, --peak-tflops, --mfu; the defaults are an H100's measured bf16 rate and the MFU\n"
      << "icsweep reached on 0.5B-8B models, bench/NOTES.md); model loading and tokenization are not counted"
      << (cpu ? ".\nThe sweep runs on CPUs: give --peak-tflops your CPU's rate for a meaningful time" : "") << ".\n"
      << "total: " << totals.samples << " samples, " << totals.tokens << " tokens, "
      << fixed("%.4g", totals.flops / 1e12) << " TFLOPs, about " << hms(totals.seconds) << " (h:mm:ss)\n";
}

}  // namespace

int print_sweep_plan(const PlanRequest& r, std::ostream& out, std::ostream& err) {
  const Settings& settings = r.config.settings;
  const int visible = cuda_device_count();
  const bool cpu = settings.device == "cpu" || (settings.device == "auto" && visible == 0);
  const int gpus = r.gpus > 0 ? r.gpus : std::max(1, visible);
  DeviceView devices;
  devices.visible_gpus = r.check_visible_devices ? visible : -1;
  devices.planned_gpus = cpu ? -1 : gpus;
  std::vector<std::string> problems;
  const SweepPlan plan = plan_and_check(r.config, !cpu, devices, r.threads, &problems);
  const int64_t budget = settings.tokens_per_batch > 0 ? settings.tokens_per_batch : default_token_budget(!cpu);
  Totals totals;
  const TextTable table = plan_table(plan, r, gpus, &totals);
  if (r.format == TableFormat::kTable) print_header(r, plan, budget, out);
  out << render_table(table, r.format);
  if (r.format == TableFormat::kTable) {
    print_assumptions(r, gpus, cpu, totals, out);
    if (!r.check_visible_devices && !cpu && visible != gpus)
      out << "note: this machine sees " << visible << " GPU(s); the estimate is for " << gpus << "\n";
    out << (problems.empty() ? "ready: no problems found; no model weights were loaded\n"
                             : "NOT ready: see the problems below\n");
  }
  out.flush();
  if (problems.empty()) return kExitOk;
  err << "icsweep: " << preflight_message(r.config.source_path, problems) << std::endl;
  return kExitUsage;
}

}  // namespace icsweep
