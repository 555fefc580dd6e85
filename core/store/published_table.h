// The published columns (docs/design.md §1.5) of a results file as text: `icsweep report` and tests.
#pragma once

#include <string>
#include <vector>

#include "core/metrics/information_capacity.h"
#include "core/store/text_table.h"

namespace icsweep {

struct ReportCell {
  PublishedRow row;
  std::string status;     // "ok", "failed", or "unreadable" (missing or damaged cell file)
  std::string cell_file;  // path of the cell file it came from
  std::string error;      // why an unreadable cell could not be read
  int64_t sample_limit = 0;  // > 0: a partial cell, the first N records only (icsweep run --limit N)
};

// The cells of a results.h5 index (in index order) or of a single cell file.
std::vector<ReportCell> read_report_cells(const std::string& path);

// One row per cell in the published column order. table/markdown round floats for reading
// (constant 2 decimals, entropies and IC 5, BF16_TFLOPs shortest exact form); csv/json print every
// float in its shortest form that parses back to the same double. NaN: "nan" (text), null (json).
std::string format_published_rows(const std::vector<PublishedRow>& rows, TableFormat format);

}  // namespace icsweep
