#include "plugins/outputs/elasticsearch/output.hpp"

#include "plugins/outputs/elasticsearch/templates.hpp"
#include "event/json_internal.hpp"
#include "event/ruby_format.hpp"
#include "sluice/log.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace sluice::es {

namespace {

constexpr const char* kComponent = "logstash.outputs.elasticsearch";

std::string ruby_str(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Ruby 2.x's #inspect (JRuby 9, as Logstash 7.17 prints its log and dead letter queue reasons) of a
// JSON value: `{"k"=>1, "a"=>[nil, true, 1.5]}`. At the top of an event, @timestamp is printed bare,
// as LogStash::Timestamp#inspect prints it. The tree is walked without recursion (event data can
// nest to any depth).
void append_ruby_inspect(const Value& v, std::string& out, bool event_root = false) {
  ruby::InspectStyle style;
  style.arrow = "=>";
  style.bare_root_timestamp = event_root;
  ruby::append_inspect(v, out, style);
}

// The action as Logstash prints its EventActionTuple: ["index", {:_id=>nil, :_index=>"i",
// :routing=>nil, ...}, {event data}].
std::string inspect_action(const ActionParams& p, const Event& e) {
  std::string out = "[";
  ruby::append_inspect(std::string_view(to_string(p.action)), out);
  out += ", {:_id=>";
  if (p.id) ruby::append_inspect(*p.id, out);
  else out += "nil";
  out += ", :_index=>";
  ruby::append_inspect(p.index, out);
  out += ", :routing=>";
  if (p.routing) ruby::append_inspect(*p.routing, out);
  else out += "nil";
  auto add = [&](const char* key, const std::optional<std::string>& v) {
    if (!v) return;
    out += key;
    ruby::append_inspect(*v, out);
  };
  add(", :pipeline=>", p.pipeline);
  add(", :_type=>", p.type);
  if (p.action == ActionKind::Update && p.retry_on_conflict >= 0)
    out += ", :retry_on_conflict=>" + std::to_string(p.retry_on_conflict);
  add(", :version=>", p.version);
  add(", :version_type=>", p.version_type);
  out += "}, ";
  append_ruby_inspect(e.data(), out, true);
  out += ']';
  return out;
}

// The items of a bulk response, each as Ruby prints it (empty strings if the body is unreadable).
std::vector<std::string> inspect_items(std::string_view body, std::size_t count) {
  std::vector<std::string> out(count);
  rapidjson::Document d;
  if (!parse_json_document(body, d) || !d.IsObject()) return out;
  auto items = d.FindMember("items");
  if (items == d.MemberEnd() || !items->value.IsArray()) return out;
  const auto& arr = items->value;
  for (rapidjson::SizeType i = 0; i < arr.Size() && i < count; ++i) append_ruby_inspect(arr[i], out[i]);
  return out;
}

std::string normalize_path(std::string p) {
  if (p.empty()) return p;
  if (p.front() != '/') p.insert(p.begin(), '/');
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p == "/" ? std::string() : p;
}

}  // namespace

OutputConfig parse_config(const OutputOptions& o, const PluginConfig& cfg) {
  OutputConfig c;
  auto fail = [](std::string option, std::string msg) { throw PluginConfigError(std::move(option), std::move(msg)); };

  // ---- TLS and hosts ----
  const std::optional<bool> ssl = o.ssl_enabled ? o.ssl_enabled : o.ssl;
  std::vector<std::string> hosts = o.hosts;
  if (hosts.empty()) hosts.push_back("//127.0.0.1");
  bool any_https = false;
  for (const auto& h : hosts) any_https |= h.rfind("https://", 0) == 0;
  const bool use_ssl = ssl.value_or(any_https);
  if (ssl && !*ssl && any_https)
    fail(o.ssl_enabled ? "ssl_enabled" : "ssl", "SSL is disabled but a host uses an https:// URL");
  const std::string path_opt = normalize_path(o.path);
  for (const auto& h : hosts) {
    std::string err;
    auto u = parse_host(h, use_ssl, &err);
    if (!u) fail("hosts", "Invalid host " + ruby_str(h) + ": " + err);
    if (use_ssl) u->scheme = "https";
    if (!path_opt.empty()) {
      if (!u->path.empty())
        fail("path", "The path option is set and the host " + ruby_str(h) + " has a path too; use only one of them");
      u->path = path_opt;
    }
    c.hosts.push_back(std::move(*u));
  }
  // The 8.x name wins when both are written; both are read only when written (their schema
  // defaults, full and true, agree).
  if (o.ssl_verification_mode) {
    const std::string& v = *o.ssl_verification_mode;
    if (v != "full" && v != "none") fail("ssl_verification_mode", "ssl_verification_mode must be full or none");
    c.tls.verify = v == "full";
  } else if (o.ssl_certificate_verification) {
    c.tls.verify = *o.ssl_certificate_verification;
  }
  std::vector<std::string> cas = o.ssl_certificate_authorities;
  if (cas.empty() && o.cacert) cas.push_back(*o.cacert);
  if (cas.size() > 1) fail("ssl_certificate_authorities", "Only one certificate authority file is supported");
  if (!cas.empty()) c.tls.ca_file = cas.front();
  c.tls.cert_file = o.ssl_certificate;
  c.tls.key_file = o.ssl_key;
  const std::pair<const char*, const std::optional<std::string>*> stores[] = {
      {"truststore", &o.truststore},
      {"keystore", &o.keystore},
      {"ssl_truststore_path", &o.ssl_truststore_path},
      {"ssl_keystore_path", &o.ssl_keystore_path}};
  for (const auto& [name, value] : stores)
    if (*value)
      fail(name, std::string(name) + " (Java key stores) is not supported; use PEM files "
                                     "(ssl_certificate_authorities, ssl_certificate, ssl_key)");
  if (o.proxy) fail("proxy", "proxy is not supported yet");
  if (o.cloud_id || o.cloud_auth)
    fail(o.cloud_id ? "cloud_id" : "cloud_auth", "Elastic Cloud ids are not supported yet; use hosts");

  // ---- auth ----
  c.user = o.user;
  c.password = o.password;
  for (const auto& h : c.hosts) {
    if (!h.user.empty() && !c.user.empty() && h.user != c.user)
      fail("user", "Credentials are given both in a host URL and in user/password; use only one of them");
  }
  c.api_key = o.api_key;
  if (!c.api_key.empty() && (!c.user.empty() || !c.password.empty()))
    fail("api_key", "Multiple authentication options are specified; use only one of user/password and api_key");
  if (!c.api_key.empty() && !use_ssl) fail("api_key", "Using api_key authentication requires SSL/TLS secured communication");
  c.custom_headers = o.custom_headers;
  c.parameters = o.parameters;

  // ---- timing ----
  c.timeout_s = o.timeout;
  c.retry_initial_s = o.retry_initial_interval;
  c.retry_max_s = o.retry_max_interval;
  c.resurrect_delay_s = o.resurrect_delay;
  if (c.retry_initial_s <= 0) fail("retry_initial_interval", "retry_initial_interval must be positive");
  if (c.retry_max_s < c.retry_initial_s) fail("retry_max_interval", "retry_max_interval must not be below retry_initial_interval");
  if (c.resurrect_delay_s <= 0) fail("resurrect_delay", "resurrect_delay must be positive");
  c.retry_on_conflict = o.retry_on_conflict;

  // ---- compression ----
  // Logstash 7.17 compresses only with http_compression => true; 8.x's compression_level (schema
  // default 1) turns it on only when written. The gzip level is invisible to Elasticsearch; level 1
  // costs half of Logstash 7's level 6 per byte.
  if (o.compression_level) {
    const int64_t lvl = *o.compression_level;
    if (lvl < 0 || lvl > 9) fail("compression_level", "compression_level must be between 0 and 9");
    c.compression_level = static_cast<int>(lvl);
  } else if (o.http_compression) {
    c.compression_level = 1;
  }
  if (o.healthcheck_path) c.healthcheck_path = *o.healthcheck_path;
  if (o.bulk_path) c.bulk_path = *o.bulk_path;
  if (c.healthcheck_path.empty() || c.healthcheck_path.front() != '/') c.healthcheck_path.insert(0, "/");
  if (c.bulk_path.empty() || c.bulk_path.front() != '/') c.bulk_path.insert(0, "/");

  // ---- events to actions ----
  c.ecs_compatibility = o.ecs_compatibility;
  if (c.ecs_compatibility != "disabled" && c.ecs_compatibility != "v1" && c.ecs_compatibility != "v8")
    fail("ecs_compatibility", "ecs_compatibility must be disabled, v1 or v8");
  c.index = o.index.value_or(default_index(c.ecs_compatibility));
  c.action = o.action;
  c.document_id = o.document_id;
  c.routing = o.routing;
  c.pipeline = o.pipeline;
  c.document_type = o.document_type;
  c.version = o.version;
  c.version_type = o.version_type;
  c.doc_as_upsert = o.doc_as_upsert;
  c.upsert = o.upsert;
  if (c.action.find("%{") == std::string::npos) {
    const auto a = parse_action(c.action);
    if (!a) fail("action", "Action " + ruby_str(c.action) + " is invalid! Pick one of index, create, update or delete");
    if (*a == ActionKind::Update && !c.document_id)
      fail("document_id", "The update action requires a document_id");
    if (c.version_type && (*c.version_type == "external" || *c.version_type == "external_gte") &&
        (*a == ActionKind::Create || *a == ActionKind::Update))
      fail("version_type", "External versioning is not supported by the " + c.action + " action");
  }
  if (c.version_type && !c.version) fail("version", "version_type requires version");
  const std::pair<const char*, const std::string*> unsupported[] = {
      {"script", &o.script}, {"parent", &o.parent}, {"join_field", &o.join_field}};
  for (const auto& [name, value] : unsupported)
    if (!value->empty()) fail(name, std::string(name) + " is not supported yet");

  // ---- templates, ILM, data streams ----
  c.manage_template = o.manage_template;
  c.template_path = o.template_file;
  c.template_name = o.template_name.value_or(default_template_name(c.ecs_compatibility));
  c.template_overwrite = o.template_overwrite;
  c.template_api = o.template_api;
  c.ilm_enabled = o.ilm_enabled;
  if (c.ilm_enabled == "true")
    fail("ilm_enabled", "Index lifecycle management (ilm_enabled => true) is not supported yet; write to daily "
                        "indices (ilm_enabled => false) or manage rollover in Elasticsearch");
  if (o.data_stream == "true") fail("data_stream", "Data streams (data_stream => true) are not supported yet");
  c.dead_letter_queue = cfg.dead_letter_queue;
  for (const std::string& code : o.dlq_custom_codes) {
    int n = 0;
    try {
      n = std::stoi(code);
    } catch (const std::exception&) {
      fail("dlq_custom_codes", "dlq_custom_codes must be HTTP status numbers, got " + ruby_str(code));
    }
    if (n == 400 || n == 404)
      fail("dlq_custom_codes", "[" + code + "] are already defined as standard DLQ error codes");
    if (n == 200 || n == 201)
      fail("dlq_custom_codes", "[" + code + "] are success codes which cannot be redefined in dlq_custom_codes");
    if (n == 409)
      fail("dlq_custom_codes",
           "[" + code + "] are error codes already defined as conflict which cannot be redefined in dlq_custom_codes");
    c.dlq_custom_codes.push_back(n);
  }
  c.silence_errors = o.silence_errors_in_log;
  for (const auto& s : o.failure_type_logging_whitelist) c.silence_errors.push_back(s);
  if (o.sniffing)
    log::write(log::Level::Warn, kComponent, "Sniffing is not supported yet; only the configured hosts are used",
               cfg.pipeline_id, cfg.id);
  return c;
}

OutputConfig parse_config(const PluginConfig& cfg) { return parse_config(output_options().filled(cfg), cfg); }

// ---- the output -------------------------------------------------------------------------------

struct ElasticsearchOutput::Scratch {
  struct Entry {
    Event* event;
    ActionKind action;
    uint32_t index;  // in the receive() call's events (its DeliveryReport entry)
  };
  std::string buf;        // the bulk body of the whole call
  std::string retry_buf;  // bodies of later attempts (failed items only)
  std::string src;
  std::string upsert;
  std::string response;   // the last bulk response body
  std::vector<std::size_t> offsets;  // entry i = buf[offsets[i], offsets[i + 1])
  std::vector<Entry> entries;
  std::vector<ItemResult> items;
  ActionParams params;
};

ElasticsearchOutput::ElasticsearchOutput(OutputConfig cfg, std::string pipeline_id)
    : cfg_(std::move(cfg)), pipeline_id_(std::move(pipeline_id)) {
  index_tpl_ = Template(cfg_.index);
  action_tpl_ = Template(cfg_.action);
  if (action_tpl_.is_constant()) constant_action_ = parse_action(cfg_.action);
  if (cfg_.document_id) id_tpl_ = Template(*cfg_.document_id);
  if (cfg_.routing) routing_tpl_ = Template(*cfg_.routing);
  if (cfg_.pipeline) pipeline_tpl_ = Template(*cfg_.pipeline);
  if (!cfg_.upsert.empty()) upsert_tpl_ = Template(cfg_.upsert);
  if (cfg_.version) version_tpl_ = Template(*cfg_.version);
  if (cfg_.version_type) version_type_tpl_ = Template(*cfg_.version_type);
}

ElasticsearchOutput::~ElasticsearchOutput() { close(); }

void ElasticsearchOutput::logw(log::Level level, const std::string& msg) const {
  log::write(level, kComponent, msg, pipeline_id_, id());
}

std::optional<ServerInfo> ElasticsearchOutput::server() const {
  std::lock_guard lk(server_mu_);
  return server_;
}

std::string ElasticsearchOutput::url_for(const HostUrl& h, std::string_view path) const {
  std::string url = h.base();
  url += path;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : cfg_.parameters) {
    url += sep;
    url += net::url_encode(k);
    url += '=';
    url += net::url_encode(v);
    sep = '&';
  }
  return url;
}

