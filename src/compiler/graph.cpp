// Text and Graphviz renderings of a compiled pipeline, for --config.debug.
#include "compiler/graph.hpp"

#include <sstream>

namespace sluice {
namespace {

void describe_stages(const std::vector<Stage>& stages, int depth, std::ostringstream& out) {
  std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  for (const Stage& s : stages) {
    switch (s.kind) {
      case Stage::Kind::Filter: {
        out << pad << "filter " << (s.filter ? s.filter->id() : "?");
        if (!s.decorations.empty()) out << " (+decorations)";
        out << "\n";
        break;
      }
      case Stage::Kind::Output: out << pad << "output " << (s.output ? s.output->id() : "?") << "\n"; break;
      case Stage::Kind::If:
        for (std::size_t i = 0; i < s.clauses.size(); ++i) {
          const Stage::Clause& c = s.clauses[i];
          if (!c.condition) {
            out << pad << "else\n";
          } else {
            out << pad << (i == 0 ? "if " : "else if ") << c.condition->describe() << "\n";
          }
          if (c.body.empty()) out << pad << "  (nothing)\n";
          describe_stages(c.body, depth + 1, out);
        }
        break;
    }
  }
}

std::string dot_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

class DotWriter {
 public:
  std::ostringstream out;
  int next = 0;

  std::string node(const std::string& label, const char* shape) {
    std::string id = "n" + std::to_string(next++);
    out << "  " << id << " [label=\"" << dot_escape(label) << "\", shape=" << shape << "];\n";
    return id;
  }
  void edge(const std::string& a, const std::string& b, const std::string& label = {}) {
    out << "  " << a << " -> " << b;
    if (!label.empty()) out << " [label=\"" << dot_escape(label) << "\"]";
    out << ";\n";
  }

  // Chains `stages` after every node in `tails`; returns the new tails (the nodes events leave from).
  std::vector<std::pair<std::string, std::string>> chain(const std::vector<Stage>& stages,
                                                         std::vector<std::pair<std::string, std::string>> tails) {
    for (const Stage& s : stages) {
      if (s.kind == Stage::Kind::If) {
        std::vector<std::pair<std::string, std::string>> next_tails;
        std::vector<std::pair<std::string, std::string>> fall = tails;
        for (const Stage::Clause& c : s.clauses) {
          if (!c.condition) {
            auto t = chain(c.body, fall);
            next_tails.insert(next_tails.end(), t.begin(), t.end());
            fall.clear();
            break;
          }
          std::string cond = node(c.condition->describe(), "diamond");
          for (auto& [t, label] : fall) edge(t, cond, label);
          auto t = chain(c.body, {{cond, "true"}});
          next_tails.insert(next_tails.end(), t.begin(), t.end());
          fall = {{cond, "false"}};
        }
        next_tails.insert(next_tails.end(), fall.begin(), fall.end());
        tails = std::move(next_tails);
        continue;
      }
      std::string label = s.kind == Stage::Kind::Filter ? "filter\n" + (s.filter ? s.filter->id() : std::string("?"))
                                                        : "output\n" + (s.output ? s.output->id() : std::string("?"));
      std::string n = node(label, "box");
      for (auto& [t, l] : tails) edge(t, n, l);
      tails = {{n, ""}};
    }
    return tails;
  }
};

}  // namespace

std::string CompiledPipeline::describe() const {
  std::ostringstream out;
  out << "pipeline sources:";
  for (const std::string& s : sources) out << " " << s;
  out << "\ninputs:\n";
  for (const CompiledInput& in : inputs) out << "  input " << (in.input ? in.input->id() : in.name) << "\n";
  out << "filters:\n";
  describe_stages(filter_graph, 1, out);
  out << "outputs:\n";
  describe_stages(output_graph, 1, out);
  return out.str();
}

std::string CompiledPipeline::to_dot() const {
  DotWriter w;
  w.out << "digraph pipeline {\n  rankdir=TB;\n";
  std::string queue = w.node("queue", "cylinder");
  for (const CompiledInput& in : inputs) {
    std::string n = w.node("input\n" + (in.input ? in.input->id() : in.name), "box");
    w.edge(n, queue);
  }
  auto tails = w.chain(filter_graph, {{queue, ""}});
  // Every event leaving the filters goes through the output section.
  std::string join = w.node("outputs", "point");
  for (auto& [t, l] : tails) w.edge(t, join, l);
  (void)w.chain(output_graph, {{join, ""}});
  w.out << "}\n";
  return w.out.str();
}

}  // namespace sluice
