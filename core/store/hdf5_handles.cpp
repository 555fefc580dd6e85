#include "core/store/hdf5_handles.h"

#include <algorithm>
#include <cstring>

#include "core/common/errors.h"

namespace icsweep::h5 {
namespace {

// Columns are chunked in pieces of this many elements (512 KiB of doubles): large enough for good
// deflate ratios, small enough that pandas reading a slice does not decompress the whole column.
constexpr hsize_t kChunkElements = 1 << 16;
constexpr unsigned kDeflateLevel = 4;

// HDF5 prints its error stack to stderr by default; icsweep puts it into the exception instead.
void silence_automatic_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

herr_t collect_error(unsigned depth, const H5E_error2_t* error, void* out) {
  auto* text = static_cast<std::string*>(out);
  if (depth >= 4) return 0;  // the innermost frames say what happened; the rest is call chain
  char minor[160] = {0};
  H5Eget_msg(error->min_num, nullptr, minor, sizeof(minor));
  if (!text->empty()) *text += "; ";
  *text += error->desc ? error->desc : "";
  if (minor[0]) *text += std::string(" (") + minor + ")";
  return 0;
}

std::string take_error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}

Handle make_utf8_string_type(size_t size) {
  Handle type(check(H5Tcopy(H5T_C_S1), "copying string type", "(memory)"), H5Tclose);
  check(H5Tset_size(type.get(), size), "setting string size", "(memory)");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "setting UTF-8", "(memory)");
  return type;
}

// Strings are stored as UTF-8 (h5py decodes them strictly), but error messages can quote invalid
// input: every invalid byte sequence becomes U+FFFD, as Python's errors="replace" would do.
std::string to_valid_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char lead = bytes[i];
    size_t length = 0;
    unsigned char min_second = 0x80, max_second = 0xBF;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) min_second = 0xA0;
      if (lead == 0xED) max_second = 0x9F;  // no UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) min_second = 0x90;
      if (lead == 0xF4) max_second = 0x8F;
    }
    size_t valid = length ? 1 : 0;
    while (valid && valid < length && i + valid < n) {
      const unsigned char c = bytes[i + valid];
      const unsigned char lo = valid == 1 ? min_second : 0x80, hi = valid == 1 ? max_second : 0xBF;
      if (c < lo || c > hi) break;
      ++valid;
    }
    if (length && valid == length) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      i += std::max<size_t>(valid, 1);
    }
  }
  return out;
}

std::string join_path(const std::string& group, const std::string& name) {
  if (name.empty()) return group;
  return group == "/" ? "/" + name : group + "/" + name;
}

// Reads a string-typed attribute or dataset (variable or fixed length) through `read`.
template <typename ReadFn>
std::vector<std::string> read_strings(hid_t file_type, size_t count, const std::string& where, ReadFn read) {
  std::vector<std::string> out;
  out.reserve(count);
  if (H5Tget_class(file_type) != H5T_STRING) throw StoreError(where + ": expected a string, found another type");
  const htri_t variable = check(H5Tis_variable_str(file_type), "inspecting string type", where);
  if (variable) {
    Handle memory_type = make_utf8_string_type(H5T_VARIABLE);
    std::vector<char*> pointers(count, nullptr);
    if (count) check(read(memory_type.get(), pointers.data()), "reading strings", where);
    for (char* p : pointers) {
      out.emplace_back(p ? p : "");
      if (p) H5free_memory(p);
    }
    return out;
  }
  const size_t size = H5Tget_size(file_type);
  Handle memory_type = make_utf8_string_type(size);
  H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD);
  std::vector<char> buffer(count * size + 1, '\0');
  if (count) check(read(memory_type.get(), buffer.data()), "reading strings", where);
  for (size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    out.emplace_back(begin, strnlen(begin, size));
  }
  return out;
}

}  // namespace

