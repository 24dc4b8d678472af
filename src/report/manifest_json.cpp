#include "report/manifest_json.hpp"

namespace appaudit::report {
namespace {

using Json = nlohmann::ordered_json;

template <class T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json str_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

/// A resolved attribute value: the final string (references followed), or null.
Json attr_value(const std::optional<apk::AttrValue>& v) {
  if (!v) return nullptr;
  return v->resolved;
}

/// A resource-valued attribute: "type/entry" of the resource when known, else the raw value.
Json attr_resource(const std::optional<apk::AttrValue>& v) {
  if (!v) return nullptr;
  if (v->resource_name) return *v->resource_name;
  return v->raw;
}

Json sdk_api(const std::optional<apk::SdkLevel>& s) {
  if (!s || !s->api) return nullptr;
  return *s->api;
}

Json meta_data_json(const std::vector<apk::MetaData>& items) {
  Json out = Json::array();
  for (const auto& m : items) {
    out.push_back(Json{
        {"name", m.name}, {"value", attr_value(m.value)}, {"resource", attr_resource(m.resource)}});
  }
  return out;
}

Json intent_filters_json(const std::vector<apk::IntentFilter>& filters) {
  Json out = Json::array();
  for (const auto& f : filters) {
    Json data = Json::array();
    for (const auto& d : f.data) {
      Json dj = Json::object();
      auto put = [&dj](const char* key, const std::string& v) {
        if (!v.empty()) dj[key] = v;
      };
      put("scheme", d.scheme);
      put("host", d.host);
      put("port", d.port);
      put("path", d.path);
      put("path_prefix", d.path_prefix);
      put("path_pattern", d.path_pattern);
      put("mime_type", d.mime_type);
      data.push_back(dj);
    }
    out.push_back(Json{{"actions", f.actions},
                       {"categories", f.categories},
                       {"data", data},
                       {"priority", opt(f.priority)}});
  }
  return out;
}

Json component_json(const apk::Component& c) {
  return Json{{"kind", apk::to_string(c.kind)},
              {"name", c.name},
              {"exported", c.effective_exported},
              {"exported_explicit", opt(c.exported)},
              {"exported_reason", apk::to_string(c.exported_reason)},
              {"enabled", opt(c.enabled)},
              {"permission", str_or_null(c.permission)},
              {"read_permission", str_or_null(c.read_permission)},
              {"write_permission", str_or_null(c.write_permission)},
              {"process", str_or_null(c.process)},
              {"authorities", c.authorities},
              {"target_activity", str_or_null(c.target_activity)},
              {"direct_boot_aware", opt(c.direct_boot_aware)},
              {"grant_uri_permissions", opt(c.grant_uri_permissions)},
              {"intent_filters", intent_filters_json(c.intent_filters)},
              {"meta_data", meta_data_json(c.meta_data)}};
}

Json app_json(const apk::Manifest& m) {
  Json j{{"package", m.package},
         {"version_code", m.has_version_code ? Json(m.version_code) : Json(nullptr)},
         {"version_name", str_or_null(m.version_name)},
         {"min_sdk", sdk_api(m.min_sdk)},
         {"target_sdk", sdk_api(m.target_sdk)},
         {"max_sdk", opt(m.max_sdk)},
         {"compile_sdk", opt(m.compile_sdk)},
         {"effective_min_sdk", m.effective_min_sdk},
         {"effective_target_sdk", m.effective_target_sdk},
         {"label", opt(m.label)},
         {"label_zh_cn", opt(m.label_zh_cn)},
         {"launcher_activities", m.launcher_activities},
         {"shared_user_id", str_or_null(m.shared_user_id)}};
  if (m.min_sdk && !m.min_sdk->api) j["min_sdk_codename"] = m.min_sdk->codename;
  if (m.target_sdk && !m.target_sdk->api) j["target_sdk_codename"] = m.target_sdk->codename;
  return j;
}

Json application_json(const apk::Application& a) {
  return Json{{"present", a.present},
              {"name", str_or_null(a.name)},
              {"label", attr_value(a.label)},
              {"allow_backup", opt(a.allow_backup)},
              {"debuggable", opt(a.debuggable)},
              {"uses_cleartext_traffic", opt(a.uses_cleartext_traffic)},
              {"network_security_config", attr_resource(a.network_security_config)},
              {"request_legacy_external_storage", opt(a.request_legacy_external_storage)},
              {"extract_native_libs", opt(a.extract_native_libs)},
              {"test_only", opt(a.test_only)},
              {"persistent", opt(a.persistent)},
              {"has_code", opt(a.has_code)},
              {"large_heap", opt(a.large_heap)},
              {"full_backup_content", attr_resource(a.full_backup_content)},
              {"data_extraction_rules", attr_resource(a.data_extraction_rules)},
              {"app_component_factory", str_or_null(a.app_component_factory)},
              {"process", str_or_null(a.process)},
              {"permission", str_or_null(a.permission)}};
}

} // namespace

void add_manifest_json(const apk::Manifest* manifest, Json& report) {
  if (manifest == nullptr) {
    report["app"] = nullptr;
    report["application"] = nullptr;
    for (const char* key : {"permissions", "declared_permissions", "components", "meta_data",
                            "uses_features", "uses_libraries"}) {
      report[key] = Json::array();
    }
    report["queries"] =
        Json{{"packages", Json::array()}, {"intents", Json::array()}, {"providers", Json::array()}};
    return;
  }
  const apk::Manifest& m = *manifest;
  report["app"] = app_json(m);
  report["application"] = application_json(m.application);

  Json perms = Json::array();
  for (const auto& p : m.uses_permissions) {
    perms.push_back(Json{{"name", p.name},
                         {"tag", p.sdk23 ? "uses-permission-sdk-23" : "uses-permission"},
                         {"max_sdk", opt(p.max_sdk)},
                         {"required", opt(p.required)},
                         {"implied", p.implied},
                         {"implied_reason", str_or_null(p.implied_reason)}});
  }
  report["permissions"] = perms;

  Json declared = Json::array();
  for (const auto& p : m.permissions) {
    declared.push_back(Json{{"name", p.name},
                            {"protection_level", p.protection_level},
                            {"group", str_or_null(p.group)}});
  }
  report["declared_permissions"] = declared;

  Json comps = Json::array();
  for (const auto& c : m.components) comps.push_back(component_json(c));
  report["components"] = comps;
  report["meta_data"] = meta_data_json(m.application.meta_data);
  report["queries"] = Json{{"packages", m.queries.packages},
                           {"intents", intent_filters_json(m.queries.intents)},
                           {"providers", m.queries.providers}};
  Json features = Json::array();
  for (const auto& f : m.uses_features) {
    features.push_back(Json{{"name", str_or_null(f.name)},
                            {"required", f.required},
                            {"gl_es_version", opt(f.gl_es_version)}});
  }
  report["uses_features"] = features;
  Json libs = Json::array();
  for (const auto& l : m.uses_libraries) {
    libs.push_back(Json{{"name", l.name}, {"required", l.required}});
  }
  report["uses_libraries"] = libs;
}

} // namespace appaudit::report
