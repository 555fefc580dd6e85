// The reference's published columns (docs/design.md §1.5) as a table of (name, field of PublishedRow),
// so the cell writer, the reader and `icsweep report` walk one list in one order.
#pragma once

#include <string>
#include <vector>

#include "core/metrics/information_capacity.h"

namespace icsweep {

struct PublishedColumn {
  enum class Kind { kString, kInt, kDouble };
  const char* name;  // the published name, e.g. "BF16_TFLOPs"
  Kind kind;
  std::string PublishedRow::*string_field = nullptr;
  int64_t PublishedRow::*int_field = nullptr;
  double PublishedRow::*double_field = nullptr;
};

// model_name, model_series, model_size, data_name, seq_len, uniform_entropy, constant,
// conditional_entropy, entropy_gain, BF16_TFLOPs, information_capacity, ic.
const std::vector<PublishedColumn>& published_columns();

}  // namespace icsweep
