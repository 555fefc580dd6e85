#include "driver/stop_files.h"

#include <sys/stat.h>

#include <cstdlib>

namespace icsweep {
namespace fs = std::filesystem;
namespace {

// (device, inode, modification time) of a file; empty when it does not exist.
std::string file_identity(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino) + ":" +
         std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
}

}  // namespace

StopFiles::StopFiles(const fs::path& output_dir) : files_{output_dir / kStopFileName} {
  if (const char* env = std::getenv("ICSWEEP_STOP_FILE"); env && *env) files_.emplace_back(env);
}

bool StopFiles::present() const {
  for (const auto& f : files_) {
    const std::string identity = file_identity(f);
    if (!identity.empty() && !(ignored_.count(f.string()) && ignored_.at(f.string()) == identity)) return true;
  }
  return false;
}

void StopFiles::remove_leftovers(std::ostream& log, EventLog& events) {
  for (const auto& f : files_) {
    std::error_code ec;
    if (fs::remove(f, ec)) {
      log << "removed " << f.string() << " left by an earlier stop request\n";
    } else if (ec && fs::exists(f)) {
      ignored_[f.string()] = file_identity(f);
      log << "warning: cannot remove " << f.string() << " left by an earlier stop request (" << ec.message()
          << "); ignoring it: only a new stop request stops this run. Remove it by hand\n";
      events.write("warning", {{"message", "cannot remove leftover stop file " + f.string()}});
    }
  }
}

}  // namespace icsweep
