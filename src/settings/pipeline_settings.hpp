// How one pipeline runs (pipeline.* and its queue): the part of a pipeline's settings that the
// runtime's Pipeline takes. Filled by settings::resolve() (src/settings/pipeline_spec.cpp) and
// completed by the agent (the queue); kept small so that src/runtime/pipeline.hpp needs only this
// from src/settings/.
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
