// Inputs: generator counts/lines/fields/threads/stop, stdin through a pipe on fd 0, tcp over
// loopback (concurrent clients, partial lines, flush on disconnect, per-connection codecs, stop).
#include "plugin_test_util.hpp"
#include "plugins/inputs/tcp_input.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

using namespace sluice;
using namespace sluice::testutil;

namespace {

std::string hostname() {
  char buf[256];
  REQUIRE(::gethostname(buf, sizeof buf) == 0);
  return buf;
}

// Runs input->run(ctx) on a thread; join() waits with a deadline.
class Runner {
 public:
  Runner(Input& in, InputContext& ctx) : fut_(std::async(std::launch::async, [&in, &ctx] { in.run(ctx); })) {}
  bool finished_within(std::chrono::milliseconds d) { return fut_.wait_for(d) == std::future_status::ready; }
  ~Runner() {
    if (fut_.valid()) fut_.wait();
  }

 private:
  std::future<void> fut_;
};

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  return ntohs(sa.sin_port);
}

void send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    s.remove_prefix(static_cast<size_t>(n));
  }
}

std::unique_ptr<Input> tcp_input(const Options& extra = {}, const std::string& codec_name = "line") {
  Options opts{{"host", str("127.0.0.1")}, {"port", num(0)}, {"dns_reverse_lookup_enabled", boolean(false)}};
  for (auto& o : extra) opts.push_back(o);
  return make<Input>(PluginKind::Input, "tcp", opts, codec_factory(codec_name));
}

uint16_t port_of(Input& in) {
  auto* info = dynamic_cast<inputs::TcpListenerInfo*>(&in);
  REQUIRE(info);
  return info->bound_port();
}

}  // namespace

TEST_CASE("generator: count passes over lines, sequence per pass, host", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator", {{"lines", strs({"a", "b"})}, {"count", num(3)}},
                        codec_factory("plain"));
  CollectingContext ctx;
  in->run(ctx);
  auto evs = ctx.take();
  REQUIRE(evs.size() == 6);
  const char* msgs[] = {"a", "b", "a", "b", "a", "b"};
  const char* seqs[] = {"0", "0", "1", "1", "2", "2"};
  for (size_t i = 0; i < 6; ++i) {
    CHECK(field(*evs[i], "message") == msgs[i]);
    CHECK(field(*evs[i], "sequence") == seqs[i]);
    CHECK(field(*evs[i], "host") == hostname());
  }
  CHECK(evs[0]->data()["sequence"].IsInt64());
}

TEST_CASE("generator: default message, ECS v8 field names", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator", {{"count", num(2)}, {"ecs_compatibility", str("v8")}},
                        codec_factory("plain"));
  CollectingContext ctx;
  in->run(ctx);
  auto evs = ctx.take();
  REQUIRE(evs.size() == 2);
  CHECK(field(*evs[0], "message") == "Hello world!");
  CHECK(field(*evs[1], "[event][sequence]") == "1");
  CHECK(field(*evs[1], "[host][name]") == hostname());
  CHECK(field(*evs[1], "sequence") == "<missing>");
}

TEST_CASE("generator: threads each emit count passes", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator", {{"count", num(5)}, {"threads", num(3)}},
                        codec_factory("plain"));
  CollectingContext ctx;
  in->run(ctx);
  CHECK(ctx.size() == 15);
}

TEST_CASE("generator: json codec decodes each line", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator",
                        {{"message", str(R"({"tags": {"poison":true} })")}, {"count", num(1)}}, codec_factory("json"));
  CollectingContext ctx;
  in->run(ctx);
  auto evs = ctx.take();
  REQUIRE(evs.size() == 1);
  CHECK(evs[0]->has_tag("_tagsparsefailure"));
}

TEST_CASE("generator: count 0 runs until stop()", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator", {}, codec_factory("plain"));
  CollectingContext ctx;
  {
    Runner r(*in, ctx);
    REQUIRE(ctx.wait_for(1000) >= 1000);
    in->stop();
    CHECK(r.finished_within(std::chrono::seconds(5)));
  }
}

