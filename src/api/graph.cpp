// graph_json(): the compiled pipeline as Logstash's LIR graph (config/lir_serializer.rb over
// org.logstash.config.ir.graph), for /_node/pipelines/<id>?graph=true and the monitoring UI's
// pipeline viewer.
//
// Built as Logstash builds it: inputs side by side, each with a plain edge into the `__QUEUE__`
// vertex; the filters chained in order; the outputs side by side. An `if` becomes an `if` vertex
// with `when: true` edges to the roots of its body and `when: false` edges to the roots of its
// else branch; `else if` is an `if` nested in the else branch; a missing branch leaves that edge
// open to whatever follows (an `if` with two empty branches is left out). Logstash's separator
// between filters and outputs is resolved away as its serializer does. Edge ids are Logstash's
// SHA-256 of "from->to" / "from[true]->to"; `if` vertices get a SHA-256 of their source position
// and condition (Logstash hashes the graph and the source).
#include "api/api.hpp"
#include "compiler/graph.hpp"

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace sluice::api {
namespace {

std::string sha256_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0xf]);
  }
  return out;
}

enum class EdgeKind { Plain, True, False };

struct Vertex {
  enum class Type { Plugin, If, Queue, Separator } type = Type::Plugin;
  std::string id;
  bool explicit_id = false;
  std::string config_name, plugin_type;  // plugins
  std::string condition;                 // if
  SourceLoc loc;
  bool has_meta = false;
};

struct Edge {
  size_t from = 0, to = 0;
  EdgeKind kind = EdgeKind::Plain;
};

// A piece of graph under construction: where it is entered, and the edges still open at its end.
struct Piece {
  std::vector<size_t> roots;
  std::vector<std::pair<size_t, EdgeKind>> leaves;
  bool empty() const { return roots.empty(); }
};

class Builder {
 public:
  explicit Builder(const std::set<std::string>& explicit_ids) : explicit_ids_(explicit_ids) {}
  std::vector<Vertex> vertices;
  std::vector<Edge> edges;

  size_t add(Vertex v) {
    vertices.push_back(std::move(v));
    return vertices.size() - 1;
  }

  Piece plugin(const Plugin& p, const std::string& type, const SourceLoc* loc) {
    Vertex v;
    v.type = Vertex::Type::Plugin;
    v.id = p.id();
    v.explicit_id = explicit_ids_.count(p.id()) > 0;
    v.config_name = p.name();
    v.plugin_type = type;
    if (loc && loc->line > 0) {
      v.loc = *loc;
      v.has_meta = true;
    }
    const size_t i = add(std::move(v));
    return Piece{{i}, {{i, EdgeKind::Plain}}};
  }

  void connect(const Piece& from, const Piece& to) {
    for (const auto& [leaf, kind] : from.leaves) {
      for (size_t root : to.roots) edges.push_back({leaf, root, kind});
    }
  }

  // Sequence (filters): each piece's open ends feed the next piece's roots.
  static Piece sequence_of(Builder& b, std::vector<Piece> pieces) {
    Piece out;
    for (Piece& p : pieces) {
      if (p.empty()) continue;
      if (out.empty()) {
        out = std::move(p);
        continue;
      }
      b.connect(out, p);
      out.leaves = std::move(p.leaves);
    }
    return out;
  }

  // Side by side (inputs, outputs).
  static Piece parallel_of(std::vector<Piece> pieces) {
    Piece out;
    for (Piece& p : pieces) {
      out.roots.insert(out.roots.end(), p.roots.begin(), p.roots.end());
      out.leaves.insert(out.leaves.end(), p.leaves.begin(), p.leaves.end());
    }
    return out;
  }

  Piece body(const std::vector<Stage>& stages, bool sequential) {
    std::vector<Piece> pieces;
    for (const Stage& s : stages) pieces.push_back(stage(s, sequential));
    return sequential ? sequence_of(*this, std::move(pieces)) : parallel_of(std::move(pieces));
  }

  Piece stage(const Stage& s, bool sequential) {
    switch (s.kind) {
      case Stage::Kind::Filter:
        return plugin(*s.filter, "filter", &s.loc);
      case Stage::Kind::Output:
        return plugin(*s.output, "output", &s.loc);
      case Stage::Kind::If:
        return conditional(s, 0, sequential);
    }
    return {};
  }