int64_t check(int64_t status, const std::string& what, const std::string& where) {
  if (status >= 0) return status;
  const std::string stack = take_error_stack();
  throw StoreError("HDF5 error " + what + ": " + where + (stack.empty() ? "" : ": " + stack));
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

herr_t Handle::reset() {
  herr_t status = 0;
  if (id_ >= 0 && close_) status = close_(id_);
  id_ = -1;
  return status;
}

std::string Group::where(const std::string& name) const { return file_ + ":" + join_path(path_, name); }

Group Group::create_group(const std::string& name) const {
  Handle group(check(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     "creating group", where(name)), H5Gclose);
  return Group(std::move(group), file_, join_path(path_, name));
}

Group Group::open_group(const std::string& name) const {
  Handle group(check(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "opening group", where(name)), H5Gclose);
  return Group(std::move(group), file_, join_path(path_, name));
}

bool Group::has(const std::string& name) const {
  return check(H5Lexists(id(), name.c_str(), H5P_DEFAULT), "looking up", where(name)) > 0;
}

void Group::write_numeric(const std::string& name, hid_t file_type, hid_t memory_type, size_t count,
                          const void* data) const {
  const hsize_t dims[1] = {count};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "creating dataspace", where(name)), H5Sclose);
  Handle create_props(check(H5Pcreate(H5P_DATASET_CREATE), "creating properties", where(name)), H5Pclose);
  if (count > 0) {
    const hsize_t chunk[1] = {std::min<hsize_t>(count, kChunkElements)};
    check(H5Pset_chunk(create_props.get(), 1, chunk), "setting chunking", where(name));
    check(H5Pset_shuffle(create_props.get()), "setting shuffle", where(name));
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
      check(H5Pset_deflate(create_props.get(), kDeflateLevel), "setting deflate", where(name));
    }
  }
  Handle dataset(check(H5Dcreate2(id(), name.c_str(), file_type, space.get(), H5P_DEFAULT, create_props.get(),
                                  H5P_DEFAULT), "creating dataset", where(name)), H5Dclose);
  if (count > 0) {
    check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing dataset", where(name));
  }
  check(dataset.reset(), "closing dataset", where(name));
}

void Group::write_column(const std::string& name, const std::vector<int8_t>& values) const {
  write_numeric(name, H5T_STD_I8LE, H5T_NATIVE_INT8, values.size(), values.data());
}
void Group::write_column(const std::string& name, const std::vector<int64_t>& values) const {
  write_numeric(name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.size(), values.data());
}
void Group::write_column(const std::string& name, const std::vector<float>& values) const {
  write_numeric(name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values.size(), values.data());
}
void Group::write_column(const std::string& name, const std::vector<double>& values) const {
  write_numeric(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.size(), values.data());
}

void Group::write_column(const std::string& name, const std::vector<std::string>& values) const {
  Handle type = make_utf8_string_type(H5T_VARIABLE);
  const hsize_t dims[1] = {values.size()};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "creating dataspace", where(name)), H5Sclose);
  Handle dataset(check(H5Dcreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT), "creating dataset", where(name)), H5Dclose);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  std::vector<std::string> valid;
  valid.reserve(values.size());
  for (const auto& value : values) valid.push_back(to_valid_utf8(value));
  for (const auto& value : valid) pointers.push_back(value.c_str());
  if (!values.empty()) {
    check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
          "writing dataset", where(name));
  }
  check(dataset.reset(), "closing dataset", where(name));
}

Handle Group::open_dataset(const std::string& name) const {
  return Handle(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening dataset", where(name)), H5Dclose);
}

void Group::read_numeric(const std::string& name, hid_t memory_type, size_t element_size,
                         std::vector<uint8_t>* bytes, size_t* count) const {
  Handle dataset = open_dataset(name);
  Handle space(check(H5Dget_space(dataset.get()), "reading dataspace", where(name)), H5Sclose);
  const int rank = static_cast<int>(check(H5Sget_simple_extent_ndims(space.get()), "reading rank", where(name)));
  if (rank != 1) throw StoreError(where(name) + ": expected a 1-D column, found rank " + std::to_string(rank));
  hsize_t dims[1] = {0};
  check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), "reading dims", where(name));
  *count = dims[0];
  bytes->assign(*count * element_size, 0);
  if (*count > 0) {
    check(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes->data()),
          "reading dataset", where(name));
  }
}

