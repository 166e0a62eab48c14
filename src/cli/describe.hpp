// `--list-plugins` and `--describe-plugin`: the plugin schemas as text. The schema is the
// documentation: these tables are generated from it.
#pragma once

#include "sluice/registry.hpp"

#include <string>

namespace sluice::cli {

std::string list_plugins(const Registry& r);

// NAME, or KIND/NAME to pick one of several plugins with the same name (json is a filter and a
// codec; without a kind every match is shown). Returns false and sets *error for an unknown name.
bool describe_plugin(const Registry& r, const std::string& name, std::string* out, std::string* error);

}  // namespace sluice::cli
