#include "report/text_report.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace appaudit::report {
namespace {

/// Appends `a` with C0 controls and DEL escaped as \xNN: names from a hostile APK must not
/// drive the terminal (escape sequences, carriage returns).
void append_escaped(std::string& out, const std::string& a) {
  static const char* kHex = "0123456789abcdef";
  for (char ch : a) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
}

/// Appends `fmt` with its single "%s" replaced by `a` (no length limit, no printf parsing).
void line(std::string& out, std::string_view fmt, const std::string& a) {
  size_t p = fmt.find("%s");
  out.append(fmt.substr(0, p));
  append_escaped(out, a);
  if (p != std::string_view::npos) out.append(fmt.substr(p + 2));
}

std::string yes_no(const std::optional<bool>& v) {
  if (!v) return "(not set)";
  return *v ? "yes" : "no";
}

} // namespace

std::string render_text(const engine::ScanResult& r, bool include_timings) {
  std::string out;
  line(out, "%s\n",
       r.input.file_name + " (" + engine::to_string(r.input.kind) + ", " +
           std::to_string(r.input.size) + " bytes)");
  line(out, "  sha256       %s\n", r.input.sha256);
  if (r.manifest) {
    const apk::Manifest& m = *r.manifest;
    line(out, "  package      %s\n", m.package);
    line(out, "  version      %s\n", m.version_name + " (" + std::to_string(m.version_code) + ")");
    line(out, "  sdk          %s\n",
         "min " + (m.min_sdk ? m.min_sdk->text() : std::string("(not set)")) + ", target " +
             (m.target_sdk ? m.target_sdk->text() : std::string("(not set)")) +
             (m.max_sdk ? ", max " + std::to_string(*m.max_sdk) : std::string()));
    std::string label = m.label.value_or("(none)");
    if (m.label_zh_cn && m.label_zh_cn != m.label) label += " / zh-CN: " + *m.label_zh_cn;
    line(out, "  label        %s\n", label);
    for (const auto& l : m.launcher_activities) line(out, "  launcher     %s\n", l);
    line(out, "  application  %s\n",
         (m.application.name.empty() ? std::string("(default)") : m.application.name) +
             "  allowBackup=" + yes_no(m.application.allow_backup) +
             " debuggable=" + yes_no(m.application.debuggable) +
             " usesCleartextTraffic=" + yes_no(m.application.uses_cleartext_traffic));
    line(out, "\n  permissions (%s)\n", std::to_string(m.uses_permissions.size()));
    for (const auto& p : m.uses_permissions) {
      line(out, "    %s\n",
           p.name + (p.max_sdk ? "  (maxSdk " + std::to_string(*p.max_sdk) + ")" : std::string()) +
               (p.sdk23 ? "  [sdk-23]" : ""));
    }
    size_t exported = 0;
    for (const auto& c : m.components) exported += c.effective_exported ? 1 : 0;
    line(out, "\n  components (%s)\n",
         std::to_string(m.components.size()) + ", " + std::to_string(exported) + " exported");
    for (const auto& c : m.components) {
      line(out, "    %s\n",
           std::string(apk::to_string(c.kind)) + " " + c.name +
               (c.effective_exported ? "  [exported]" : ""));
    }
  } else if (r.input.kind == engine::InputKind::kApk) {
    out += "  manifest     (unreadable, see diagnostics)\n";
  }
  if (r.input.kind == engine::InputKind::kApk) {
    std::string schemes;
    if (r.signing.v1_present) schemes += " v1";
    if (r.signing.v2_present) schemes += " v2";
    if (r.signing.v3_present) schemes += " v3";
    if (r.signing.v31_present) schemes += " v3.1";
    line(out, "\n  signing     %s\n",
         (schemes.empty() ? std::string(" unsigned") : schemes) +
             (r.signing.verified ? "  (verified)" : "  (NOT verified)"));
    for (const auto& s : r.signing.signers) {
      line(out, "    %s\n", s.certificate.subject);
      line(out, "      sha256 %s\n", s.certificate.sha256);
    }
    if (!r.inventory.native_libs.empty()) {
      line(out, "\n  native libs (%s)\n", std::to_string(r.inventory.native_libs.size()));
      for (const auto& l : r.inventory.native_libs) {
        line(out, "    %s\n", l.path + "  " + l.elf_machine + "  " + std::to_string(l.size));
      }
    }
  }
  line(out, "\n  dex files (%s)\n",
       std::to_string(r.dex.size()) + ", " + std::to_string(r.classes_total) + " distinct classes");
  for (const auto& d : r.dex) {
    line(out, "    %s\n",
         d.name + "  v0" + std::to_string(d.version) + "  " + std::to_string(d.classes) +
             " classes, " + std::to_string(d.methods) + " methods, " +
             std::to_string(d.instructions) + " instructions" +
             (d.error.empty() ? std::string() : "  ERROR: " + d.error));
  }
  if (r.analysis) {
    const analysis::AnalysisResult& a = *r.analysis;
    for (const auto& p : a.packers) {
      line(out, "\n  PACKED       %s\n",
           p.packer->name_en + " (" + p.packer->vendor +
               "): the protected code is not visible to static analysis");
    }
    line(out, "\n  sdks (%s)\n", std::to_string(a.sdks.size()));
    for (const auto& s : a.sdks) {
      std::string pis;
      for (const auto& p : s.pi_types) pis += (pis.empty() ? "" : ", ") + p;
      line(out, "    %s\n",
           s.detected.sdk->id + "  " + s.detected.sdk->name_zh + " / " + s.detected.sdk->name_en +
               (pis.empty() ? std::string("  (no collection seen)") : "  collects: " + pis));
    }
    size_t reachable = 0, pre = 0;
    for (const auto& c : a.collections) {
      reachable += c.reachable ? 1 : 0;
      pre += c.pre_consent ? 1 : 0;
    }
    line(out, "\n  collections (%s)\n",
         std::to_string(a.collections.size()) + ", " + std::to_string(reachable) + " reachable, " +
             std::to_string(pre) + " before consent");
    for (const auto& c : a.collections) {
      if (!c.pre_consent) continue;
      line(out, "    PRE-CONSENT %s\n",
           c.pi_type + " by " + c.party + " via " + c.api + " in " + c.caller + " (from " +
               c.entry.kind + ")");
    }
    for (const auto& s : a.self_starts) {
      std::string starts;
      for (const auto& x : s.starts) starts += (starts.empty() ? "" : ", ") + x;
      line(out, "  self-start   %s\n",
           s.kind + " " + (s.component.empty() ? s.method : s.component) +
               (starts.empty() ? std::string() : " -> " + starts));
    }
  }
  if (r.policy) {
    const engine::PolicyScan& p = *r.policy;
    std::string v = p.report
                        ? p.where + " (" + (p.source == "cli" ? "given" : "in the APK") + ", " +
                              std::to_string(p.report->mentions.size()) + " PI mentions)"
                        : std::string("none found");
    for (const auto& u : p.urls()) v += "; URL " + u;
    line(out, "\n  policy       %s\n", v);
  }
  if (r.rules) {
    if (r.app_type != nullptr) {
      line(out, "\n  app type     %s\n",
           r.app_type->id + " (" + r.app_type->name_zh + "), " +
               (r.app_type_source == "inferred"
                    ? "inferred, confidence " +
                          std::to_string(static_cast<int>(r.app_type_confidence * 100 + 0.5)) + "%"
                    : std::string("given")));
    } else {
      line(out, "\n  app type     %s\n", std::string("unknown (give --app-type)"));
    }
    line(out, "\n  findings (%s)\n", std::to_string(r.rules->findings.size()));
    for (const auto& f : r.rules->findings) {
      std::string clauses;
      for (const auto& c : f.clauses) clauses += (clauses.empty() ? "" : ",") + c;
      line(out, "    %s\n",
           f.severity + "  " + f.rule + (f.party.empty() ? std::string() : " [" + f.party + "]") +
               "  " + f.title_zh + " / " + f.title + "  (" + f.category +
               (clauses.empty() ? std::string() : "; " + clauses) + ")");
    }
    size_t na = 0;
    for (const auto& c : r.rules->coverage) na += c.status == "not_applicable" ? 1 : 0;
    line(out, "  rules        %s\n",
         std::to_string(r.rules->coverage.size()) + " run, " + std::to_string(na) +
             " not applicable (see rule_coverage in the JSON report)");
  }
  if (!r.diagnostics.empty()) {
    line(out, "\n  diagnostics (%s)\n",
         std::to_string(r.diagnostics.items().size() + r.diagnostics.dropped()));
    for (const auto& d : r.diagnostics.items()) {
      line(out, "    %s\n",
           std::string(to_string(d.severity)) + " " + d.code + ": " + d.where + ": " + d.message);
    }
  }
  if (include_timings) {
    out += "\n  timings\n";
    for (const auto& t : r.timings) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "    %-18s %8.2f ms\n", t.stage.c_str(), t.milliseconds);
      out += buf;
    }
  }
  return out;
}

} // namespace appaudit::report