void ElasticsearchOutput::request_headers(std::vector<std::string>& out, bool json_body) const {
  out.clear();
  if (json_body) out.emplace_back("Content-Type: application/json");
  out.emplace_back("User-Agent: Sluice/" SLUICE_VERSION " (logstash-output-elasticsearch compatible)");
  if (!cfg_.api_key.empty()) {
    out.push_back("Authorization: ApiKey " + net::base64(cfg_.api_key));
  } else if (!cfg_.user.empty()) {
    out.push_back("Authorization: Basic " + net::base64(cfg_.user + ":" + cfg_.password));
  }
  for (const auto& [k, v] : cfg_.custom_headers) out.push_back(k + ": " + v);
}

void ElasticsearchOutput::start() {
  if (!cfg_.dlq_custom_codes.empty() && !cfg_.dead_letter_queue)
    throw std::runtime_error(
        "DLQ feature (dlq_custom_codes) is configured while DLQ is not enabled; set dead_letter_queue.enable: true "
        "or remove dlq_custom_codes");
  if (!cfg_.template_path.empty() && cfg_.manage_template) {
    std::ifstream in(cfg_.template_path, std::ios::binary);
    if (!in) throw std::runtime_error("Cannot read the template file " + ruby_str(cfg_.template_path));
    std::ostringstream ss;
    ss << in.rdbuf();
    template_body_ = ss.str();
    rapidjson::Document d;
    d.Parse(template_body_.data(), template_body_.size());
    if (d.HasParseError() || !d.IsObject())
      throw std::runtime_error("The template file " + ruby_str(cfg_.template_path) + " is not a JSON object");
  }
  // Credentials from a host URL apply to every host (Logstash takes them from the first).
  if (cfg_.user.empty() && cfg_.api_key.empty()) {
    for (const auto& h : cfg_.hosts) {
      if (!h.user.empty()) {
        cfg_.user = h.user;
        cfg_.password = h.password;
        break;
      }
    }
  }
  pool_ = std::make_unique<HostPool>(cfg_.hosts, cfg_.tls);
  {
    std::string list;
    for (const auto& h : cfg_.hosts) list += (list.empty() ? "" : ", ") + ruby_str(h.display() + "/");
    logw(log::Level::Info, "New Elasticsearch output {:class=>\"LogStash::Outputs::ElasticSearch\", :hosts=>[" + list + "]}");
  }
  check_hosts(true);
  if (pool_->alive_count() > 0) bootstrap();
  health_thread_ = std::thread([this] { health_loop(); });
}

