// Cell HDF5 files and the results.h5 index (docs/design.md §4).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/store/cell_result.h"

namespace icsweep {

// "<model>__<dataset>": the stem of the cell's file and its link name in the index, unambiguous for
// any names. A name containing "__", '%' or '/', starting or ending with '_', or longer than 100 bytes
// is written with '%', '/' and '_' percent-encoded (so the stem's only "__" separates the two), then,
// if still too long for a file name, cut to 80 bytes plus "~" and 16 hex digits of its digest. Other
// names (nearly all) appear as they are.
std::string cell_stem(const std::string& model_name, const std::string& data_name);

// Writes PATH atomically: PATH.tmp-<pid>, fsync, rename, fsync of the directory. Never modifies an
// existing file in place. Throws StoreError naming the file and the HDF5 object.
void write_cell_file(const std::string& path, const CellResult& cell);

// Reads a cell file back (everything write_cell_file writes). Root attributes that are not
// result fields come back in `attributes` (numbers as "%.17g" text).
CellResult read_cell_file(const std::string& path);

// Only the root attributes (published row, scalars, provenance): samples, errors and tokens empty.
CellResult read_cell_summary(const std::string& path);

// True when PATH is an index file (results.h5) rather than a cell file.
bool is_index_file(const std::string& path);

struct IndexEntry {
  std::string model_name;
  std::string data_name;
  std::string cell_file;  // path relative to the index file's directory
};

// (Re)writes the index results.h5 atomically: a group /cells/<model>__<dataset> per entry as an
// external link to the cell file's root, a /cells_table of (model_name, data_name, file), and
// sweep-level provenance attributes on the root.
void write_index_file(const std::string& path, const std::vector<IndexEntry>& entries,
                      const std::map<std::string, std::string>& attributes);

// Entries of an index file (cell_file resolved to a path usable from the current directory).
std::vector<IndexEntry> read_index_file(const std::string& path);

// The cells the sweep planned that had no file when the index was written ("MODEL x DATASET" each;
// empty for an index written before it was recorded, or by icsweep merge).
std::vector<std::string> index_pending_cells(const std::string& path);

}  // namespace icsweep
