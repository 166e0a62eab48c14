// TLS settings of the beats input and the OpenSSL server context built from them. Everything that
// can be wrong with the certificate, key, CAs, protocols or ciphers is found here, at
// configuration time, and reported as a PluginConfigError naming the option, the file and the
// problem (`sluice -t` prints it). No Asio here: server.cpp wraps the context.
#pragma once

#include "sluice/plugin.hpp"

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::beats {

enum class ClientAuth { None, Optional, Required };

struct TlsSettings {
  bool enabled = false;
  std::string certificate;  // PEM; a chain is allowed (leaf first)
  std::string key;          // PEM: PKCS#8 (plain or encrypted), PKCS#1 RSA or SEC1 EC
  std::string key_passphrase;
  std::vector<std::string> certificate_authorities;
  ClientAuth client_auth = ClientAuth::None;
  std::vector<std::string> supported_protocols{"TLSv1.2", "TLSv1.3"};
  std::vector<std::string> cipher_suites;  // IANA names (as Logstash takes them); empty: OpenSSL's defaults
  int64_t handshake_timeout_ms = 10'000;
};

// Reads ssl_enabled / ssl, ssl_certificate, ssl_key, ssl_key_passphrase, ssl_certificate_authorities,
// ssl_client_authentication / ssl_verify_mode, ssl_supported_protocols, ssl_cipher_suites /
// cipher_suites, ssl_handshake_timeout with Logstash's rules (CAs with the client authentication
// left unset mean `required`; optional/required need CAs; CAs with an explicit `none` are an
// error). Throws PluginConfigError. Logs a warning when ssl_* options are set but TLS is off.
TlsSettings tls_settings_from_config(const PluginConfig& cfg);

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// Builds the server context: loads and checks the files (the key must match the certificate),
// sets the verify mode, protocol range and ciphers. Throws PluginConfigError.
SslCtxPtr make_server_context(const TlsSettings& s);

// The OpenSSL cipher name of an IANA/JDK suite name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ->
// ECDHE-RSA-AES128-GCM-SHA256); TLS 1.3 suites keep their name. Empty if unknown.
std::string openssl_cipher_name(const std::string& iana);

}  // namespace sluice::beats