template <typename T>
static std::vector<T> bytes_to_vector(const std::vector<uint8_t>& bytes, size_t count) {
  std::vector<T> out(count);
  if (count) std::memcpy(out.data(), bytes.data(), count * sizeof(T));
  return out;
}

std::vector<int8_t> Group::read_int8_column(const std::string& name) const {
  std::vector<uint8_t> bytes;
  size_t count = 0;
  read_numeric(name, H5T_NATIVE_INT8, sizeof(int8_t), &bytes, &count);
  return bytes_to_vector<int8_t>(bytes, count);
}
std::vector<int64_t> Group::read_int64_column(const std::string& name) const {
  std::vector<uint8_t> bytes;
  size_t count = 0;
  read_numeric(name, H5T_NATIVE_INT64, sizeof(int64_t), &bytes, &count);
  return bytes_to_vector<int64_t>(bytes, count);
}
std::vector<float> Group::read_float_column(const std::string& name) const {
  std::vector<uint8_t> bytes;
  size_t count = 0;
  read_numeric(name, H5T_NATIVE_FLOAT, sizeof(float), &bytes, &count);
  return bytes_to_vector<float>(bytes, count);
}
std::vector<double> Group::read_double_column(const std::string& name) const {
  std::vector<uint8_t> bytes;
  size_t count = 0;
  read_numeric(name, H5T_NATIVE_DOUBLE, sizeof(double), &bytes, &count);
  return bytes_to_vector<double>(bytes, count);
}

std::vector<std::string> Group::read_string_column(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle space(check(H5Dget_space(dataset.get()), "reading dataspace", where(name)), H5Sclose);
  const auto count = static_cast<size_t>(
      check(H5Sget_simple_extent_npoints(space.get()), "reading size", where(name)));
  Handle file_type(check(H5Dget_type(dataset.get()), "reading type", where(name)), H5Tclose);
  return read_strings(file_type.get(), count, where(name), [&](hid_t memory_type, void* buffer) {
    return H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
}

namespace {

void write_attribute(hid_t object, const std::string& object_where, const std::string& name, hid_t type,
                     const void* data) {
  const std::string where = object_where + "@" + name;
  if (check(H5Aexists(object, name.c_str()), "looking up attribute", where) > 0) {
    check(H5Adelete(object, name.c_str()), "replacing attribute", where);
  }
  Handle space(check(H5Screate(H5S_SCALAR), "creating dataspace", where), H5Sclose);
  Handle attribute(check(H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         "creating attribute", where), H5Aclose);
  check(H5Awrite(attribute.get(), type, data), "writing attribute", where);
}

void write_string_attribute(hid_t object, const std::string& object_where, const std::string& name,
                            const std::string& value) {
  Handle type = make_utf8_string_type(H5T_VARIABLE);
  const std::string valid = to_valid_utf8(value);
  const char* pointer = valid.c_str();
  write_attribute(object, object_where, name, type.get(), &pointer);
}

}  // namespace

void Group::set_attribute(const std::string& name, const std::string& value) const {
  write_string_attribute(id(), where(), name, value);
}
void Group::set_attribute(const std::string& name, double value) const {
  write_attribute(id(), where(), name, H5T_NATIVE_DOUBLE, &value);
}
void Group::set_attribute(const std::string& name, int64_t value) const {
  write_attribute(id(), where(), name, H5T_NATIVE_INT64, &value);
}

bool Group::has_attribute(const std::string& name) const {
  return check(H5Aexists(id(), name.c_str()), "looking up attribute", where() + "@" + name) > 0;
}

std::vector<std::string> Group::attribute_names() const {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  check(H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names), "listing attributes", where());
  return names;
}

Handle Group::open_attribute(hid_t object, const std::string& object_where, const std::string& name) const {
  const std::string where = object_where + "@" + name;
  Handle attribute(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "opening attribute", where), H5Aclose);
  Handle space(check(H5Aget_space(attribute.get()), "reading dataspace", where), H5Sclose);
  if (check(H5Sget_simple_extent_npoints(space.get()), "reading size", where) != 1) {
    throw StoreError(where + ": expected a scalar attribute");
  }
  return attribute;
}

