#include "plugins/inputs/beats/tls.hpp"

#include "sluice/log.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::beats {
namespace {

// The most specific OpenSSL error of the queue (cleared), or `fallback`.
std::string openssl_error(std::string_view fallback = "unknown error") {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (!last) return std::string(fallback);
  const char* reason = ERR_reason_error_string(last);
  return reason ? reason : std::string(fallback);
}

[[noreturn]] void fail(const std::string& option, const std::string& message) {
  throw PluginConfigError(option, message);
}

std::string read_file(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(option, option + ": cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> mem_bio(const std::string& data) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

int passphrase_cb(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (!pass || pass->empty()) return -1;  // an encrypted key without a passphrase: fail, never prompt
  const int n = std::min<int>(size, static_cast<int>(pass->size()));
  std::memcpy(buf, pass->data(), static_cast<size_t>(n));
  return n;
}

// Loads every certificate of a PEM file; throws if there is none.
std::vector<std::unique_ptr<X509, X509Deleter>> load_certs(const std::string& option, const std::string& path) {
  const std::string pem = read_file(option, path);
  auto bio = mem_bio(pem);
  std::vector<std::unique_ptr<X509, X509Deleter>> certs;
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the end-of-file "no start line" after the last certificate
  if (certs.empty()) fail(option, option + ": '" + path + "' contains no PEM certificate");
  return certs;
}

bool explicitly_set(const PluginConfig& cfg, std::string_view name) {
  const ConfigValue* v = cfg.get(name);
  return v && v->loc.line != 0;
}

const char* first_set(const PluginConfig& cfg, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (cfg.has(n)) return n;
  return nullptr;
}

int protocol_version(const std::string& p) {
  if (p == "TLSv1.1") return TLS1_1_VERSION;
  if (p == "TLSv1.2") return TLS1_2_VERSION;
  if (p == "TLSv1.3") return TLS1_3_VERSION;
  return 0;
}

}  // namespace

void SslCtxDeleter::operator()(SSL_CTX* c) const { SSL_CTX_free(c); }

TlsSettings tls_settings_from_config(const PluginConfig& cfg) {
  TlsSettings s;
  // ssl_enabled (7.x+ spelling) wins over the legacy `ssl`.
  if (explicitly_set(cfg, "ssl_enabled") || !cfg.has("ssl")) {
    s.enabled = cfg.has("ssl_enabled") && cfg.boolean("ssl_enabled");
  } else {
    s.enabled = cfg.boolean("ssl");
  }
  s.certificate = cfg.string_or("ssl_certificate", "");
  s.key = cfg.string_or("ssl_key", "");
  s.key_passphrase = cfg.string_or("ssl_key_passphrase", "");
  if (cfg.has("ssl_certificate_authorities")) s.certificate_authorities = cfg.strings("ssl_certificate_authorities");
  if (cfg.has("ssl_handshake_timeout")) s.handshake_timeout_ms = cfg.integer("ssl_handshake_timeout");

  if (!s.enabled) {
    std::vector<std::string> unused;
    for (const char* o : {"ssl_certificate", "ssl_key", "ssl_key_passphrase", "ssl_certificate_authorities",
                          "ssl_client_authentication", "ssl_verify_mode", "ssl_supported_protocols",
                          "ssl_cipher_suites", "cipher_suites", "ssl_handshake_timeout"}) {
      if (explicitly_set(cfg, o)) unused.push_back(o);
    }
    if (!unused.empty()) {
      std::string list;
      for (const auto& u : unused) list += (list.empty() ? "" : ", ") + u;
      log::write(log::Level::Warn, "logstash.inputs.beats",
                 "Configured SSL settings are not used when `ssl_enabled` is set to `false`: [" + list + "]",
                 cfg.pipeline_id, cfg.id);
    }
    return s;
  }

  if (s.certificate.empty()) fail("ssl_certificate", "ssl_certificate is required when SSL is enabled");
  if (s.key.empty()) fail("ssl_key", "ssl_key is required when SSL is enabled");
  if (s.handshake_timeout_ms <= 0) fail("ssl_handshake_timeout", "ssl_handshake_timeout must be a positive number of milliseconds");

  // Client authentication: ssl_client_authentication (none/optional/required) or the legacy
  // ssl_verify_mode (none/peer/force_peer).
  const char* auth_opt = nullptr;
  std::string auth;
  if (explicitly_set(cfg, "ssl_client_authentication")) {
    auth_opt = "ssl_client_authentication";
    auth = cfg.string(auth_opt);
  } else if (explicitly_set(cfg, "ssl_verify_mode")) {
    auth_opt = "ssl_verify_mode";
    auth = cfg.string(auth_opt);
  }
  if (auth == "peer") auth = "optional";
  if (auth == "force_peer") auth = "required";
  const bool have_cas = !s.certificate_authorities.empty();
  if (!auth_opt) {
    s.client_auth = have_cas ? ClientAuth::Required : ClientAuth::None;
  } else if (auth == "none") {
    if (have_cas)
      fail(auth_opt, std::string("ssl_certificate_authorities cannot be used when ") + auth_opt +
                         " is set to none; remove them or require client certificates");
    s.client_auth = ClientAuth::None;
  } else if (auth == "optional" || auth == "required") {
    if (!have_cas)
      fail(auth_opt, std::string(auth_opt) + " => " + auth + " requires ssl_certificate_authorities to be set");
    s.client_auth = auth == "optional" ? ClientAuth::Optional : ClientAuth::Required;
  } else {
    fail(auth_opt, std::string(auth_opt) + ": unknown value '" + auth + "'");
  }

  if (cfg.has("ssl_supported_protocols")) {
    auto p = cfg.strings("ssl_supported_protocols");
    if (!p.empty()) s.supported_protocols = std::move(p);
  }
  // The 6.x tls_min_version / tls_max_version (1.0 ... 1.3), when given instead.
  if (!explicitly_set(cfg, "ssl_supported_protocols") &&
      (explicitly_set(cfg, "tls_min_version") || explicitly_set(cfg, "tls_max_version"))) {
    const double lo = cfg.has("tls_min_version") ? cfg.number("tls_min_version") : 1.0;
    const double hi = cfg.has("tls_max_version") ? cfg.number("tls_max_version") : 1.3;
    s.supported_protocols.clear();
    for (auto [v, name] : {std::pair{1.1, "TLSv1.1"}, std::pair{1.2, "TLSv1.2"}, std::pair{1.3, "TLSv1.3"}}) {
      if (v >= lo - 1e-9 && v <= hi + 1e-9) s.supported_protocols.push_back(name);
    }
    if (s.supported_protocols.empty())
      fail("tls_min_version", "tls_min_version/tls_max_version select no TLS version Sluice supports (1.1 to 1.3)");
  }
  for (const auto& p : s.supported_protocols) {
    if (!protocol_version(p))
      fail("ssl_supported_protocols",
           "ssl_supported_protocols: unsupported protocol '" + p + "' (allowed: TLSv1.1, TLSv1.2, TLSv1.3)");
  }
  if (const char* c = first_set(cfg, {"ssl_cipher_suites", "cipher_suites"})) s.cipher_suites = cfg.strings(c);
  return s;
}

std::string openssl_cipher_name(const std::string& iana) {
  // TLS 1.3 suites have the same name in both worlds.
  if (iana == "TLS_AES_128_GCM_SHA256" || iana == "TLS_AES_256_GCM_SHA384" || iana == "TLS_CHACHA20_POLY1305_SHA256" ||
      iana == "TLS_AES_128_CCM_SHA256" || iana == "TLS_AES_128_CCM_8_SHA256")
    return iana;
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (!ctx) return {};
  std::string found;
  if (SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL") == 1) {
    STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
      const char* std_name = SSL_CIPHER_standard_name(c);
      if ((std_name && iana == std_name) || iana == SSL_CIPHER_get_name(c)) {
        found = SSL_CIPHER_get_name(c);
        break;
      }
    }
  }
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return found;
}

SslCtxPtr make_server_context(const TlsSettings& s) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) fail("", "Cannot create a TLS context: " + openssl_error());
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);

  // Certificate (chain): the first is the leaf, the rest go to the chain sent to clients.
  auto certs = load_certs("ssl_certificate", s.certificate);
  if (SSL_CTX_use_certificate(ctx.get(), certs[0].get()) != 1)
    fail("ssl_certificate", "ssl_certificate: '" + s.certificate + "' cannot be used: " + openssl_error());
  for (size_t i = 1; i < certs.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx.get(), certs[i].get()) != 1)
      fail("ssl_certificate", "ssl_certificate: chain certificate " + std::to_string(i + 1) + " of '" +
                                  s.certificate + "' cannot be used: " + openssl_error());
  }

  // Private key: any PEM form OpenSSL reads (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1).
  {
    const std::string pem = read_file("ssl_key", s.key);
    auto bio = mem_bio(pem);
    ERR_clear_error();
    std::string pass = s.key_passphrase;
    std::unique_ptr<EVP_PKEY, PkeyDeleter> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &pass));
    if (!key) {
      const bool encrypted = pem.find("ENCRYPTED") != std::string::npos;
      const std::string why = openssl_error();
      if (encrypted && s.key_passphrase.empty())
        fail("ssl_key", "ssl_key: '" + s.key + "' is encrypted and no ssl_key_passphrase is set");
      if (encrypted) fail("ssl_key", "ssl_key: cannot decrypt '" + s.key + "' with ssl_key_passphrase (" + why + ")");
      fail("ssl_key", "ssl_key: '" + s.key +
                          "' does not contain a valid PEM private key (PKCS#8, PKCS#1 or SEC1): " + why);
    }
    if (X509_check_private_key(certs[0].get(), key.get()) != 1) {
      ERR_clear_error();
      fail("ssl_key", "ssl_key: '" + s.key + "' does not match the certificate in ssl_certificate '" + s.certificate + "'");
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1)
      fail("ssl_key", "ssl_key: '" + s.key + "' cannot be used: " + openssl_error());
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
      fail("ssl_key", "ssl_key: '" + s.key + "' does not match the certificate in ssl_certificate '" + s.certificate +
                          "' (" + openssl_error() + ")");
  }

  // Client certificates: trust store and the CA names sent in the CertificateRequest.
  if (!s.certificate_authorities.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (const auto& path : s.certificate_authorities) {
      for (auto& c : load_certs("ssl_certificate_authorities", path)) {
        if (X509_STORE_add_cert(store, c.get()) != 1) {
          const unsigned long e = ERR_peek_last_error();
          if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            fail("ssl_certificate_authorities",
                 "ssl_certificate_authorities: '" + path + "' cannot be used: " + openssl_error());
          }
          ERR_clear_error();
        }
        if (X509_NAME* n = X509_NAME_dup(X509_get_subject_name(c.get()))) sk_X509_NAME_push(names, n);
      }
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
  }
  int mode = SSL_VERIFY_NONE;
  if (s.client_auth == ClientAuth::Optional) mode = SSL_VERIFY_PEER;
  if (s.client_auth == ClientAuth::Required) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);

  // Protocols: the range from the lowest to the highest listed; versions in between that are not
  // listed are switched off.
  int lo = 0, hi = 0;
  for (const auto& p : s.supported_protocols) {
    const int v = protocol_version(p);
    if (!lo || v < lo) lo = v;
    if (!hi || v > hi) hi = v;
  }
  if (lo == TLS1_1_VERSION) SSL_CTX_set_security_level(ctx.get(), 0);  // OpenSSL 3 refuses TLS 1.1 otherwise
  SSL_CTX_set_min_proto_version(ctx.get(), lo);
  SSL_CTX_set_max_proto_version(ctx.get(), hi);
  for (int v : {TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION}) {
    if (v <= lo || v >= hi) continue;
    bool listed = false;
    for (const auto& p : s.supported_protocols) listed = listed || protocol_version(p) == v;
    if (!listed) SSL_CTX_set_options(ctx.get(), v == TLS1_2_VERSION ? SSL_OP_NO_TLSv1_2 : SSL_OP_NO_TLSv1_1);
  }

  // Ciphers: IANA names (Logstash's form) or OpenSSL names; TLS 1.3 suites are set apart.
  if (!s.cipher_suites.empty()) {
    std::string tls12, tls13;
    for (const auto& c : s.cipher_suites) {
      const std::string name = openssl_cipher_name(c);
      if (name.empty())
        fail("ssl_cipher_suites", "ssl_cipher_suites: unknown or unsupported cipher suite '" + c + "'");
      std::string& list = name.rfind("TLS_", 0) == 0 ? tls13 : tls12;
      list += (list.empty() ? "" : ":") + name;
    }
    // A list without TLS 1.2 suites leaves only TLS 1.3 usable, and the other way round.
    if (SSL_CTX_set_cipher_list(ctx.get(), tls12.empty() ? "" : tls12.c_str()) != 1 && !tls12.empty())
      fail("ssl_cipher_suites", "ssl_cipher_suites: " + openssl_error());
    ERR_clear_error();
    if (SSL_CTX_set_ciphersuites(ctx.get(), tls13.c_str()) != 1)
      fail("ssl_cipher_suites", "ssl_cipher_suites: " + openssl_error());
  }
  ERR_clear_error();
  return ctx;
}

}  // namespace sluice::beats
