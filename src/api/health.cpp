// /_health_report as Logstash 8.x builds it (org.logstash.health): a root indicator holding a
// `pipelines` indicator holding one probe indicator per pipeline. The pipeline's status probe
// maps its state (LOADING yellow, RUNNING green, FINISHED yellow, TERMINATED red) to a status, a
// diagnosis and an impact with Logstash's own words; the worker-utilization probe needs the 1- and
// 5-minute flow windows, which Sluice does not keep, so it never fires. Symptoms are composed as
// ProbeIndicator and MultiIndicator compose them.
#include "api/render.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace sluice::api::detail {
namespace {

// Logstash's Status enum, in its order (GREEN < UNKNOWN < YELLOW < RED).
enum class Status { Green, Unknown, Yellow, Red };

const char* external(Status s) {
  switch (s) {
    case Status::Green:
      return "green";
    case Status::Unknown:
      return "unknown";
    case Status::Yellow:
      return "yellow";
    case Status::Red:
      return "red";
  }
  return "unknown";
}

const char* descriptive(Status s) {
  switch (s) {
    case Status::Green:
      return "healthy";
    case Status::Unknown:
      return "unknown";
    case Status::Yellow:
      return "concerning";
    case Status::Red:
      return "unhealthy";
  }
  return "unknown";
}

struct Diagnosis {
  std::string id, cause, action, help_url;
};
struct Impact {
  std::string id;
  int severity = 0;
  std::string description;
};
struct Analysis {
  Status status = Status::Green;
  std::optional<Diagnosis> diagnosis;
  std::optional<Impact> impact;
};

// HelpUrl: https://www.elastic.co/guide/en/logstash/<major.minor>/ (`master` from 9 on).
std::string help_url(const std::string& version, const std::string& anchor) {
  int major = 0, minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &major, &minor);
  const std::string branch = major >= 9 ? "master" : std::to_string(major) + "." + std::to_string(minor);
  return "https://www.elastic.co/guide/en/logstash/" + branch + "/health-report-pipeline-status.html#" + anchor;
}

Analysis status_probe(const PipelineSnapshot& p, const std::string& version) {
  const std::string diag = "logstash:health:pipeline:status:diagnosis:";
  const std::string impact = "logstash:health:pipeline:status:impact:not_processing";
  Analysis a;
  switch (p.state) {
    case PipelineSnapshot::State::Running:
      return a;
    case PipelineSnapshot::State::Loading:
      a.status = Status::Yellow;
      a.diagnosis = Diagnosis{diag + "loading", "pipeline is loading",
                              "if pipeline does not come up quickly, you may need to check the logs to see if it is stalled",
                              help_url(version, "loading")};
      a.impact = Impact{impact, 1, "pipeline is loading"};
      return a;
    case PipelineSnapshot::State::Finished:
      a.status = Status::Yellow;
      a.diagnosis = Diagnosis{
          diag + "finished", "pipeline has finished running because its inputs have been closed and events have been processed",
          "if you expect this pipeline to run indefinitely, you will need to configure its inputs to continue receiving or "
          "fetching events",
          help_url(version, "finished")};
      a.impact = Impact{impact, 10, "pipeline has finished running"};
      return a;
    case PipelineSnapshot::State::Terminated:
      a.status = Status::Red;
      a.diagnosis = Diagnosis{diag + "terminated", "pipeline is not running, likely because it has encountered an error",
                              "view logs to determine the cause of abnormal pipeline shutdown",
                              help_url(version, "terminated")};
      a.impact = Impact{impact, 1, "the pipeline is not currently processing"};
      return a;
  }
  return a;
}

const char* state_name(PipelineSnapshot::State s) {
  switch (s) {
    case PipelineSnapshot::State::Loading:
      return "LOADING";
    case PipelineSnapshot::State::Running:
      return "RUNNING";
    case PipelineSnapshot::State::Finished:
      return "FINISHED";
    case PipelineSnapshot::State::Terminated:
      return "TERMINATED";
  }
  return "UNKNOWN";
}