  // Clauses from `first` on: `if` / `else if` chains nest in the else branch; a clause without a
  // condition is the final `else`.
  Piece conditional(const Stage& s, size_t first, bool sequential) {
    if (first >= s.clauses.size()) return {};
    const Stage::Clause& c = s.clauses[first];
    if (!c.condition) return body(c.body, sequential);
    Piece yes = body(c.body, sequential);
    Piece no = conditional(s, first + 1, sequential);
    if (yes.empty() && no.empty()) return {};
    Vertex v;
    v.type = Vertex::Type::If;
    v.condition = c.condition->describe();
    const SourceLoc& loc = c.loc.line > 0 ? c.loc : s.loc;  // this clause's own `if` / `else if`
    v.loc = loc;
    v.has_meta = loc.line > 0;
    const std::string where = loc.file ? loc.file->path : std::string();
    v.id = sha256_hex("if|" + where + "|" + std::to_string(loc.line) + "|" + std::to_string(loc.column) + "|" +
                      std::to_string(first) + "|" + v.condition);
    const size_t i = add(std::move(v));
    Piece out{{i}, {}};
    for (size_t r : yes.roots) edges.push_back({i, r, EdgeKind::True});
    for (size_t r : no.roots) edges.push_back({i, r, EdgeKind::False});
    out.leaves = yes.leaves;
    out.leaves.insert(out.leaves.end(), no.leaves.begin(), no.leaves.end());
    if (yes.empty()) out.leaves.emplace_back(i, EdgeKind::True);
    if (no.empty()) out.leaves.emplace_back(i, EdgeKind::False);
    return out;
  }

  // The edges as serialized: those into the separator are redirected to its targets (keeping
  // their kind), those out of it dropped.
  std::vector<Edge> resolved_edges() const {
    std::vector<Edge> out;
    for (const Edge& e : edges) {
      if (vertices[e.to].type == Vertex::Type::Separator) {
        for (const Edge& o : edges) {
          if (o.from == e.to) out.push_back({e.from, o.to, e.kind});
        }
      } else if (vertices[e.from].type != Vertex::Type::Separator) {
        out.push_back(e);
      }
    }
    return out;
  }
 private:
  const std::set<std::string>& explicit_ids_;
};

template <class W>
void write_meta(W& w, const Vertex& v) {
  w.Key("meta");
  if (!v.has_meta) {
    w.Null();
    return;
  }
  const std::string path = v.loc.file ? v.loc.file->path : std::string();
  const bool string_source = path.empty() || path == "config string";
  w.StartObject();
  w.Key("source");
  w.StartObject();
  w.Key("protocol");
  w.String(string_source ? "string" : "file");
  w.Key("id");
  w.String(string_source ? std::string("config_string") : path);
  w.Key("line");
  w.Uint(v.loc.line);
  w.Key("column");
  w.Uint(v.loc.column);
  w.EndObject();
  w.EndObject();
}

template <class W>
void write_vertex(W& w, const Vertex& v) {
  w.StartObject();
  if (v.type == Vertex::Type::Plugin) {
    w.Key("config_name");
    w.String(v.config_name);
    w.Key("plugin_type");
    w.String(v.plugin_type);
  } else if (v.type == Vertex::Type::If) {
    w.Key("condition");
    w.String(v.condition);
  }
  write_meta(w, v);
  w.Key("id");
  w.String(v.id);
  w.Key("explicit_id");
  w.Bool(v.explicit_id);
  w.Key("type");
  w.String(v.type == Vertex::Type::Plugin ? "plugin" : v.type == Vertex::Type::If ? "if" : "queue");
  w.EndObject();
}

template <class W>
void write_edge(W& w, const Builder& b, const Edge& e) {
  const std::string& from = b.vertices[e.from].id;
  const std::string& to = b.vertices[e.to].id;
  w.StartObject();
  w.Key("from");
  w.String(from);
  w.Key("to");
  w.String(to);
  w.Key("id");
  if (e.kind == EdgeKind::Plain) {
    w.String(sha256_hex(from + "->" + to));
    w.Key("type");
    w.String("plain");
  } else {
    const bool when = e.kind == EdgeKind::True;
    w.String(sha256_hex(from + (when ? "[true]->" : "[false]->") + to));
    w.Key("when");
    w.Bool(when);
    w.Key("type");
    w.String("boolean");
  }
  w.EndObject();
}

}  // namespace

std::string graph_json(const CompiledPipeline& pipeline) {
  Builder b(pipeline.explicit_ids);
  std::vector<Piece> inputs;
  for (const CompiledInput& in : pipeline.inputs) {
    if (in.input) inputs.push_back(b.plugin(*in.input, "input", &in.loc));
  }
  Piece input_section = Builder::parallel_of(std::move(inputs));

  Vertex queue;
  queue.type = Vertex::Type::Queue;
  queue.id = "__QUEUE__";
  const size_t q = b.add(std::move(queue));
  const Piece queue_piece{{q}, {{q, EdgeKind::Plain}}};

  Piece filters = b.body(pipeline.filter_graph, true);

  Vertex sep;
  sep.type = Vertex::Type::Separator;
  sep.id = "filter_to_output";
  const size_t s = b.add(std::move(sep));
  const Piece separator{{s}, {{s, EdgeKind::Plain}}};

  Piece outputs = b.body(pipeline.output_graph, false);

  Builder::sequence_of(b, {input_section, queue_piece, filters, separator, outputs});

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("vertices");
  w.StartArray();
  for (const Vertex& v : b.vertices) {
    if (v.type != Vertex::Type::Separator) write_vertex(w, v);
  }
  w.EndArray();
  w.Key("edges");
  w.StartArray();
  for (const Edge& e : b.resolved_edges()) write_edge(w, b, e);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace sluice::api
