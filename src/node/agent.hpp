// The agent: runs every pipeline of the node side by side, serves the monitoring API, and handles
// signals and reloads, as Logstash's agent does.
//
// - Start-up: path.data is created and locked (a second instance on the same path.data stops with
//   Logstash's message), the node's persistent UUID is read or generated, the API starts, then each
//   pipeline is compiled and started. A pipeline that fails to compile or start is logged and
//   counted; the others run. No pipeline running at all: exit 1.
// - SIGINT/SIGTERM: every pipeline stops its inputs and drains; a report of in-flight events is
//   logged every 5 s while waiting; pipeline.unsafe_shutdown forces an exit after 3 stalled
//   reports; a second signal exits 1 at once.
// - Reload (SIGHUP, or every config.reload.interval with config.reload.automatic): the pipeline
//   definitions are re-read; a pipeline whose config text or settings changed is compiled; if it is
//   valid the old pipeline stops and drains completely, then the new one starts (no event is lost:
//   inputs with client acknowledgements, such as beats, leave unacknowledged data with the
//   client); if it is invalid the old one keeps running and the failure is logged and counted in
//   the API's reload stats. Added pipelines start, removed ones stop.
// - Without reload, the process exits (0) once every pipeline has finished.
#pragma once

#include "api/snapshot.hpp"
#include "settings/settings.hpp"

#include <memory>

namespace sluice {

class Agent {
 public:
  Agent(settings::ResolveInput input, settings::NodeSettings node);
  ~Agent();
  // Runs until shutdown; returns the process exit code.
  int run();
  NodeSnapshot snapshot() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