void ElasticsearchOutput::close() {
  if (closing_.exchange(true)) return;
  if (pool_) pool_->wake();
  ready_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
}

void ElasticsearchOutput::health_loop() {
  using namespace std::chrono;
  while (!closing_.load()) {
    {
      std::unique_lock lk(ready_mu_);
      ready_cv_.wait_for(lk, duration<double>(cfg_.resurrect_delay_s), [&] { return closing_.load(); });
    }
    if (closing_.load()) break;
    check_hosts(true);
    if (!ready_.load() && pool_->alive_count() > 0) bootstrap();
  }
}

void ElasticsearchOutput::check_hosts(bool log_failures) {
  std::vector<std::string> headers;
  request_headers(headers, false);
  net::HttpResponse resp;
  for (std::size_t i = 0; i < pool_->size(); ++i) {
    if (closing_.load()) return;
    if (pool_->alive(i)) continue;
    const HostUrl& h = pool_->url(i);
    auto lease = pool_->acquire_host(i);
    net::HttpRequest req;
    req.method = "HEAD";
    req.url = url_for(h, cfg_.healthcheck_path);
    req.headers = headers;
    req.timeout_ms = static_cast<long>(cfg_.timeout_s * 1000);
    req.connect_timeout_ms = std::min<long>(req.timeout_ms, 10'000);
    lease.connection().perform(req, resp);
    std::string problem;
    if (resp.transport != net::Transport::Ok) {
      problem = std::string(net::to_string(resp.transport)) + ": " + resp.error;
    } else if (resp.status == 401 || resp.status == 403) {
      problem = "authentication failed (HTTP " + std::to_string(resp.status) + "); check user/password or api_key";
    } else if (resp.status / 100 != 2 && resp.status != 404) {
      problem = "health check returned HTTP " + std::to_string(resp.status);
    }
    std::optional<ServerInfo> info;
    if (problem.empty()) {
      req.method = "GET";
      req.url = url_for(h, "/");
      lease.connection().perform(req, resp);
      if (resp.transport != net::Transport::Ok) {
        problem = std::string(net::to_string(resp.transport)) + ": " + resp.error;
      } else if (resp.status != 200) {
        problem = "GET / returned HTTP " + std::to_string(resp.status);
      } else {
        std::string err;
        info = parse_server_info(resp.body, &err);
        if (!info) problem = "Could not connect to a compatible version of Elasticsearch: " + err;
        else if (info->distribution == Distribution::Elasticsearch && info->major < 6)
          problem = "Could not connect to a compatible version of Elasticsearch: " + info->describe() +
                    " is older than 6.0";
      }
    }
    if (!problem.empty()) {
      if (log_failures)
        logw(log::Level::Warn,
             "Attempted to resurrect connection to dead ES instance, but got an error {:url=>" + ruby_str(h.display() + "/") +
                 ", :message=>" + ruby_str(problem) + "}");
      continue;
    }
    logw(log::Level::Info,
         "Restored connection to ES instance {:url=>" + ruby_str(h.display() + "/") + ", :version=>" +
             ruby_str(info->describe()) + "}");
    {
      std::lock_guard lk(server_mu_);
      if (!server_ || server_->major < info->major) {
        server_ = info;
        // `_type` in action lines: Elasticsearch 6 needs one, 7 takes document_type if set, 8 and
        // OpenSearch get none (OpenSearch 2.0 rejects it).
        if (info->distribution == Distribution::OpenSearch || info->major >= 8) type_for_server_.reset();
        else if (info->major == 7) type_for_server_ = cfg_.document_type;
        else type_for_server_ = cfg_.document_type.value_or("doc");
      }
    }
    pool_->mark_alive(i, *info);
  }
}

bool ElasticsearchOutput::bootstrap() {
  const auto srv = server();
  if (!srv) return false;
  auto lease = pool_->acquire();
  if (!lease) return false;
  const HostUrl& h = pool_->url(lease.host());
  std::vector<std::string> headers;
  request_headers(headers, true);
  net::HttpResponse resp;
  net::HttpRequest req;
  req.headers = headers;
  req.timeout_ms = static_cast<long>(cfg_.timeout_s * 1000);

  // ILM: Logstash 7.17 with ilm_enabled => auto writes the default index through a rollover alias
  // when the cluster has ILM. Sluice writes daily indices; say so when Logstash would differ.
  if (cfg_.ilm_enabled == "auto" && srv->distribution == Distribution::Elasticsearch && srv->major >= 7 &&
      cfg_.index == default_index(cfg_.ecs_compatibility)) {
    req.method = "GET";
    req.url = url_for(h, "/_xpack");
    lease.connection().perform(req, resp);
    if (resp.transport == net::Transport::Ok && resp.status == 200) {
      rapidjson::Document d;
      const bool parsed = parse_json_document(resp.body, d);
      bool ilm = false;
      if (parsed && d.IsObject() && d.HasMember("features") && d["features"].IsObject() &&
          d["features"].HasMember("ilm") && d["features"]["ilm"].IsObject()) {
        const auto& f = d["features"]["ilm"];
        ilm = f.HasMember("available") && f["available"].IsBool() && f["available"].GetBool() &&
              f.HasMember("enabled") && f["enabled"].IsBool() && f["enabled"].GetBool();
      }
      if (ilm)
        logw(log::Level::Warn,
             "The cluster supports index lifecycle management, but Sluice does not manage rollover aliases yet: "
             "events go to daily indices " + ruby_str(cfg_.index) + " (Logstash 7.17 would write to the alias \"logstash\")");
    }
  }

  if (cfg_.manage_template) {
    const TemplateApi api = choose_template_api(*srv, cfg_.template_api);
    const std::string endpoint = template_endpoint(api, cfg_.template_name);
    std::string body = template_body_;
    if (body.empty()) {
      const std::string pattern = cfg_.ecs_compatibility == "disabled" ? "logstash-*" : "ecs-logstash-*";
      body = default_template(api, pattern);
      if (cfg_.ecs_compatibility != "disabled")
        logw(log::Level::Warn,
             "ECS templates are not bundled; installing the ECS-disabled default template as " + ruby_str(cfg_.template_name));
    }
    req.method = "HEAD";
    req.url = url_for(h, endpoint);
    req.body = {};
    lease.connection().perform(req, resp);
    const bool exists = resp.transport == net::Transport::Ok && resp.status == 200;
    if (resp.transport != net::Transport::Ok) {
      logw(log::Level::Error, "Failed to install template {:message=>" + ruby_str(resp.error) + "}");
      return false;  // retried by the health loop
    }
    if (exists && !cfg_.template_overwrite) {
      logw(log::Level::Info, "Template " + ruby_str(cfg_.template_name) + " already exists, not overwriting it");
    } else {
      logw(log::Level::Info,
           "Installing Elasticsearch template {:name=>" + ruby_str(cfg_.template_name) + ", :api=>" +
               ruby_str(api == TemplateApi::Legacy ? "_template" : "_index_template") + "}");
      req.method = "PUT";
      req.body = body;
      lease.connection().perform(req, resp);
      if (resp.transport != net::Transport::Ok) {
        logw(log::Level::Error, "Failed to install template {:message=>" + ruby_str(resp.error) + "}");
        return false;
      }
      if (resp.status / 100 != 2)
        logw(log::Level::Error,
             "Failed to install template {:status=>" + std::to_string(resp.status) + ", :body=>" +
                 ruby_str(resp.body.substr(0, 1000)) + "}");
    }
  }
  {
    std::lock_guard lk(ready_mu_);
    ready_ = true;
  }
  ready_cv_.notify_all();
  return true;
}

void ElasticsearchOutput::wait_ready() {
  if (ready_.load(std::memory_order_acquire)) return;
  auto last_log = std::chrono::steady_clock::now();
  std::unique_lock lk(ready_mu_);
  while (!ready_.load()) {
    ready_cv_.wait_for(lk, std::chrono::seconds(1));
    if (ready_.load()) break;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log > std::chrono::seconds(30)) {
      last_log = now;
      lk.unlock();
      logw(log::Level::Warn,
           "Waiting for a reachable Elasticsearch before sending events (events are held, nothing is dropped)");
      lk.lock();
    }
  }
}