Value pipeline_indicator(Ctx& c, const PipelineSnapshot& p, Status* status) {
  Json& j = c.j;
  const Analysis a = status_probe(p, c.node.version);
  *status = a.status;
  std::string symptom = std::string("The pipeline is ") + descriptive(a.status);
  const int areas = a.impact ? 1 : 0, diagnoses = a.diagnosis ? 1 : 0;
  if (areas + diagnoses > 0) {
    symptom += "; " + std::to_string(areas) + (areas == 1 ? " area is impacted" : " areas are impacted") + " and " +
               std::to_string(diagnoses) + (diagnoses == 1 ? " diagnosis is available" : " diagnoses are available");
  }
  Value v = Json::object();
  j.put(v, "status", external(a.status));
  j.put(v, "symptom", symptom);
  if (a.diagnosis) {
    Value d = Json::object();
    j.put(d, "id", a.diagnosis->id);
    j.put(d, "cause", a.diagnosis->cause);
    j.put(d, "action", a.diagnosis->action);
    j.put(d, "help_url", a.diagnosis->help_url);
    Value list = Json::array();
    j.push(list, std::move(d));
    j.put(v, "diagnosis", std::move(list));
  }
  if (a.impact) {
    Value i = Json::object();
    j.put(i, "id", a.impact->id);
    j.put(i, "severity", a.impact->severity);
    j.put(i, "description", a.impact->description);
    Value areas_list = Json::array();
    j.push(areas_list, j.str("pipeline_execution"));
    j.put(i, "impact_areas", std::move(areas_list));
    Value list = Json::array();
    j.push(list, std::move(i));
    j.put(v, "impacts", std::move(list));
  }
  Value details = Json::object();
  Value st = Json::object();
  j.put(st, "state", state_name(p.state));
  j.put(details, "status", std::move(st));
  if (p.state == PipelineSnapshot::State::Running) {
    Value util = Json::object();
    j.put(util, "current", flow_number(j, p.worker_utilization));
    Value flow = Json::object();
    j.put(flow, "worker_utilization", std::move(util));
    j.put(details, "flow", std::move(flow));
  }
  j.put(v, "details", std::move(details));
  return v;
}

// MultiIndicator's symptom: indicator names grouped by status, most degraded first.
std::string multi_symptom(const std::map<Status, std::set<std::string>>& by_status) {
  std::vector<std::string> parts;
  for (auto it = by_status.rbegin(); it != by_status.rend(); ++it) {
    std::string names;
    for (const std::string& n : it->second) names += (names.empty() ? "" : "`, `") + n;
    parts.push_back(std::to_string(it->second.size()) +
                    (it->second.size() == 1 ? " indicator is " : " indicators are ") + descriptive(it->first) + " (`" +
                    names + "`)");
  }
  if (parts.empty()) return "no indicators";
  if (parts.size() == 1) return parts[0];
  if (parts.size() == 2) return parts[0] + " and " + parts[1];
  std::string s;
  for (size_t i = 0; i + 1 < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s + ", and " + parts.back();
}

Status parse_status(const std::string& s) {
  if (s == "green") return Status::Green;
  if (s == "yellow") return Status::Yellow;
  if (s == "red") return Status::Red;
  return Status::Unknown;
}

}  // namespace

std::string pipelines_status(const NodeSnapshot& node) {
  Status worst = Status::Green;
  for (const PipelineSnapshot& p : node.pipelines) worst = std::max(worst, status_probe(p, node.version).status);
  return external(worst);
}

Value health_report(Ctx& c) {
  Json& j = c.j;
  Status pipelines_status = Status::Green;
  std::map<Status, std::set<std::string>> by_status;
  Value indicators = Json::object();
  for (const PipelineSnapshot& p : c.node.pipelines) {
    Status s = Status::Green;
    Value ind = pipeline_indicator(c, p, &s);
    pipelines_status = std::max(pipelines_status, s);
    by_status[s].insert(p.id);
    j.put(indicators, p.id, std::move(ind));
  }
  Value pipelines = Json::object();
  j.put(pipelines, "status", external(pipelines_status));
  j.put(pipelines, "symptom", multi_symptom(by_status));
  j.put(pipelines, "indicators", std::move(indicators));

  Value root_indicators = Json::object();
  j.put(root_indicators, "pipelines", std::move(pipelines));
  Value v = Json::object();
  j.put(v, "status", external(pipelines_status));
  j.put(v, "symptom", multi_symptom({{pipelines_status, {"pipelines"}}}));
  j.put(v, "indicators", std::move(root_indicators));
  return v;
}

}  // namespace sluice::api::detail

namespace sluice::api {

std::string node_status(const NodeSnapshot& node) {
  using detail::Status;
  return detail::external(std::max(detail::parse_status(node.status), detail::parse_status(detail::pipelines_status(node))));
}

}  // namespace sluice::api
