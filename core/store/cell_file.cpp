// Cell files (docs/design.md §4): /samples columns, optional /tokens, /errors, and the published
// columns plus provenance as root attributes.
#include "core/store/cell_file.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "core/common/errors.h"
#include "core/data/content_hash.h"
#include "core/store/atomic_file.h"
#include "core/store/hdf5_handles.h"
#include "core/store/published_columns.h"

namespace icsweep {
namespace {

constexpr int64_t kCellSchemaVersion = 1;
constexpr const char* kStatusNames = "ok,too_short,bad_record,failed";  // index = SampleStatus code

// Root attributes holding CellResult scalars (besides the published columns). Everything else on
// the root is a provenance string from CellResult::attributes.
const char* const kScalarAttributes[] = {
    "constant_unrounded", "bias", "flops_per_token", "ic_unrounded_constant",
    "flops_profile", "max_sample_length", "total_scored_tokens", "total_nll_bits", "samples_scored",
    "samples_skipped", "status", "icsweep_file_kind", "icsweep_schema_version"};

const std::set<std::string>& reserved_attribute_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out(std::begin(kScalarAttributes), std::end(kScalarAttributes));
    for (const auto& column : published_columns()) out.insert(column.name);
    return out;
  }();
  return names;
}

void check_consistent(const std::string& path, const CellResult& cell) {
  for (const auto& [key, value] : cell.attributes) {
    if (reserved_attribute_names().count(key) || key.empty() || key.find('/') != std::string::npos) {
      throw StoreError("cannot write " + path + ": provenance attribute '" + key +
                       "' is empty, contains '/' or clashes with a result attribute of the same name");
    }
  }
  if (!cell.has_tokens) return;
  const size_t expected_offsets = cell.samples.size() + 1;
  if (cell.token_offsets.size() != expected_offsets ||
      cell.token_offsets.back() != static_cast<int64_t>(cell.token_nll_bits.size())) {
    throw StoreError("cannot write " + path + ": /tokens offsets must have samples+1 = " +
                     std::to_string(expected_offsets) + " entries ending at the number of token values (" +
                     std::to_string(cell.token_nll_bits.size()) + "), got " +
                     std::to_string(cell.token_offsets.size()) + " entries");
  }
}

void write_published_row(const h5::Group& root, const PublishedRow& row) {
  for (const auto& column : published_columns()) {
    switch (column.kind) {
      case PublishedColumn::Kind::kString: root.set_attribute(column.name, row.*column.string_field); break;
      case PublishedColumn::Kind::kInt: root.set_attribute(column.name, row.*column.int_field); break;
      case PublishedColumn::Kind::kDouble: root.set_attribute(column.name, row.*column.double_field); break;
    }
  }
}

void write_samples(const h5::Group& root, const std::vector<SampleRow>& samples) {
  const size_t n = samples.size();
  std::vector<int64_t> sample_index(n), text_bytes(n), n_tokens(n);
  std::vector<double> text_bits(n), nll_bits(n), text_bits_per_token(n), nll_bits_per_token(n);
  std::vector<int8_t> status(n);
  for (size_t i = 0; i < n; ++i) {
    const SampleRow& s = samples[i];
    sample_index[i] = s.sample_index;
    text_bytes[i] = s.text_bytes;
    n_tokens[i] = s.n_tokens;
    text_bits[i] = s.text_bits;
    nll_bits[i] = s.nll_bits;
    text_bits_per_token[i] = s.text_bits_per_token;
    nll_bits_per_token[i] = s.nll_bits_per_token;
    status[i] = static_cast<int8_t>(s.status);
  }
  const h5::Group group = root.create_group("samples");
  group.write_column("sample_index", sample_index);
  group.write_column("text_bytes", text_bytes);
  group.write_column("n_tokens", n_tokens);
  group.write_column("text_bits", text_bits);
  group.write_column("nll_bits", nll_bits);
  group.write_column("text_bits_per_token", text_bits_per_token);
  group.write_column("nll_bits_per_token", nll_bits_per_token);
  group.write_column("status", status);
  group.set_dataset_attribute("status", "status_names", kStatusNames);
}

void write_errors(const h5::Group& root, const std::vector<ErrorRow>& errors) {
  std::vector<int64_t> sample_index, line;
  std::vector<std::string> kind, message;
  for (const ErrorRow& e : errors) {
    sample_index.push_back(e.sample_index);
    line.push_back(e.line);
    kind.push_back(e.kind);
    message.push_back(e.message);
  }
  const h5::Group group = root.create_group("errors");
  group.write_column("sample_index", sample_index);
  group.write_column("line", line);
  group.write_column("kind", kind);
  group.write_column("message", message);
}

