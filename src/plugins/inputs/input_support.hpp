// Small helpers shared by the built-in inputs.
#pragma once

#include <string>

namespace sluice::inputs {

// This machine's host name (Socket.gethostname), or "localhost" if it cannot be read.
std::string host_name();

}  // namespace sluice::inputs