void ElasticsearchOutput::sleep_for(double seconds) {
  // Not interrupted by close(): a batch is only given up by a second signal, as in Logstash 7.
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

bool ElasticsearchOutput::send_bulk(std::string_view body, std::size_t count, std::vector<ItemResult>& items,
                                    std::string* response_body) {
  Backoff backoff(cfg_.retry_initial_s, cfg_.retry_max_s);
  std::string gz;
  std::string_view payload = body;
  if (cfg_.compression_level > 0) {
    gzip_compress(body, gz, cfg_.compression_level);
    payload = gz;
  }
  std::vector<std::string> headers;
  request_headers(headers, true);
  if (cfg_.compression_level > 0) headers.emplace_back("Content-Encoding: gzip");
  net::HttpRequest req;
  req.method = "POST";
  req.headers = std::move(headers);
  req.body = payload;
  req.timeout_ms = static_cast<long>(cfg_.timeout_s * 1000);
  req.connect_timeout_ms = std::min<long>(req.timeout_ms, 10'000);
  net::HttpResponse resp;
  static log::RateLimited no_hosts_log(10'000);
  for (;;) {
    auto lease = pool_->acquire();
    if (!lease) {
      const double wait = backoff.next();
      counters_.request_retries.fetch_add(1, std::memory_order_relaxed);
      no_hosts_log.warn(kComponent,
                        "Attempted to send a bulk request but there are no living connections in the pool "
                        "(perhaps Elasticsearch is unreachable or down?); events are held and retried",
                        id());
      pool_->wait_for_alive(std::chrono::milliseconds(static_cast<long>(wait * 1000)));
      continue;
    }
    const HostUrl& h = pool_->url(lease.host());
    req.url = url_for(h, cfg_.bulk_path);
    counters_.bulk_requests.fetch_add(1, std::memory_order_relaxed);
    lease.connection().perform(req, resp);
    if (resp.transport != net::Transport::Ok) {
      pool_->mark_dead(lease.host());
      counters_.bulk_failures.fetch_add(1, std::memory_order_relaxed);
      counters_.request_retries.fetch_add(1, std::memory_order_relaxed);
      const double wait = backoff.next();
      logw(log::Level::Error,
           "Attempted to send a bulk request but Elasticsearch appears to be unreachable or down {:message=>" +
               ruby_str(std::string(net::to_string(resp.transport)) + ": " + resp.error) + ", :url=>" +
               ruby_str(h.display() + cfg_.bulk_path) + ", :will_retry_in_seconds=>" + std::to_string(wait) + "}");
      lease = {};
      if (pool_->alive_count() == 0) pool_->wait_for_alive(std::chrono::milliseconds(static_cast<long>(wait * 1000)));
      else sleep_for(wait);
      continue;
    }
    if (resp.status != 200) {
      counters_.bulk_failures.fetch_add(1, std::memory_order_relaxed);
      counters_.request_retries.fetch_add(1, std::memory_order_relaxed);
      const double wait = backoff.next();
      const std::string msg = "Encountered a retryable error (will retry with exponential backoff) {:code=>" +
                              std::to_string(resp.status) + ", :url=>" + ruby_str(h.display() + cfg_.bulk_path) +
                              ", :content_length=>" + std::to_string(payload.size()) + ", :body=>" +
                              ruby_str(resp.body.substr(0, 500)) + ", :will_retry_in_seconds=>" + std::to_string(wait) + "}";
      logw(resp.status == 429 ? log::Level::Debug : log::Level::Error, msg);
      lease = {};
      sleep_for(wait);
      continue;
    }
    std::string err;
    const ResponseParse pr = parse_bulk_response(resp.body, count, items, &err);
    if (pr != ResponseParse::Ok) {
      counters_.bulk_failures.fetch_add(1, std::memory_order_relaxed);
      counters_.request_retries.fetch_add(1, std::memory_order_relaxed);
      const double wait = backoff.next();
      logw(log::Level::Error,
           "Unexpected bulk response, retrying the request {:message=>" + ruby_str(err) +
               ", :will_retry_in_seconds=>" + std::to_string(wait) + "}");
      lease = {};
      sleep_for(wait);
      continue;
    }
    response_body->swap(resp.body);
    return true;
  }
}

bool ElasticsearchOutput::to_dead_letter_queue(int status) const {
  if (status == 400 || status == 404) return true;
  return cfg_.dead_letter_queue &&
         std::find(cfg_.dlq_custom_codes.begin(), cfg_.dlq_custom_codes.end(), status) != cfg_.dlq_custom_codes.end();
}

std::string ElasticsearchOutput::reject(const Event& e, const ActionParams& p, const ItemResult& r,
                                        const std::string& response) {
  counters_.documents_rejected.fetch_add(1, std::memory_order_relaxed);
  if (cfg_.dead_letter_queue) {
    // Logstash's handle_dlq_response text; an event that never reached Elasticsearch (an
    // unsupported action) gets its mapping error and the event, as handle_event_mapping_errors.
    std::string reason;
    if (response.empty()) {
      reason = r.error_reason + "; event: `";
      append_ruby_inspect(e.data(), reason, true);
      reason += '`';
    } else {
      reason = "Could not index event to Elasticsearch. status: " + std::to_string(r.status) +
               ", action: " + inspect_action(p, e) + ", response: " + response;
    }
    return reason;
  }
  std::string reason = "status " + std::to_string(r.status) + ", " + r.error_type + ": " + r.error_reason;
  if (std::find(cfg_.silence_errors.begin(), cfg_.silence_errors.end(), r.error_type) != cfg_.silence_errors.end())
    return reason;
  const auto level = r.error_type == "invalid_index_name_exception" ? log::Level::Error : log::Level::Warn;
  logw(level,
       "Could not index event to Elasticsearch. {:status=>" + std::to_string(r.status) + ", :action=>" +
           ruby_str(to_string(p.action)) + ", :_index=>" + ruby_str(p.index) + ", :_id=>" +
           (p.id ? ruby_str(*p.id) : std::string("nil")) + ", :error_type=>" + ruby_str(r.error_type) +
           ", :reason=>" + ruby_str(r.error_reason) + "}");
  return reason;
}

void ElasticsearchOutput::receive(std::span<Event* const> events, DeliveryReport& report) {
  if (events.empty()) return;
  wait_ready();
  static thread_local Scratch s;
  s.buf.clear();
  s.offsets.clear();
  s.entries.clear();
  std::optional<std::string> type;
  {
    std::lock_guard lk(server_mu_);
    type = type_for_server_;
  }
  ActionParams& p = s.params;
  auto fill_params = [&](const Event& e, ActionKind action) {
    p.action = action;
    p.index.clear();
    index_tpl_.render(e, p.index);
    p.id.reset();
    if (cfg_.document_id) p.id = id_tpl_.render(e);
    p.routing.reset();
    if (cfg_.routing) p.routing = routing_tpl_.render(e);
    p.pipeline.reset();
    if (cfg_.pipeline) {
      std::string v = pipeline_tpl_.render(e);
      if (!v.empty()) p.pipeline = std::move(v);
    }
    p.type = type;
    p.retry_on_conflict = action == ActionKind::Update ? cfg_.retry_on_conflict : -1;
    p.version.reset();
    if (cfg_.version) p.version = version_tpl_.render(e);
    p.version_type.reset();
    if (cfg_.version_type) p.version_type = version_type_tpl_.render(e);
  };

  for (uint32_t ei = 0; ei < events.size(); ++ei) {
    Event* e = events[ei];
    ActionKind action;
    if (constant_action_) {
      action = *constant_action_;
    } else {
      const std::string a = action_tpl_.render(*e);
      const auto parsed = parse_action(a);
      if (!parsed) {
        fill_params(*e, ActionKind::Index);
        ItemResult r;
        r.error_type = "unsupported_action";
        r.error_reason = "Elasticsearch doesn't support [" + a + "] action";
        report.reject(ei, reject(*e, p, r, {}));
        continue;
      }
      action = *parsed;
    }
    fill_params(*e, action);
    s.src.clear();
    if (action != ActionKind::Delete) e->to_json(s.src);
    UpdateOptions up;
    if (action == ActionKind::Update) {
      up.doc_as_upsert = cfg_.doc_as_upsert;
      if (!cfg_.upsert.empty()) {
        s.upsert.clear();
        upsert_tpl_.render(*e, s.upsert);
        up.upsert_json = s.upsert;
      }
    }
    s.offsets.push_back(s.buf.size());
    append_bulk_entry(s.buf, p, s.src, up);
    s.entries.push_back({e, action, ei});
  }
  s.offsets.push_back(s.buf.size());
  const std::size_t n = s.entries.size();
  if (n == 0) return;

  // Indices into entries still to deliver; the first round sends the body as built.
  std::vector<uint32_t> pending(n);
  for (uint32_t i = 0; i < n; ++i) pending[i] = i;
  std::vector<uint32_t> next;
  std::vector<std::size_t> sizes;
  Backoff item_backoff(cfg_.retry_initial_s, cfg_.retry_max_s);
  bool first_round = true;
  while (!pending.empty()) {
    sizes.clear();
    for (uint32_t i : pending) sizes.push_back(s.offsets[i + 1] - s.offsets[i]);
    next.clear();
    int first_status = 0;
    std::string first_error;
    for (const auto& [from, to] : split_bulk(sizes)) {
      std::string_view body;
      if (first_round) {
        body = std::string_view(s.buf).substr(s.offsets[pending[from]], s.offsets[pending[to - 1] + 1] - s.offsets[pending[from]]);
      } else {
        s.retry_buf.clear();
        for (std::size_t k = from; k < to; ++k)
          s.retry_buf.append(s.buf, s.offsets[pending[k]], s.offsets[pending[k] + 1] - s.offsets[pending[k]]);
        body = s.retry_buf;
      }
      (void)send_bulk(body, to - from, s.items, &s.response);
      bool all_ok = true;
      std::vector<std::string> responses;  // the items as Ruby prints them, read once a rejection needs them
      for (std::size_t k = from; k < to; ++k) {
        const uint32_t idx = pending[k];
        const ItemResult& r = s.items[k - from];
        ItemOutcome outcome = classify_item(r.status);
        if (outcome == ItemOutcome::Retry && to_dead_letter_queue(r.status)) outcome = ItemOutcome::Reject;
        switch (outcome) {
          case ItemOutcome::Success:
            counters_.documents_successes.fetch_add(1, std::memory_order_relaxed);
            break;
          case ItemOutcome::Conflict:
            all_ok = false;
            counters_.documents_conflicts.fetch_add(1, std::memory_order_relaxed);
            if (log::enabled(log::Level::Debug)) {
              fill_params(*s.entries[idx].event, s.entries[idx].action);
              logw(log::Level::Debug,
                   "Version conflict, document not indexed {:status=>409, :_index=>" + ruby_str(p.index) +
                       ", :reason=>" + ruby_str(r.error_reason) + "}");
            }
            break;
          case ItemOutcome::Reject:
            all_ok = false;
            fill_params(*s.entries[idx].event, s.entries[idx].action);
            if (cfg_.dead_letter_queue && responses.empty()) responses = inspect_items(s.response, to - from);
            report.reject(s.entries[idx].index,
                          reject(*s.entries[idx].event, p, r,
                                 responses.empty() || responses[k - from].empty() ? std::string("{}")
                                                                                  : responses[k - from]));
            break;
          case ItemOutcome::Retry:
            all_ok = false;
            if (first_status == 0) {
              first_status = r.status;
              first_error = r.error_type + ": " + r.error_reason;
            }
            next.push_back(idx);
            break;
        }
      }
      (all_ok ? counters_.bulk_successes : counters_.bulk_with_errors).fetch_add(1, std::memory_order_relaxed);
    }
    first_round = false;
    pending.swap(next);
    if (!pending.empty()) {
      counters_.documents_retried.fetch_add(pending.size(), std::memory_order_relaxed);
      const double wait = item_backoff.next();
      logw(log::Level::Info,
           "Retrying failed actions {:count=>" + std::to_string(pending.size()) + ", :first_status=>" +
               std::to_string(first_status) + ", :first_error=>" + ruby_str(first_error) +
               ", :will_retry_in_seconds=>" + std::to_string(wait) + "}");
      sleep_for(wait);
    }
  }
  // Do not keep a huge buffer per worker after an unusually large batch.
  if (s.buf.capacity() > 4 * kTargetBulkBytes) std::string().swap(s.buf);
  if (s.retry_buf.capacity() > 2 * kTargetBulkBytes) std::string().swap(s.retry_buf);
}

}  // namespace sluice::es
