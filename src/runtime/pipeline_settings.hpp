// How one pipeline runs (pipeline.* and its queue): what the runtime's Pipeline takes. It lives
// with the runtime, as ApiSettings, QueueSettings and the dead letter queue's settings live with
// their folders: src/settings/ fills it (settings::resolve(), pipeline_spec.cpp), the node completes
// it (the queue directory), and the runtime needs nothing from src/settings/.
#pragma once

#include <string>

#include "queue/queue_settings.hpp"

namespace sluice {

struct PipelineSettings {
  std::string id = "main";
  int workers = 0;  // 0: number of cores
  bool workers_explicit = false;  // set by -w / pipeline.workers (pipeline.ordered: auto needs it)
  int batch_size = 125;
  int batch_delay_ms = 50;
  enum class Ordered { Auto, True, False } ordered = Ordered::Auto;
  bool end_to_end_acks = false;  // pipeline.end_to_end_acks (see InputContext::acks_on_delivery)
  pq::QueueSettings queue;  // queue.type memory (default) or persisted, and its settings
  std::string queue_dir;    // persisted: this pipeline's directory (<path.queue>/<id>)
};

}  // namespace sluice
