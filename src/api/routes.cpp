// Routing of the monitoring API as Logstash's Rack app does it (api/rack_app.rb, api/modules/*.rb,
// app_helpers.rb): the payload of a route merged after the default metadata, `?pretty` (any
// value) pretty-prints, comma lists of filters select top-level keys (none left: 404), errors are
// {"path","status","error":{"message"}} without metadata. A method other than GET (or HEAD) on a
// GET route finds no route: 404, as Sinatra answers. PUT /_node/logging sets the log level.
#include "api/render.hpp"
#include "event/json_internal.hpp"
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <optional>

namespace sluice::api {
namespace {

using detail::Ctx;
using detail::Json;
using detail::Value;

struct Query {
  std::vector<std::pair<std::string, std::string>> params;
  bool has(std::string_view k) const {
    return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == k; });
  }
  std::optional<std::string> get(std::string_view k) const {
    for (const auto& p : params) {
      if (p.first == k) return p.second;
    }
    return std::nullopt;
  }
};

struct Target {
  std::string path;
  Query query;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Target parse_target(const std::string& target) {
  Target t;
  const size_t q = target.find('?');
  t.path = url_decode(std::string_view(target).substr(0, q), false);
  if (t.path.size() > 1 && t.path.back() == '/') t.path.pop_back();
  if (t.path.empty()) t.path = "/";
  if (q == std::string::npos) return t;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string key = url_decode(part.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1), true);
    t.query.params.emplace_back(std::move(key), std::move(value));
  }
  return t;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::vector<std::string> split_filter(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string f = s.substr(start, comma - start);
    f.erase(0, f.find_first_not_of(" \t"));
    f.erase(f.find_last_not_of(" \t") + 1);
    if (!f.empty()) out.push_back(f);
    start = comma + 1;
  }
  return out;
}

