// The monitoring API's settings as Logstash checks them: api.ssl.* needs a keystore that exists and
// its password, api.auth.type: basic needs a username and a password that passes
// api.auth.basic.password_policy.* (Logstash's ValidatedPasswordSetting: WARN logs, ERROR fails),
// settings without effect are warned about, and with TLS and basic auth the host defaults to
// 0.0.0.0. Passwords are never repeated in messages.
#include <algorithm>
#include <cstring>

#include "settings/internal.hpp"

namespace sluice::settings::detail {
namespace {

// The password policy check of Logstash's ValidatedPasswordSetting; "" when the password passes.
std::string password_problems(const std::string& password, int64_t min_length, const Settings& s) {
  std::vector<std::string> reasons;
  if (password.empty()) reasons.push_back("must not be empty");
  auto required = [&](const char* which) {
    return get_text(s, std::string("api.auth.basic.password_policy.include.") + which) == "REQUIRED";
  };
  auto any = [&](auto pred) { return std::any_of(password.begin(), password.end(), pred); };
  if (required("digit") && !any([](char c) { return c >= '0' && c <= '9'; })) {
    reasons.push_back("must contain at least one digit between 0 and 9");
  }
  if (required("lower") && !any([](char c) { return c >= 'a' && c <= 'z'; })) {
    reasons.push_back("must contain at least one lower case");
  }
  if (required("upper") && !any([](char c) { return c >= 'A' && c <= 'Z'; })) {
    reasons.push_back("must contain at least one upper case");
  }
  if (required("symbol") &&
      !any([](char c) { return std::strchr("~!@#$%^&*()_+|<>?:{}", c) != nullptr && c != 0; })) {
    reasons.push_back("must contain at least one special character");
  }
  std::size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (password.empty() || static_cast<int64_t>(chars) < min_length) {
    reasons.push_back("must be length of between " + std::to_string(min_length) + " and 1024");
  }
  std::string out;
  for (std::size_t k = 0; k < reasons.size(); ++k) out += (k ? ", " : "") + reasons[k];
  return out;
}

}  // namespace

bool resolve_api(const Settings& s, Sink* sink, NodeSettings* out, std::string* error) {
  api::ApiSettings& api = out->api;
  api.enabled = get_bool(s, "api.enabled");
  api.host = get_text(s, "api.http.host");
  std::string ports = get_text(s, "api.http.port");
  parse_port_range(ports, &api.port_first, &api.port_last);
  api.environment = get_text(s, "api.environment");
  api.auth_type = get_text(s, "api.auth.type");
  api.auth_basic_username = get_text(s, "api.auth.basic.username");
  api.auth_basic_password = get_text(s, "api.auth.basic.password");
  api.ssl_enabled = get_bool(s, "api.ssl.enabled");
  api.ssl_keystore_path = get_text(s, "api.ssl.keystore.path");
  api.ssl_keystore_password = get_text(s, "api.ssl.keystore.password");
  api.ssl_supported_protocols = lookup(s, "api.ssl.supported_protocols").list;

  auto origin_of = [&](const char* name) {
    auto it = s.find(name);
    return it == s.end() ? std::string() : it->second.origin.suffix();
  };
  auto required = [&](const char* name, const char* trigger, const char* value) {
    if (is_set(s, name) && !get_text(s, name).empty()) return true;
    *error = std::string("Setting `") + name + "` is required when `" + trigger + "` is set to `" + value +
             "`. Please provide it in your `logstash.yml`";
    return false;
  };
  auto warn_ignored = [&](const std::string& prefix, const char* trigger, const std::string& value) {
    for (const auto& [name, entry] : s) {
      if (name.rfind(prefix, 0) != 0 || name == trigger) continue;
      sink->warn_once("api-ignored:" + name, "Setting `" + name + "` is ignored because `" + trigger +
                                                 "` is set to `" + value + "`" + entry.origin.suffix());
    }
  };

  if (!api.ssl_keystore_path.empty() && !exists(api.ssl_keystore_path)) {
    *error = "File \"" + api.ssl_keystore_path + "\" must exist but was not found. (api.ssl.keystore.path" +
             origin_of("api.ssl.keystore.path") + ")";
    return false;
  }
  if (api.ssl_enabled) {
    if (!required("api.ssl.keystore.path", "api.ssl.enabled", "true")) return false;
    if (!required("api.ssl.keystore.password", "api.ssl.enabled", "true")) return false;
  } else {
    warn_ignored("api.ssl.", "api.ssl.enabled", "false");
  }
  if (api.auth_type == "basic") {
    if (!required("api.auth.basic.username", "api.auth.type", "basic")) return false;
    if (!required("api.auth.basic.password", "api.auth.type", "basic")) return false;
    int64_t min_length = get_int(s, "api.auth.basic.password_policy.length.minimum");
    if (min_length < 8 || min_length > 1024) {
      *error = "api.auth.basic.password_policy.length.minimum has to be between 8 and 1024." +
               origin_of("api.auth.basic.password_policy.length.minimum");
      return false;
    }
    std::string problems = password_problems(api.auth_basic_password, min_length, s);
    if (!problems.empty()) {
      std::string message = "Password " + problems + "." + origin_of("api.auth.basic.password");
      if (get_text(s, "api.auth.basic.password_policy.mode") == "ERROR") {
        *error = message;
        return false;
      }
      sink->warn_once("password-policy", message);
    }
  } else {
    warn_ignored("api.auth.basic.", "api.auth.type", api.auth_type);
  }
  if (!is_set(s, "api.http.host") && api.ssl_enabled && api.auth_type == "basic") {
    api.host = "0.0.0.0";
    out->infos.push_back(
        "API configured securely with SSL and Basic Auth. Defaulting `api.http.host` to all available "
        "interfaces");
  }
  return true;
}

}  // namespace sluice::settings::detail