// The whole cell file as bytes, built in memory (see h5::File::create_in_memory).
std::vector<uint8_t> cell_file_image(const std::string& path, const CellResult& cell) {
  const size_t size_hint = cell.samples.size() * sizeof(SampleRow) + cell.token_nll_bits.size() * sizeof(float) +
                           cell.token_offsets.size() * sizeof(int64_t);
  h5::File file = h5::File::create_in_memory(path, size_hint);
  {
    const h5::Group root = file.root();
    root.set_attribute("icsweep_file_kind", "cell");
    root.set_attribute("icsweep_schema_version", kCellSchemaVersion);
    write_published_row(root, cell.row);
    root.set_attribute("constant_unrounded", cell.constant_unrounded);
    root.set_attribute("bias", cell.bias);
    root.set_attribute("flops_per_token", cell.flops_per_token);
    root.set_attribute("ic_unrounded_constant", cell.ic_unrounded_constant);
    root.set_attribute("flops_profile", cell.flops_profile);
    root.set_attribute("max_sample_length", cell.max_sample_length);
    root.set_attribute("total_scored_tokens", cell.total_scored_tokens);
    root.set_attribute("total_nll_bits", cell.total_nll_bits);
    root.set_attribute("samples_scored", cell.samples_scored);
    root.set_attribute("samples_skipped", cell.samples_skipped);
    root.set_attribute("status", cell.status);
    for (const auto& [key, value] : cell.attributes) root.set_attribute(key, value);

    write_samples(root, cell.samples);
    write_errors(root, cell.errors);
    if (cell.has_tokens) {
      const h5::Group tokens = root.create_group("tokens");
      tokens.write_column("nll_bits", cell.token_nll_bits);
      tokens.write_column("offsets", cell.token_offsets);
    }
  }
  return file.take_image();
}

std::string number_as_text(const h5::Group& root, const std::string& name) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.17g", root.double_attribute(name));
  return buffer;
}

// Root attributes: the published row, the scalars and the provenance strings.
void read_attributes(const h5::Group& root, CellResult* cell) {
  if (!root.has_attribute("icsweep_file_kind") || root.string_attribute("icsweep_file_kind") != "cell") {
    throw StoreError(root.file() + ": not an icsweep cell file (root attribute icsweep_file_kind != 'cell')");
  }
  for (const auto& column : published_columns()) {
    switch (column.kind) {
      case PublishedColumn::Kind::kString: cell->row.*column.string_field = root.string_attribute(column.name); break;
      case PublishedColumn::Kind::kInt: cell->row.*column.int_field = root.int64_attribute(column.name); break;
      case PublishedColumn::Kind::kDouble: cell->row.*column.double_field = root.double_attribute(column.name); break;
    }
  }
  cell->constant_unrounded = root.double_attribute("constant_unrounded");
  cell->bias = root.double_attribute("bias");
  cell->flops_per_token = root.double_attribute("flops_per_token");
  cell->ic_unrounded_constant = root.double_attribute("ic_unrounded_constant");
  cell->flops_profile = root.string_attribute("flops_profile");
  cell->max_sample_length = root.int64_attribute("max_sample_length");
  cell->total_scored_tokens = root.int64_attribute("total_scored_tokens");
  cell->total_nll_bits = root.double_attribute("total_nll_bits");
  cell->samples_scored = root.int64_attribute("samples_scored");
  cell->samples_skipped = root.int64_attribute("samples_skipped");
  cell->status = root.string_attribute("status");
  for (const std::string& name : root.attribute_names()) {
    if (reserved_attribute_names().count(name)) continue;
    cell->attributes[name] = root.attribute_is_string(name) ? root.string_attribute(name) : number_as_text(root, name);
  }
}

void check_length(const h5::Group& group, const std::string& name, size_t actual, size_t expected) {
  if (actual != expected) {
    throw StoreError(group.where(name) + ": column has " + std::to_string(actual) + " rows, expected " +
                     std::to_string(expected) + " like the other columns of the group");
  }
}

