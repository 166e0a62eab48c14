// The beats input plugin object: validated options -> server settings, TLS context, event
// transform settings. The option schema lives in src/plugins/inputs/beats.cpp.
#pragma once

#include "sluice/plugin.hpp"

#include <memory>

namespace sluice::beats {

// Builds the input from its validated options. Everything checkable before start (TLS files, key
// matching the certificate, protocol and cipher names, option combinations) is checked here and
// reported as PluginConfigError; binding the port happens in start().
std::unique_ptr<Input> make_beats_input(const PluginConfig& cfg);

}  // namespace sluice::beats