TEST_CASE("generator: a closed pipeline ends run()", "[input][generator]") {
  auto in = make<Input>(PluginKind::Input, "generator", {}, codec_factory("plain"));
  CollectingContext ctx;
  ctx.close();
  in->run(ctx);  // returns: push() refuses
  CHECK(ctx.size() == 0);
}

namespace {

// Replaces fd 0 by the read end of a pipe for the lifetime of the object.
class StdinPipe {
 public:
  StdinPipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    saved_ = ::dup(STDIN_FILENO);
    ::dup2(fds[0], STDIN_FILENO);
    ::close(fds[0]);
    write_fd_ = fds[1];
  }
  ~StdinPipe() {
    close_writer();
    ::dup2(saved_, STDIN_FILENO);
    ::close(saved_);
  }
  void write(std::string_view s) { REQUIRE(::write(write_fd_, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
  void close_writer() {
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
  }

 private:
  int saved_ = -1;
  int write_fd_ = -1;
};

}  // namespace

TEST_CASE("stdin: lines until EOF, last partial line flushed, host added", "[input][stdin]") {
  StdinPipe pipe;
  auto in = make<Input>(PluginKind::Input, "stdin", {}, codec_factory("line"));
  pipe.write("one\ntwo\nthree");
  pipe.close_writer();
  CollectingContext ctx;
  in->run(ctx);
  auto evs = ctx.take();
  REQUIRE(evs.size() == 3);
  CHECK(field(*evs[0], "message") == "one");
  CHECK(field(*evs[2], "message") == "three");
  CHECK(field(*evs[0], "host") == hostname());
}

TEST_CASE("stdin: plain codec switches to line; ECS v8 fields", "[input][stdin]") {
  StdinPipe pipe;
  auto in = make<Input>(PluginKind::Input, "stdin", {{"ecs_compatibility", str("v8")}}, codec_factory("plain"));
  pipe.write("a foo bar\n");
  pipe.close_writer();
  CollectingContext ctx;
  in->run(ctx);
  auto evs = ctx.take();
  REQUIRE(evs.size() == 1);
  CHECK(field(*evs[0], "message") == "a foo bar");
  CHECK(field(*evs[0], "[host][hostname]") == hostname());
  CHECK(field(*evs[0], "[event][original]") == "a foo bar\n");
}

TEST_CASE("stdin: stop() ends a blocked read promptly", "[input][stdin]") {
  StdinPipe pipe;
  auto in = make<Input>(PluginKind::Input, "stdin", {}, codec_factory("line"));
  CollectingContext ctx;
  Runner r(*in, ctx);
  pipe.write("x\n");
  REQUIRE(ctx.wait_for(1) == 1);
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
}

TEST_CASE("tcp: unsupported options are rejected", "[input][tcp]") {
  CHECK_THROWS_AS(tcp_input({{"mode", str("client")}}), PluginConfigError);
  CHECK_THROWS_AS(tcp_input({{"ssl_enabled", boolean(true)}}), PluginConfigError);
  CHECK_THROWS_AS(tcp_input({{"ssl_enable", boolean(true)}}), PluginConfigError);
  CHECK_THROWS_AS(tcp_input({{"ssl_certificate", str("/tmp/x.crt")}}), PluginConfigError);
  CHECK_NOTHROW(tcp_input({{"ssl_verify", boolean(true)}}));  // the default value is fine
}

TEST_CASE("tcp: concurrent clients, partial lines, flush on disconnect, fields", "[input][tcp]") {
  auto in = tcp_input();
  in->start();
  const uint16_t port = port_of(*in);
  REQUIRE(port != 0);
  CollectingContext ctx;
  Runner r(*in, ctx);

  int a = connect_loopback(port);
  int b = connect_loopback(port);
  int c = connect_loopback(port);
  send_all(a, "a1\na");
  send_all(b, "b1\n");
  send_all(c, "c1\nc2\nc-partial");
  send_all(a, "2\n");
  REQUIRE(ctx.wait_for(5) >= 5);
  ::close(c);  // mid-line: "c-partial" is flushed as an event
  REQUIRE(ctx.wait_for(6) >= 6);
  const uint16_t pa = local_port(a);

  std::map<std::string, const Event*> by_msg;
  auto evs = ctx.take();
  for (auto& e : evs) by_msg[field(*e, "message")] = e.get();
  for (const char* m : {"a1", "a2", "b1", "c1", "c2", "c-partial"}) {
    INFO(m);
    CHECK(by_msg.count(m) == 1);
  }
  const Event& ea = *by_msg["a2"];
  CHECK(field(ea, "host") == "127.0.0.1");
  CHECK(field(ea, "[@metadata][ip_address]") == "127.0.0.1");
  CHECK(field(ea, "port") == std::to_string(pa));
  CHECK(ea.data()["port"].IsInt64());

  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  ::close(a);
  ::close(b);
}

TEST_CASE("tcp: json codec becomes json_lines; garbage affects only its connection", "[input][tcp]") {
  auto in = tcp_input({{"ecs_compatibility", str("v8")}}, "json");
  in->start();
  const uint16_t port = port_of(*in);
  CollectingContext ctx;
  Runner r(*in, ctx);
  int good = connect_loopback(port);
  int bad = connect_loopback(port);
  send_all(bad, "\x01\x02garbage{{{\n");
  send_all(good, "{\"n\":1}\n{\"n\":2}\n");
  REQUIRE(ctx.wait_for(3) >= 3);
  auto evs = ctx.take();
  int ok = 0, failed = 0;
  for (auto& e : evs) {
    if (e->has_tag("_jsonparsefailure")) {
      ++failed;
    } else {
      ++ok;
      CHECK(field(*e, "[@metadata][input][tcp][source][ip]") == "127.0.0.1");
      CHECK(field(*e, "[@metadata][input][tcp][source][port]") == std::to_string(local_port(good)));
      CHECK(field(*e, "host") == "<missing>");
    }
  }
  CHECK(ok == 2);
  CHECK(failed == 1);
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  ::close(good);
  ::close(bad);
}

TEST_CASE("tcp: proxy protocol v1 header", "[input][tcp]") {
  auto in = tcp_input({{"proxy_protocol", boolean(true)}});
  in->start();
  CollectingContext ctx;
  Runner r(*in, ctx);
  int fd = connect_loopback(port_of(*in));
  send_all(fd, "PROXY TCP4 192.0.2.1 198.51.100.2 51234 5000\r\nhello\n");
  REQUIRE(ctx.wait_for(1) >= 1);
  auto evs = ctx.take();
  CHECK(field(*evs[0], "message") == "hello");
  CHECK(field(*evs[0], "host") == "192.0.2.1");
  CHECK(field(*evs[0], "port") == "51234");
  CHECK(field(*evs[0], "proxy_host") == "198.51.100.2");
  CHECK(field(*evs[0], "proxy_port") == "5000");
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  ::close(fd);
}

TEST_CASE("tcp: stop() with idle open connections returns promptly", "[input][tcp]") {
  auto in = tcp_input();
  in->start();
  CollectingContext ctx;
  Runner r(*in, ctx);
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(connect_loopback(port_of(*in)));
  send_all(fds[0], "x\n");
  REQUIRE(ctx.wait_for(1) >= 1);
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  for (int fd : fds) ::close(fd);
}

namespace {

// True if the peer closed `fd` within `d` (reads and drops whatever arrives).
bool closed_by_peer(int fd, std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tcp: client_inactivity_timeout closes idle connections (Sluice only; off by default)", "[input][tcp]") {
  CHECK_THROWS_AS(tcp_input({{"client_inactivity_timeout", num(-1)}}), PluginConfigError);
  auto in = tcp_input({{"client_inactivity_timeout", ConfigValue::make_float(0.5)}});
  in->start();
  CollectingContext ctx;
  Runner r(*in, ctx);
  const uint16_t port = port_of(*in);
  int idle = connect_loopback(port);
  int partial = connect_loopback(port);
  int busy = connect_loopback(port);
  send_all(partial, "no newline yet");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 12; ++i) {  // 1.2 s of a line every 100 ms
    send_all(busy, "tick\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(closed_by_peer(idle, std::chrono::milliseconds(100)));
  CHECK(closed_by_peer(partial, std::chrono::milliseconds(100)));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(450));
  CHECK_FALSE(closed_by_peer(busy, std::chrono::milliseconds(100)));
  REQUIRE(ctx.wait_for(13) >= 13);  // 12 ticks and the partial line, flushed on close
  int partial_events = 0;
  for (auto& e : ctx.take()) partial_events += field(*e, "message") == "no newline yet";
  CHECK(partial_events == 1);
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  for (int fd : {idle, partial, busy}) ::close(fd);

  // Without the option, idle connections stay open (Logstash's behaviour).
  auto plain = tcp_input();
  plain->start();
  CollectingContext ctx2;
  Runner r2(*plain, ctx2);
  int quiet = connect_loopback(port_of(*plain));
  CHECK_FALSE(closed_by_peer(quiet, std::chrono::milliseconds(700)));
  plain->stop();
  CHECK(r2.finished_within(std::chrono::seconds(5)));
  ::close(quiet);
}

TEST_CASE("tcp: at max_connections the connection longest without an event is closed", "[input][tcp]") {
  auto in = tcp_input({{"max_connections", num(2)}});
  in->start();
  CollectingContext ctx;
  Runner r(*in, ctx);
  const uint16_t port = port_of(*in);
  int trickler = connect_loopback(port);
  int a = connect_loopback(port);
  send_all(trickler, "slo");  // never completes its line
  send_all(a, "a1\n");
  REQUIRE(ctx.wait_for(1) >= 1);
  int b = connect_loopback(port);  // evicts the trickler (it connected first and completed nothing)
  CHECK(closed_by_peer(trickler, std::chrono::seconds(2)));
  send_all(b, "b1\n");
  REQUIRE(ctx.wait_for(3) >= 3);  // a1, the trickler's partial line (flushed on close), b1
  send_all(a, "a2\n");
  REQUIRE(ctx.wait_for(4) >= 4);
  int c = connect_loopback(port);  // now b has gone longest without an event
  CHECK(closed_by_peer(b, std::chrono::seconds(2)));
  CHECK_FALSE(closed_by_peer(a, std::chrono::milliseconds(200)));
  send_all(c, "c1\n");
  REQUIRE(ctx.wait_for(5) >= 5);
  std::set<std::string> msgs;
  for (auto& e : ctx.take()) msgs.insert(field(*e, "message"));
  CHECK(msgs == std::set<std::string>{"a1", "a2", "b1", "c1", "slo"});
  CHECK_THROWS_AS(tcp_input({{"max_connections", num(-3)}}), PluginConfigError);
  in->stop();
  CHECK(r.finished_within(std::chrono::seconds(5)));
  for (int fd : {trickler, a, b, c}) ::close(fd);
}

TEST_CASE("tcp: a port in use is a start error", "[input][tcp]") {
  auto first = tcp_input();
  first->start();
  auto second = tcp_input({{"port", num(port_of(*first))}});
  CHECK_THROWS_AS(second->start(), std::runtime_error);
}

TEST_CASE("every input and output option has a description", "[input][schema]") {
  for (auto [kind, name] : std::vector<std::pair<PluginKind, const char*>>{{PluginKind::Input, "stdin"},
                                                                             {PluginKind::Input, "generator"},
                                                                             {PluginKind::Input, "tcp"},
                                                                             {PluginKind::Output, "stdout"},
                                                                             {PluginKind::Output, "null"}}) {
    const RegistryEntry* e = Registry::builtin().find(kind, name);
    REQUIRE(e);
    for (const OptionSpec& o : e->schema.options) {
      INFO(name << "." << o.name);
      CHECK(!o.description.empty());
    }
  }
}
