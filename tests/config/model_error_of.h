// The message of the ModelError a call throws ("" when it throws none), for tests that check what an
// error says.
#pragma once

#include <functional>
#include <string>

#include "core/common/errors.h"

namespace icsweep::testing {

inline std::string model_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

}  // namespace icsweep::testing