bool Group::attribute_is_string(const std::string& name) const {
  Handle attribute = open_attribute(id(), where(), name);
  Handle type(check(H5Aget_type(attribute.get()), "reading type", where() + "@" + name), H5Tclose);
  return H5Tget_class(type.get()) == H5T_STRING;
}

static std::string read_string_attribute(hid_t attribute, const std::string& where) {
  Handle type(check(H5Aget_type(attribute), "reading type", where), H5Tclose);
  return read_strings(type.get(), 1, where, [&](hid_t memory_type, void* buffer) {
    return H5Aread(attribute, memory_type, buffer);
  })[0];
}

std::string Group::string_attribute(const std::string& name) const {
  Handle attribute = open_attribute(id(), where(), name);
  return read_string_attribute(attribute.get(), where() + "@" + name);
}

double Group::double_attribute(const std::string& name) const {
  Handle attribute = open_attribute(id(), where(), name);
  double value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), "reading attribute", where() + "@" + name);
  return value;
}

int64_t Group::int64_attribute(const std::string& name) const {
  Handle attribute = open_attribute(id(), where(), name);
  int64_t value = 0;
  check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "reading attribute", where() + "@" + name);
  return value;
}

void Group::set_dataset_attribute(const std::string& dataset, const std::string& name,
                                  const std::string& value) const {
  Handle handle = open_dataset(dataset);
  write_string_attribute(handle.get(), where(dataset), name, value);
}

std::string Group::dataset_string_attribute(const std::string& dataset, const std::string& name) const {
  Handle handle = open_dataset(dataset);
  Handle attribute = open_attribute(handle.get(), where(dataset), name);
  return read_string_attribute(attribute.get(), where(dataset) + "@" + name);
}

void Group::create_external_link(const std::string& name, const std::string& target_file,
                                 const std::string& target_path) const {
  check(H5Lcreate_external(target_file.c_str(), target_path.c_str(), id(), name.c_str(), H5P_DEFAULT,
                           H5P_DEFAULT), "creating external link to " + target_file, where(name));
}

static Handle file_access_properties(const std::string& path) {
  Handle access(check(H5Pcreate(H5P_FILE_ACCESS), "creating properties", path), H5Pclose);
  // Closing the file closes every object still open in it, so close() flushes everything.
  check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "setting close degree", path);
#if H5_VERSION_GE(1, 10, 7)
  // Cluster file systems often lack flock(); results files are never shared while being written
  // (temp name + rename), so locking is used where available and skipped where not.
  check(H5Pset_file_locking(access.get(), true, true), "setting file locking", path);
#endif
  return access;
}

File File::create_in_memory(const std::string& name, size_t size_hint) {
  silence_automatic_error_printing();
  Handle access = file_access_properties(name);
  // One allocation of about the final size instead of many reallocations of a growing image.
  const size_t increment = std::max<size_t>(size_t{1} << 20, size_hint);
  check(H5Pset_fapl_core(access.get(), increment, false), "selecting the in-memory driver", name);
  Handle file(check(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "creating file", name),
              H5Fclose);
  return File(std::move(file), name);
}

File File::open_read(const std::string& path) {
  silence_automatic_error_printing();
  Handle access = file_access_properties(path);
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 == 0) throw StoreError(path + ": not an HDF5 file");
  Handle file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get()), "opening file", path), H5Fclose);
  return File(std::move(file), path);
}

Group File::root() const {
  Handle group(check(H5Gopen2(handle_.get(), "/", H5P_DEFAULT), "opening root group", path_), H5Gclose);
  return Group(std::move(group), path_, "/");
}

void File::close() { check(handle_.reset(), "closing (flushing) file", path_); }

std::vector<uint8_t> File::take_image() {
  check(H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL), "flushing file", path_);
  const ssize_t size = H5Fget_file_image(handle_.get(), nullptr, 0);
  check(size, "measuring file image", path_);
  std::vector<uint8_t> image(static_cast<size_t>(size));
  check(H5Fget_file_image(handle_.get(), image.data(), image.size()), "copying file image", path_);
  close();
  return image;
}

}  // namespace icsweep::h5