void read_samples(const h5::Group& root, CellResult* cell) {
  const h5::Group group = root.open_group("samples");
  const auto sample_index = group.read_int64_column("sample_index");
  const size_t n = sample_index.size();
  const auto text_bytes = group.read_int64_column("text_bytes");
  const auto n_tokens = group.read_int64_column("n_tokens");
  const auto text_bits = group.read_double_column("text_bits");
  const auto nll_bits = group.read_double_column("nll_bits");
  const auto text_bits_per_token = group.read_double_column("text_bits_per_token");
  const auto nll_bits_per_token = group.read_double_column("nll_bits_per_token");
  const auto status = group.read_int8_column("status");
  check_length(group, "text_bytes", text_bytes.size(), n);
  check_length(group, "n_tokens", n_tokens.size(), n);
  check_length(group, "text_bits", text_bits.size(), n);
  check_length(group, "nll_bits", nll_bits.size(), n);
  check_length(group, "text_bits_per_token", text_bits_per_token.size(), n);
  check_length(group, "nll_bits_per_token", nll_bits_per_token.size(), n);
  check_length(group, "status", status.size(), n);
  cell->samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    SampleRow& s = cell->samples[i];
    s.sample_index = sample_index[i];
    s.text_bytes = text_bytes[i];
    s.n_tokens = n_tokens[i];
    s.text_bits = text_bits[i];
    s.nll_bits = nll_bits[i];
    s.text_bits_per_token = text_bits_per_token[i];
    s.nll_bits_per_token = nll_bits_per_token[i];
    s.status = static_cast<SampleStatus>(status[i]);
  }
}

void read_errors(const h5::Group& root, CellResult* cell) {
  const h5::Group group = root.open_group("errors");
  const auto sample_index = group.read_int64_column("sample_index");
  const auto line = group.read_int64_column("line");
  const auto kind = group.read_string_column("kind");
  const auto message = group.read_string_column("message");
  const size_t n = sample_index.size();
  check_length(group, "line", line.size(), n);
  check_length(group, "kind", kind.size(), n);
  check_length(group, "message", message.size(), n);
  for (size_t i = 0; i < n; ++i) cell->errors.push_back({sample_index[i], line[i], kind[i], message[i]});
}

constexpr size_t kLongName = 100;  // bytes; cell file names stay far below NAME_MAX (255)

std::string stem_part(const std::string& name) {
  const bool plain = name.size() <= kLongName && name.find("__") == std::string::npos &&
                     name.find_first_of("%/") == std::string::npos && !name.empty() && name.front() != '_' &&
                     name.back() != '_' && name != "." && name != "..";
  if (plain) return name;
  std::string out;
  for (const char c : name) {
    if (c == '%') out += "%25";
    else if (c == '/') out += "%2F";
    else if (c == '_') out += "%5F";
    else if (c == '.' && (name == "." || name == "..")) out += "%2E";
    else out += c;
  }
  if (out.size() <= kLongName) return out;
  size_t cut = 80;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // a UTF-8 boundary
  while (cut > 0 && (out[cut - 1] == '%' || (cut > 1 && out[cut - 2] == '%'))) --cut;  // not inside %XX
  return out.substr(0, cut) + "~" + content_digest(name).substr(0, 16);
}

}  // namespace

std::string cell_stem(const std::string& model_name, const std::string& data_name) {
  return stem_part(model_name) + "__" + stem_part(data_name);
}

const char* sample_status_name(SampleStatus status) {
  switch (status) {
    case SampleStatus::kOk: return "ok";
    case SampleStatus::kTooShort: return "too_short";
    case SampleStatus::kBadRecord: return "bad_record";
    case SampleStatus::kFailed: return "failed";
  }
  return "unknown";
}

void write_cell_file(const std::string& path, const CellResult& cell) {
  check_consistent(path, cell);
  write_file_atomically(path, cell_file_image(path, cell));
}

CellResult read_cell_summary(const std::string& path) {
  const h5::File file = h5::File::open_read(path);
  CellResult cell;
  read_attributes(file.root(), &cell);
  return cell;
}

CellResult read_cell_file(const std::string& path) {
  const h5::File file = h5::File::open_read(path);
  const h5::Group root = file.root();
  CellResult cell;
  read_attributes(root, &cell);
  read_samples(root, &cell);
  read_errors(root, &cell);
  if (root.has("tokens")) {
    const h5::Group tokens = root.open_group("tokens");
    cell.has_tokens = true;
    cell.token_nll_bits = tokens.read_float_column("nll_bits");
    cell.token_offsets = tokens.read_int64_column("offsets");
  }
  return cell;
}

}  // namespace icsweep