// Ruby's as_boolean of app_helpers.rb: true|t|yes|y|1 or false|f|no|n|0 at the end (any case),
// blank is false; anything else is an error (400).
std::optional<bool> as_boolean(const std::string& s) {
  std::string l;
  for (char ch : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  auto ends = [&](std::string_view suffix) {
    return l.size() >= suffix.size() && l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (std::string_view t : {"true", "t", "yes", "y", "1"}) {
    if (ends(t)) return true;
  }
  if (l.find_first_not_of(" \t\r\n") == std::string::npos) return false;
  for (std::string_view f : {"false", "f", "no", "n", "0"}) {
    if (ends(f)) return false;
  }
  return std::nullopt;
}

class BadParam : public std::exception {
 public:
  explicit BadParam(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

bool flag(const Query& q, std::string_view key) {
  auto v = q.get(key);
  if (!v) return false;
  auto b = as_boolean(*v);
  if (!b) throw BadParam("invalid value for Boolean: \"" + *v + "\"");
  return *b;
}

std::string serialize(const Value& v, bool pretty) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    v.Accept(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

// Everything one request needs: its parsed target, the document and the snapshot.
struct Call {
  Target t;
  rapidjson::Document doc;
  Json j{doc.GetAllocator()};
  Ctx c;
  Call(Target target, const NodeSnapshot& node, int64_t now_ms) : t(std::move(target)), c{node, now_ms, j} {}
  bool pretty() const { return t.query.has("pretty"); }

  Response error(int status, const std::string& message) {
    Value v = Json::object();
    j.put(v, "path", t.path);
    j.put(v, "status", status);
    Value e = Json::object();
    j.put(e, "message", message);
    j.put(v, "error", std::move(e));
    return {status, "application/json", serialize(v, pretty())};
  }
  Response not_found() { return error(404, "Not Found"); }

  // respond_with: keep the selected keys (if any), then put the default metadata first.
  Response respond(Value data, const std::vector<std::string>& selected = {}, int status = 200) {
    if (!selected.empty()) {
      Value kept = Json::object();
      for (auto& m : data.GetObject()) {
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        if (std::find(selected.begin(), selected.end(), name) != selected.end()) {
          kept.AddMember(m.name, m.value, j.alloc());
        }
      }
      if (kept.MemberCount() == 0) return not_found();
      data = std::move(kept);
    }
    Value out = detail::default_metadata(c);
    for (auto& m : data.GetObject()) {
      auto existing = out.FindMember(m.name);
      if (existing != out.MemberEnd()) {
        existing->value = m.value;
      } else {
        out.AddMember(m.name, m.value, j.alloc());
      }
    }
    return {status, "application/json", serialize(out, pretty())};
  }
  Response respond_plain(Value data, int status = 200) {
    return {status, "application/json", serialize(data, pretty())};
  }
};

const PipelineSnapshot* find_pipeline(const NodeSnapshot& n, const std::string& id) {
  for (const PipelineSnapshot& p : n.pipelines) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

// ---- GET / --------------------------------------------------------------------------------------

// Logstash's TimeValue: <int><nanos|micros|ms|s|m|h|d>, case-insensitive.
std::optional<int64_t> parse_timeout_ms(const std::string& raw) {
  std::string s;
  for (char ch : raw) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  static const std::pair<const char*, double> units[] = {{"nanos", 1e-6}, {"micros", 1e-3}, {"ms", 1},
                                                         {"s", 1e3},      {"m", 60e3},      {"h", 3600e3},
                                                         {"d", 86400e3}};
  for (const auto& [suffix, factor] : units) {
    const std::string_view sv(suffix);
    if (s.size() <= sv.size() || s.compare(s.size() - sv.size(), sv.size(), sv) != 0) continue;
    std::string num = s.substr(0, s.size() - sv.size());
    num.erase(num.find_last_not_of(' ') + 1);
    char* end = nullptr;
    const long long n = std::strtoll(num.c_str(), &end, 10);
    if (num.empty() || *end != '\0' || n < 0 || n > 2147483647LL) return std::nullopt;
    return static_cast<int64_t>(static_cast<double>(n) * factor);
  }
  return std::nullopt;
}

bool valid_status(const std::string& s) { return s == "green" || s == "yellow" || s == "red"; }

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

Response root(Call& call) {
  const Query& q = call.t.query;
  auto wanted = q.get("wait_for_status");
  auto timeout = q.get("timeout");
  if (wanted && !valid_status(lower(*wanted))) {
    return call.error(400, "Invalid status '" + *wanted + "' provided. The valid statuses are: green, yellow, red.");
  }
  if (timeout && !parse_timeout_ms(*timeout)) return call.error(400, "Invalid timeout '" + *timeout + "' provided.");
  if (wanted && !timeout) return call.error(400, "A timeout must be provided along with a status.");
  if (wanted && !status_satisfies(node_status(call.c.node), lower(*wanted))) {
    return call.error(408, "Timed out waiting for status '" + lower(*wanted) + "'.");
  }
  return call.respond(detail::build_info(call.c));
}

// ---- /_node -------------------------------------------------------------------------------------

Value node_pipelines(Call& call, bool graph) {
  Value v = Json::object();
  for (const PipelineSnapshot& p : call.c.node.pipelines) call.j.put(v, p.id, detail::node_pipeline(call.c, p, graph));
  return v;
}

Response node(Call& call, const std::vector<std::string>& rest) {
  if (rest.empty() || (rest.size() == 1 && rest[0] != "pipelines")) {
    // Logstash's `/_node/<filter>` route shows no graph, whatever the query says.
    const std::vector<std::string> selected = rest.empty() ? std::vector<std::string>{} : split_filter(rest[0]);
    Value v = Json::object();
    call.j.put(v, "pipelines", node_pipelines(call, false));
    call.j.put(v, "os", detail::node_os(call.c));
    call.j.put(v, "jvm", detail::node_jvm(call.c));
    if (!rest.empty() && selected.empty()) return call.not_found();
    return call.respond(std::move(v), selected);
  }
  if (rest[0] != "pipelines" || rest.size() > 2) return call.not_found();
  const bool graph = flag(call.t.query, "graph");
  (void)flag(call.t.query, "vertices");  // parsed (and refused when invalid) as Logstash does
  Value v = Json::object();
  if (rest.size() == 1) {
    call.j.put(v, "pipelines", node_pipelines(call, graph));
    return call.respond(std::move(v));
  }
  const PipelineSnapshot* p = find_pipeline(call.c.node, rest[1]);
  if (!p) return call.not_found();
  Value one = Json::object();
  call.j.put(one, p->id, detail::node_pipeline(call.c, *p, graph));
  call.j.put(v, "pipelines", std::move(one));
  return call.respond(std::move(v));
}

// ---- /_node/stats -------------------------------------------------------------------------------

Value stats_pipelines(Call& call, bool vertices) {
  Value v = Json::object();
  for (const PipelineSnapshot& p : call.c.node.pipelines) {
    call.j.put(v, p.id, detail::stats_pipeline(call.c, p, vertices));
  }
  return v;
}

Response node_stats(Call& call, const std::vector<std::string>& rest) {
  const bool vertices = flag(call.t.query, "vertices");
  if (!rest.empty() && rest[0] == "pipelines" && rest.size() <= 2) {
    Value v = Json::object();
    if (rest.size() == 1) {
      call.j.put(v, "pipelines", stats_pipelines(call, vertices));
      return call.respond(std::move(v));
    }
    const PipelineSnapshot* p = find_pipeline(call.c.node, rest[1]);
    if (!p) return call.not_found();
    Value one = Json::object();
    call.j.put(one, p->id, detail::stats_pipeline(call.c, *p, vertices));
    call.j.put(v, "pipelines", std::move(one));
    return call.respond(std::move(v));
  }
  if (rest.size() > 1) return call.not_found();
  const std::vector<std::string> selected = rest.empty() ? std::vector<std::string>{} : split_filter(rest[0]);
  if (!rest.empty() && selected.empty()) return call.not_found();
  Value v = Json::object();
  call.j.put(v, "jvm", detail::stats_jvm(call.c));
  call.j.put(v, "process", detail::stats_process(call.c));
  call.j.put(v, "events", detail::stats_events(call.c));
  call.j.put(v, "flow", detail::stats_flow(call.c));
  call.j.put(v, "pipelines", stats_pipelines(call, vertices));
  call.j.put(v, "reloads", detail::stats_reloads(call.c));
  call.j.put(v, "os", Json::object());
  call.j.put(v, "queue", detail::stats_queue(call.c));
  return call.respond(std::move(v), selected);
}

// ---- hot threads --------------------------------------------------------------------------------

Response hot_threads(Call& call, bool allow_human) {
  const Query& q = call.t.query;
  int top = 10;
  if (auto t = q.get("threads")) top = std::atoi(t->c_str());  // Ruby's String#to_i
  if (auto s = q.get("stacktrace_size")) {
    char* end = nullptr;
    std::strtol(s->c_str(), &end, 10);
    if (s->empty() || *end != '\0') throw BadParam("For input string: \"" + *s + "\"");
  }
  if (auto o = q.get("ordered_by"); o && *o != "cpu" && *o != "wait" && *o != "block") {
    throw BadParam("Invalid sort order");
  }
  (void)flag(q, "ignore_idle_threads");
  bool human = false;
  if (allow_human && q.has("human")) {
    const std::string v = *q.get("human");
    human = v.empty() || flag(q, "human");
  }
  std::string text;
  Value report = detail::hot_threads(call.c, top, human ? &text : nullptr);
  if (human) return {200, "text/plain;charset=utf-8", text};
  Value v = Json::object();
  call.j.put(v, "hot_threads", std::move(report));
  return call.respond(std::move(v));
}

// ---- logging ------------------------------------------------------------------------------------

// Sluice has one level for all loggers: PUT accepts `logger.root` / `logger.logstash` (every logger
// Sluice writes descends from them) and /reset restores the level the process started with.
std::mutex g_log_mu;
std::optional<log::Level> g_initial_level;  // guarded by g_log_mu

const char* level_name(log::Level l) {
  switch (l) {
    case log::Level::Trace:
      return "TRACE";
    case log::Level::Debug:
      return "DEBUG";
    case log::Level::Info:
      return "INFO";
    case log::Level::Warn:
      return "WARN";
    case log::Level::Error:
      return "ERROR";
    case log::Level::Fatal:
      return "FATAL";
  }
  return "INFO";
}

Response logging_get(Call& call) {
  std::vector<std::string> names = {"logstash.agent", "logstash.api.service", "logstash.config.source.multilocal",
                                    "logstash.javapipeline", "logstash.runner"};
  for (const RegistryEntry* e : Registry::builtin().all()) {
    names.push_back(std::string("logstash.") + to_string(e->schema.kind) + "s." + e->schema.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const char* level = level_name(log::level());
  Value loggers = Json::object();
  for (const std::string& n : names) call.j.put(loggers, n, level);
  Value v = Json::object();
  call.j.put(v, "loggers", std::move(loggers));
  return call.respond(std::move(v));
}

Response logging_error(Call& call, const std::string& message) {
  Value v = Json::object();
  call.j.put(v, "error", message);
  return call.respond(std::move(v), {}, 400);
}

Response logging_put(Call& call, const std::string& body) {
  rapidjson::Document req;
  if (!parse_json_document(body, req) || !req.IsObject()) {
    return logging_error(call, "The request body must be a JSON object such as {\"logger.root\":\"DEBUG\"}.");
  }
  std::optional<log::Level> wanted;
  for (const auto& m : req.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key.rfind("logger.", 0) != 0) return logging_error(call, "unrecognized option [" + key + "]");
    const std::string name = key.substr(7);
    if (name != "root" && name != "logstash") {
      return logging_error(call, "Sluice has one log level for all loggers; set `logger.root` instead of `" + key + "`.");
    }
    log::Level l;
    const std::string value = m.value.IsString() ? m.value.GetString() : "";
    if (!log::parse_level(lower(value), &l)) {
      return logging_error(call, "Invalid log level '" + value + "': use TRACE, DEBUG, INFO, WARN, ERROR or FATAL.");
    }
    wanted = l;
  }
  if (wanted) {
    std::lock_guard lock(g_log_mu);
    if (!g_initial_level) g_initial_level = log::level();
    log::set_level(*wanted);
  }
  Value v = Json::object();
  call.j.put(v, "acknowledged", true);
  return call.respond(std::move(v));
}

Response logging_reset(Call& call) {
  {
    std::lock_guard lock(g_log_mu);
    if (g_initial_level) log::set_level(*g_initial_level);
  }
  Value v = Json::object();
  call.j.put(v, "acknowledged", true);
  return call.respond(std::move(v));
}

// ---- legacy /_stats -----------------------------------------------------------------------------

Response legacy_stats(Call& call, const std::vector<std::string>& rest) {
  if (rest.size() == 2 && rest[0] == "jvm" && rest[1] == "memory") {
    Value v = Json::object();
    call.j.put(v, "memory", detail::stats_jvm_memory(call.c));
    return call.respond(std::move(v));
  }
  if (rest.size() == 2 && rest[0] == "jvm" && rest[1] == "hot_threads") return hot_threads(call, false);
  if (rest.size() > 1) return call.not_found();
  const std::vector<std::string> selected = rest.empty() ? std::vector<std::string>{} : split_filter(rest[0]);
  if (!rest.empty() && selected.empty()) return call.not_found();
  Value jvm = Json::object();
  const int64_t start = call.c.node.process.start_time_ms > 0 ? call.c.node.process.start_time_ms
                                                               : call.c.node.start_time_ms;
  call.j.put(jvm, "timestamp", start);
  call.j.put(jvm, "uptime_in_millis", start > 0 ? std::max<int64_t>(0, call.c.now_ms - start) : 0);
  call.j.put(jvm, "memory", detail::stats_jvm_memory(call.c));
  Value v = Json::object();
  call.j.put(v, "events", detail::stats_events(call.c));
  call.j.put(v, "jvm", std::move(jvm));
  call.j.put(v, "os", Json::object());
  return call.respond(std::move(v), selected);
}

Response health(Call& call) {
  Value v = detail::base_info(call.c);
  Value report = detail::health_report(call.c);
  for (auto& m : report.GetObject()) v.AddMember(m.name, m.value, call.j.alloc());
  call.j.put(v, "timestamp", detail::iso8601_utc_ms(call.c.now_ms));
  return call.respond_plain(std::move(v));
}

Response route(Call& call, const std::string& method, const std::string& body) {
  const std::vector<std::string> seg = split_path(call.t.path);
  const bool get = method == "GET" || method == "HEAD";
  const bool put = method == "PUT";
  if (seg.empty()) return get ? root(call) : call.not_found();
  const std::vector<std::string> rest(seg.begin() + 1, seg.end());
  if (seg[0] == "_node") {
    if (!rest.empty() && rest[0] == "logging") {
      if (rest.size() == 1 && get) return logging_get(call);
      if (rest.size() == 1 && put) return logging_put(call, body);
      if (rest.size() == 2 && rest[1] == "reset" && put) return logging_reset(call);
      return call.not_found();
    }
    if (!get) return call.not_found();
    if (!rest.empty() && rest[0] == "stats") return node_stats(call, {rest.begin() + 1, rest.end()});
    if (!rest.empty() && rest[0] == "plugins") {
      return rest.size() == 1 ? call.respond(detail::plugins_list(call.c)) : call.not_found();
    }
    if (!rest.empty() && rest[0] == "hot_threads") return rest.size() == 1 ? hot_threads(call, true) : call.not_found();
    return node(call, rest);
  }
  if (!get) return call.not_found();
  if (seg[0] == "_stats") return legacy_stats(call, rest);
  if (seg[0] == "_health_report" && rest.empty()) return health(call);
  return call.not_found();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Response handle(const std::string& method, const std::string& target, const std::string& body,
                const NodeSnapshot& node, int64_t now_ms) {
  Call call(parse_target(target), node, now_ms);
  try {
    return route(call, method, body);
  } catch (const BadParam& e) {
    Value v = Json::object();
    call.j.put(v, "error", e.message);
    return call.respond(std::move(v), {}, 400);
  }
}

Response handle(const std::string& method, const std::string& target, const NodeSnapshot& node) {
  return handle(method, target, std::string(), node, wall_ms());
}

bool status_satisfies(const std::string& current, const std::string& wanted) {
  auto rank = [](const std::string& s) {
    if (s == "green") return 0;
    if (s == "yellow") return 1;
    if (s == "red") return 2;
    return 3;
  };
  const int c = rank(current), w = rank(wanted);
  return c < 3 && w < 3 && c <= w;
}

std::optional<StatusWait> status_wait(const std::string& method, const std::string& target) {
  if (method != "GET" && method != "HEAD") return std::nullopt;
  const Target t = parse_target(target);
  if (t.path != "/") return std::nullopt;
  auto wanted = t.query.get("wait_for_status");
  auto timeout = t.query.get("timeout");
  if (!wanted || !timeout) return std::nullopt;
  const std::string status = lower(*wanted);
  auto ms = parse_timeout_ms(*timeout);
  if (!valid_status(status) || !ms) return std::nullopt;
  return StatusWait{status, *ms};
}

}  // namespace sluice::api
