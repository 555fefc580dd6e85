// results.h5: external links to every cell file, a (model, dataset, file) table, and sweep-level
// provenance on the root (docs/design.md §4).
#include <filesystem>
#include <set>
#include <sstream>

#include "core/common/errors.h"
#include "core/store/atomic_file.h"
#include "core/store/cell_file.h"
#include "core/store/hdf5_handles.h"

namespace icsweep {
namespace {

constexpr int64_t kIndexSchemaVersion = 1;

// The cell's stem (cell_stem: no '/', which HDF5 link names cannot hold); the true names stay in
// /cells_table.
std::string link_name(const IndexEntry& entry) { return cell_stem(entry.model_name, entry.data_name); }

std::vector<uint8_t> index_file_image(const std::string& path, const std::vector<IndexEntry>& entries,
                                      const std::map<std::string, std::string>& attributes) {
  h5::File file = h5::File::create_in_memory(path, 0);
  {
    const h5::Group root = file.root();
    root.set_attribute("icsweep_file_kind", "index");
    root.set_attribute("icsweep_schema_version", kIndexSchemaVersion);
    for (const auto& [key, value] : attributes) root.set_attribute(key, value);

    const h5::Group cells = root.create_group("cells");
    std::vector<std::string> model_names, data_names, files;
    for (const IndexEntry& entry : entries) {
      cells.create_external_link(link_name(entry), entry.cell_file, "/");
      model_names.push_back(entry.model_name);
      data_names.push_back(entry.data_name);
      files.push_back(entry.cell_file);
    }
    const h5::Group table = root.create_group("cells_table");
    table.write_column("model_name", model_names);
    table.write_column("data_name", data_names);
    table.write_column("file", files);
  }
  return file.take_image();
}

}  // namespace

void write_index_file(const std::string& path, const std::vector<IndexEntry>& entries,
                      const std::map<std::string, std::string>& attributes) {
  std::set<std::string> links;
  for (const IndexEntry& entry : entries) {
    if (!links.insert(link_name(entry)).second) {
      throw StoreError("cannot write " + path + ": two cells map to the link name /cells/" + link_name(entry) +
                       " (model and dataset names must be unique after replacing '/' by '_')");
    }
    if (entry.cell_file.empty() || std::filesystem::path(entry.cell_file).is_absolute()) {
      throw StoreError("cannot write " + path + ": cell file of " + entry.model_name + " x " + entry.data_name +
                       " must be a path relative to the index's directory, got '" + entry.cell_file + "'");
    }
  }
  for (const auto& [key, value] : attributes) {
    if (key == "icsweep_file_kind" || key == "icsweep_schema_version" || key.empty() ||
        key.find('/') != std::string::npos) {
      throw StoreError("cannot write " + path + ": attribute name '" + key + "' is reserved or invalid");
    }
  }
  write_file_atomically(path, index_file_image(path, entries, attributes));
}

bool is_index_file(const std::string& path) {
  const h5::File file = h5::File::open_read(path);
  const h5::Group root = file.root();
  if (root.has_attribute("icsweep_file_kind")) return root.string_attribute("icsweep_file_kind") == "index";
  return root.has("cells_table");
}

std::vector<IndexEntry> read_index_file(const std::string& path) {
  if (!is_index_file(path)) {
    throw StoreError(path + ": not an icsweep index file (no /cells_table; is it a cell file?)");
  }
  const h5::File file = h5::File::open_read(path);
  const h5::Group table = file.root().open_group("cells_table");
  const auto model_names = table.read_string_column("model_name");
  const auto data_names = table.read_string_column("data_name");
  const auto files = table.read_string_column("file");
  if (data_names.size() != model_names.size() || files.size() != model_names.size()) {
    throw StoreError(table.where() + ": columns model_name, data_name, file differ in length");
  }
  const std::filesystem::path directory = std::filesystem::path(path).parent_path();
  std::vector<IndexEntry> entries;
  for (size_t i = 0; i < model_names.size(); ++i) {
    const std::filesystem::path cell = std::filesystem::path(files[i]);
    const std::string resolved = cell.is_absolute() ? cell.string() : (directory / cell).lexically_normal().string();
    entries.push_back({model_names[i], data_names[i], resolved});
  }
  return entries;
}

std::vector<std::string> index_pending_cells(const std::string& path) {
  const h5::File file = h5::File::open_read(path);
  if (!file.root().has_attribute("cells_pending")) return {};
  std::vector<std::string> cells;
  std::stringstream lines(file.root().string_attribute("cells_pending"));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) cells.push_back(line);
  return cells;
}

}  // namespace icsweep
