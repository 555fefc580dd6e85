// The one place icsweep touches the HDF5 C API (docs/design.md §7: C APIs wrapped once). RAII handles,
// negative return codes turned into StoreError naming the file and the object path, with HDF5's own
// error stack text in the message instead of printed to stderr. Uses only calls common to HDF5
// 1.10 through 1.14. Serial HDF5 is not thread-safe: only rank 0's writer thread may use this.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace icsweep::h5 {

// Owns one hid_t and closes it with the function matching its kind.
class Handle {
 public:
  using CloseFn = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, CloseFn close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and returns the close call's status (errors while destroying are ignored).
  herr_t reset();

 private:
  hid_t id_ = -1;
  CloseFn close_ = nullptr;
};

// A group (or a file's root group) with the file path kept for error messages.
class Group {
 public:
  Group(Handle handle, std::string file, std::string path)
      : handle_(std::move(handle)), file_(std::move(file)), path_(std::move(path)) {}

  hid_t id() const { return handle_.get(); }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  // "FILE:/group/name": where an object lives, for messages.
  std::string where(const std::string& name = "") const;

  Group create_group(const std::string& name) const;
  Group open_group(const std::string& name) const;
  bool has(const std::string& name) const;  // a link of that name exists (not followed)

  // 1-D columns. Non-empty numeric columns are chunked, shuffled and deflated; empty ones are a
  // contiguous dataset of shape (0,), which h5py and pandas read as empty arrays.
  void write_column(const std::string& name, const std::vector<int8_t>& values) const;
  void write_column(const std::string& name, const std::vector<int64_t>& values) const;
  void write_column(const std::string& name, const std::vector<float>& values) const;
  void write_column(const std::string& name, const std::vector<double>& values) const;
  // Variable-length UTF-8 strings (h5py: bytes, `.asstr()` gives str).
  void write_column(const std::string& name, const std::vector<std::string>& values) const;

  // Reads a 1-D column converting to the requested type (HDF5 converts between numeric types).
  std::vector<int8_t> read_int8_column(const std::string& name) const;
  std::vector<int64_t> read_int64_column(const std::string& name) const;
  std::vector<float> read_float_column(const std::string& name) const;
  std::vector<double> read_double_column(const std::string& name) const;
  std::vector<std::string> read_string_column(const std::string& name) const;  // fixed or variable

  // Scalar attributes on this group; strings are variable-length UTF-8 (h5py reads them as str).
  void set_attribute(const std::string& name, const std::string& value) const;
  void set_attribute(const std::string& name, const char* value) const { set_attribute(name, std::string(value)); }
  void set_attribute(const std::string& name, double value) const;
  void set_attribute(const std::string& name, int64_t value) const;
  bool has_attribute(const std::string& name) const;
  std::vector<std::string> attribute_names() const;
  std::string string_attribute(const std::string& name) const;  // fixed or variable length
  double double_attribute(const std::string& name) const;
  int64_t int64_attribute(const std::string& name) const;
  // True when the attribute holds a string (as opposed to a number).
  bool attribute_is_string(const std::string& name) const;

  // Attribute on a dataset inside this group (e.g. status_names on /samples/status).
  void set_dataset_attribute(const std::string& dataset, const std::string& name, const std::string& value) const;
  std::string dataset_string_attribute(const std::string& dataset, const std::string& name) const;

  // NAME -> TARGET_FILE:TARGET_PATH. A relative TARGET_FILE is resolved by HDF5 against the
  // directory of the file holding the link, so index and cells can move together.
  void create_external_link(const std::string& name, const std::string& target_file,
                            const std::string& target_path) const;

 private:
  Handle open_dataset(const std::string& name) const;
  Handle open_attribute(hid_t object, const std::string& object_where, const std::string& name) const;
  void write_numeric(const std::string& name, hid_t file_type, hid_t memory_type, size_t count,
                     const void* data) const;
  void read_numeric(const std::string& name, hid_t memory_type, size_t element_size,
                    std::vector<uint8_t>* bytes, size_t* count) const;

  Handle handle_;
  std::string file_;
  std::string path_;
};

// An open HDF5 file. close() flushes and reports errors; the destructor closes silently.
class File {
 public:
  // A new file built in memory (HDF5's core driver, no backing store); NAME is only used in
  // messages. HDF5 itself never touches the disk while writing, so a full disk cannot leave it
  // with a half-closed file (HDF5 1.10 then crashes at exit): take_image() returns the bytes and
  // the caller writes them with plain POSIX calls. `size_hint` presizes the buffer.
  static File create_in_memory(const std::string& name, size_t size_hint);
  static File open_read(const std::string& path);  // read-only

  Group root() const;
  const std::string& path() const { return path_; }
  void close();  // throws StoreError if HDF5 cannot flush or close the file
  // For create_in_memory files: flushes, returns the complete file image and closes the file.
  std::vector<uint8_t> take_image();

 private:
  File(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  Handle handle_;
  std::string path_;
};

// Throws StoreError("WHAT: WHERE: <HDF5 error stack>") when status < 0; returns status otherwise.
int64_t check(int64_t status, const std::string& what, const std::string& where);

}  // namespace icsweep::h5
