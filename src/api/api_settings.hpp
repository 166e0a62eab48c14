// What the monitoring API server takes from the settings: Logstash's api.* settings. A plain struct
// in the API's own folder, so that the API needs nothing from src/settings/: settings::resolve()
// fills and checks it (src/settings/api.cpp) and the agent hands it to ApiServer.
#pragma once

#include <string>
#include <vector>

namespace sluice::api {

struct ApiSettings {
  bool enabled = true;
  std::string host = "127.0.0.1";
  int port_first = 9600;  // api.http.port "9600-9700" or a single port
  int port_last = 9700;
  std::string environment = "production";
  // api.auth.* and api.ssl.*: parsed and validated by the settings, enforced by the API server.
  std::string auth_type = "none";  // none | basic
  std::string auth_basic_username;
  std::string auth_basic_password;
  bool ssl_enabled = false;
  std::string ssl_keystore_path;
  std::string ssl_keystore_password;
  std::vector<std::string> ssl_supported_protocols;  // api.ssl.supported_protocols (empty: the library's defaults)
  // resolve() already checked: basic auth has a username and a password that passes
  // api.auth.basic.password_policy.* (mode ERROR fails, WARN warns); SSL has a keystore path that
  // exists and a password. With SSL and basic auth and no explicit api.http.host, host is 0.0.0.0.
};

}  // namespace sluice::api

namespace sluice::settings {
// The name the struct had when it lived in src/settings/; code outside the API folder's headers
// (server.cpp, the API tests) still uses it.
using ApiSettings = api::ApiSettings;
}  // namespace sluice::settings
