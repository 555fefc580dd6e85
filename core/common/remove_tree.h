// remove_tree(path): `rm -rf`. Not std::filesystem::remove_all: pip's libtorch (2.x) exports its own
// copy of that symbol, which programs linked with it call instead of libstdc++'s, and it crashes.
#pragma once

#include <ftw.h>
#include <stdio.h>

#include <string>

namespace icsweep {

inline void remove_tree(const std::string& path) {
  auto remove_entry = [](const char* entry, const struct stat*, int, struct FTW*) -> int {
    ::remove(entry);  // files and (already emptied, FTW_DEPTH) directories
    return 0;
  };
  nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

}  // namespace icsweep
