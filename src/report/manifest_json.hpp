#pragma once
/// Private to the report layer: the manifest-derived parts of the JSON report
/// (app, application, permissions, declared_permissions, components, meta_data, queries,
/// uses_features, uses_libraries). Included only by json_report.cpp.

#include <nlohmann/json.hpp>

#include "apk/manifest.hpp"

namespace appaudit::report {

/// Adds the manifest-derived fields to `report`; with a null manifest, `app` is null and the
/// arrays are empty, so the shape of the report does not depend on what could be read.
void add_manifest_json(const apk::Manifest* manifest, nlohmann::ordered_json& report);

} // namespace appaudit::report
