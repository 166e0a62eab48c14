// Index templates the elasticsearch output installs (manage_template): Logstash's default template
// for ECS-disabled pipelines, in the legacy (`_template`) or composable (`_index_template`) form.
#pragma once

#include "plugins/outputs/elasticsearch/pool.hpp"

#include <string>
#include <string_view>

namespace sluice::es {

enum class TemplateApi { Legacy, Composable };

// `template_api` option: auto (composable on Elasticsearch >= 8, legacy otherwise, OpenSearch
// included), legacy, composable.
TemplateApi choose_template_api(const ServerInfo& server, std::string_view option);

// The endpoint path for template `name`: `/_template/<name>` or `/_index_template/<name>`.
std::string template_endpoint(TemplateApi api, std::string_view name);

// Logstash's default template (message as norms-free text, every other string text + keyword
// (ignore_above 256), @timestamp date, @version keyword, geoip object) for `index_pattern`
// (`logstash-*`), in the form `api` expects.
std::string default_template(TemplateApi api, std::string_view index_pattern);

// The default template name and index of a given ecs_compatibility mode.
std::string default_template_name(std::string_view ecs_compatibility);
std::string default_index(std::string_view ecs_compatibility);

}  // namespace sluice::es
