#include "report/json_report.hpp"

#include <nlohmann/json.hpp>

#include "report/analysis_json.hpp"
#include "report/manifest_json.hpp"

namespace appaudit::report {
namespace {

// nlohmann::ordered_json keeps keys in insertion order: the schema's documented order.
using Json = nlohmann::ordered_json;

Json input_json(const engine::InputInfo& in) {
  return Json{{"file_name", in.file_name},
              {"size", in.size},
              {"sha256", in.sha256},
              {"kind", engine::to_string(in.kind)}};
}

Json certificate_json(const apk::CertificateInfo& c) {
  return Json{{"sha256", c.sha256},       {"sha1", c.sha1},         {"subject", c.subject},
              {"issuer", c.issuer},       {"serial", c.serial_hex}, {"not_before", c.not_before},
              {"not_after", c.not_after}, {"key_type", c.key_type}, {"key_bits", c.key_bits}};
}

Json check_json(const apk::SchemeCheck& c) {
  Json j{{"scheme", c.scheme}, {"verified", c.verified}};
  if (!c.message.empty()) j["message"] = c.message;
  return j;
}

Json signing_json(const apk::SigningInfo& s) {
  Json schemes = Json::array();
  if (s.v1_present) schemes.push_back("v1");
  if (s.v2_present) schemes.push_back("v2");
  if (s.v3_present) schemes.push_back("v3");
  if (s.v31_present) schemes.push_back("v3.1");
  Json checks = Json::array();
  for (const auto& c : s.checks) checks.push_back(check_json(c));
  Json block_ids = Json::array();
  for (uint32_t id : s.block_ids) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", id);
    block_ids.push_back(buf);
  }
  return Json{{"schemes", schemes},
              {"verified", s.verified},
              {"checks", checks},
              {"signing_block", s.signing_block_present},
              {"signing_block_ids", block_ids}};
}

Json signers_json(const apk::SigningInfo& s) {
  Json out = Json::array();
  for (const auto& signer : s.signers) {
    Json j = certificate_json(signer.certificate);
    j["primary"] = signer.primary;
    j["schemes"] = signer.schemes;
    Json checks = Json::array();
    for (const auto& c : signer.checks) checks.push_back(check_json(c));
    j["checks"] = checks;
    if (signer.min_sdk >= 0) j["min_sdk"] = signer.min_sdk;
    if (signer.max_sdk >= 0) j["max_sdk"] = signer.max_sdk;
    if (!signer.lineage_sha256.empty()) j["lineage_sha256"] = signer.lineage_sha256;
    out.push_back(j);
  }
  return out;
}

Json dex_json(const std::vector<engine::DexSummary>& dex) {
  Json out = Json::array();
  for (const auto& d : dex) {
    Json j{{"name", d.name},
           {"version", d.version},
           {"size", d.size},
           {"classes", d.classes},
           {"methods", d.methods},
           {"fields", d.fields},
           {"string_ids", d.string_ids},
           {"type_ids", d.type_ids},
           {"proto_ids", d.proto_ids},
           {"field_ids", d.field_ids},
           {"method_ids", d.method_ids},
           {"code_items", d.code_items},
           {"instructions", d.instructions},
           {"invokes", d.invokes},
           {"invalid_instructions", d.invalid_instructions}};
    if (!d.error.empty()) j["error"] = d.error;
    out.push_back(j);
  }
  return out;
}

Json native_libs_json(const std::vector<apk::NativeLib>& libs) {
  Json out = Json::array();
  for (const auto& l : libs) {
    out.push_back(Json{{"path", l.path},
                       {"abi", l.abi},
                       {"name", l.name},
                       {"size", l.size},
                       {"elf_machine", l.elf_machine},
                       {"elf_class", l.elf_class}});
  }
  return out;
}

Json files_json(const apk::ApkInventory& inv) {
  Json out = Json::array();
  for (const auto& f : inv.files) {
    out.push_back(Json{{"path", f.path},
                       {"kind", f.kind},
                       {"size", f.size},
                       {"compressed_size", f.compressed_size},
                       {"method", f.method}});
  }
  return out;
}

Json diagnostics_json(const Diagnostics& diags) {
  Json out = Json::array();
  for (const auto& d : diags.items()) {
    Json j{{"severity", to_string(d.severity)},
           {"code", d.code},
           {"where", d.where},
           {"message", d.message}};
    if (d.has_offset) j["offset"] = d.offset;
    out.push_back(j);
  }
  return out;
}

} // namespace

std::string render_json(const engine::ScanResult& r, const JsonOptions& options) {
  Json j;
  j["schema_version"] = kSchemaVersion;
  j["tool"] = Json{{"name", "appaudit"}, {"version", "0.1.0"}};
  j["input"] = input_json(r.input);
  bool apk = r.input.kind == engine::InputKind::kApk;
  if (apk) {
    add_manifest_json(r.manifest ? &*r.manifest : nullptr, j);
    j["signing"] = signing_json(r.signing);
    j["signers"] = signers_json(r.signing);
  }
  j["dex"] = dex_json(r.dex);
  j["classes_total"] = r.classes_total;
  j["duplicate_classes"] = r.duplicate_classes;
  if (apk) {
    j["native_libs"] = native_libs_json(r.inventory.native_libs);
    j["files"] = files_json(r.inventory);
  }
  add_analysis_json(r, j);
  j["diagnostics"] = diagnostics_json(r.diagnostics);
  j["diagnostics_dropped"] = r.diagnostics.dropped();
  if (options.include_timings) {
    Json t = Json::array();
    for (const auto& s : r.timings) t.push_back(Json{{"stage", s.stage}, {"ms", s.milliseconds}});
    j["timings"] = t;
  }
  // Invalid UTF-8 from hostile names is replaced, never a throw.
  return j.dump(options.indent, ' ', false, Json::error_handler_t::replace);
}

} // namespace appaudit::report
