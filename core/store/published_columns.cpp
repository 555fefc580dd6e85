#include "core/store/published_columns.h"

namespace icsweep {

// Same names and order as metrics' published_column_names(), but each tied to its PublishedRow
// field at compile time, which a list of names alone cannot do.
const std::vector<PublishedColumn>& published_columns() {
  using Kind = PublishedColumn::Kind;
  static const std::vector<PublishedColumn> columns = {
      {"model_name", Kind::kString, &PublishedRow::model_name},
      {"model_series", Kind::kString, &PublishedRow::model_series},
      {"model_size", Kind::kString, &PublishedRow::model_size},
      {"data_name", Kind::kString, &PublishedRow::data_name},
      {"seq_len", Kind::kInt, nullptr, &PublishedRow::seq_len},
      {"uniform_entropy", Kind::kDouble, nullptr, nullptr, &PublishedRow::uniform_entropy},
      {"constant", Kind::kDouble, nullptr, nullptr, &PublishedRow::constant},
      {"conditional_entropy", Kind::kDouble, nullptr, nullptr, &PublishedRow::conditional_entropy},
      {"entropy_gain", Kind::kDouble, nullptr, nullptr, &PublishedRow::entropy_gain},
      {"BF16_TFLOPs", Kind::kDouble, nullptr, nullptr, &PublishedRow::bf16_tflops},
      {"information_capacity", Kind::kDouble, nullptr, nullptr, &PublishedRow::information_capacity},
      {"ic", Kind::kDouble, nullptr, nullptr, &PublishedRow::ic},
  };
  return columns;
}

}  // namespace icsweep
