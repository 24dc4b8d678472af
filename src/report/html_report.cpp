#include "report/html_report.hpp"

#include <initializer_list>
#include <map>
#include <utility>

namespace appaudit::report {
namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters (hostile names) are shown as U+FFFD, never emitted raw.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

struct Text {
  bool zh;
  const char* t(const char* zh_text, const char* en_text) const { return zh ? zh_text : en_text; }
};

using Label = std::pair<const char*, const char*>; // zh, en

/// "<h2>title</h2><table><tr><th>…</th>…</tr>": a section that is a table.
void table_section(std::string& o, const Text& L, Label title, std::initializer_list<Label> cols) {
  o += "<h2>";
  o += L.t(title.first, title.second);
  o += "</h2>\n<table><tr>";
  for (const Label& c : cols) {
    o += "<th>";
    o += L.t(c.first, c.second);
    o += "</th>";
  }
  o += "</tr>";
}

/// Closes a table_section; one row saying "none" when it got no rows, so an empty table
/// reads as checked and empty.
void end_table(std::string& o, const Text& L, size_t rows, int cols) {
  if (rows == 0) {
    o += "<tr><td colspan=\"" + std::to_string(cols) + "\" class=\"info\">";
    o += L.t("无", "None");
    o += "</td></tr>";
  }
  o += "</table>\n";
}

const char* kStyle = R"(
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em}h2{border-bottom:2px solid #444;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #bbb;padding:.3em .5em;
vertical-align:top;text-align:left;font-size:.92em}th{background:#eee}
.high{color:#b00;font-weight:bold}.medium{color:#b60}.low{color:#356}.info{color:#666}
code{font-size:.9em;word-break:break-all}.path{margin:.2em 0 .4em 1em;font-size:.85em;color:#444}
.path code{display:block;margin-left:1em}
.sign{margin-top:3em;display:flex;gap:4em}.sign div{border-top:1px solid #444;padding-top:.3em;min-width:12em}
@media print{body{margin:1cm}h2{page-break-after:avoid}}
)";

} // namespace

std::string render_html(const engine::ScanResult& r, const knowledge::Knowledge& k,
                        std::string_view lang) {
  const Text L{lang != "en"};
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"";
  o += L.zh ? "zh-CN" : "en";
  o += "\"><head><meta charset=\"utf-8\"><title>";
  o += L.t("个人信息收集使用检测报告", "Personal information collection report");
  o += " — " + esc(r.input.file_name) + "</title><style>" + kStyle + "</style></head><body>\n";

  o += "<h1>";
  o += L.t("App 个人信息收集使用检测报告", "App personal-information collection report");
  o += "</h1>\n<table>";
  auto row = [&](const char* zh, const char* en, const std::string& v) {
    o += "<tr><th>";
    o += L.t(zh, en);
    o += "</th><td>" + esc(v) + "</td></tr>";
  };
  row("文件", "File", r.input.file_name + " (" + std::to_string(r.input.size) + " bytes)");
  row("SHA-256", "SHA-256", r.input.sha256);
  if (r.manifest) {
    row("包名", "Package", r.manifest->package);
    row("版本", "Version",
        r.manifest->version_name + " (" + std::to_string(r.manifest->version_code) + ")");
    row("应用名称", "Label",
        (L.zh ? r.manifest->label_zh_cn : r.manifest->label)
            .value_or(r.manifest->label.value_or("")));
    row("targetSdkVersion", "targetSdkVersion", std::to_string(r.manifest->effective_target_sdk));
  }
  if (r.app_type != nullptr) {
    std::string how =
        r.app_type_source == "inferred"
            ? L.t("，由清单推断，置信度 ", "; inferred from the manifest, confidence ") +
                  std::to_string(static_cast<int>(r.app_type_confidence * 100 + 0.5)) + "%"
            : std::string(L.t("，由检测方指定", "; given by the tester"));
    row("App 类型", "App type", r.app_type->name_zh + " (" + r.app_type->id + ")" + how);
  } else if (r.app_type_inference) {
    row("App 类型", "App type",
        L.t("未知（未指定，推断置信度不足）",
            "unknown (not given; inference not confident enough)"));
  }
  row("知识库版本", "Knowledge version", r.knowledge_version);
  o += "</table>\n";

  // Summary by 164 problem type.
  table_section(
      o, L,
      {"按问题类型汇总（工信部信管函〔2020〕164号）", "Summary by problem type (MIIT notice 164)"},
      {{"问题类型", "Problem type"},
       {"high", "high"},
       {"medium", "medium"},
       {"low", "low"},
       {"info", "info"}});
  std::map<std::string, std::map<std::string, int>> by_cat;
  if (r.rules) {
    for (const auto& f : r.rules->findings) ++by_cat[f.category][f.severity];
  }
  for (const auto& pt : k.problem_types()) {
    auto& c = by_cat[pt.id];
    o += "<tr><td>" + esc(L.zh ? pt.name_zh : pt.name_en) + " <code>" + esc(pt.id) + "</code></td>";
    for (const char* s : {"high", "medium", "low", "info"}) {
      o += "<td class=\"" + std::string(s) + "\">" + (c[s] ? std::to_string(c[s]) : "") + "</td>";
    }
    o += "</tr>";
  }
  o += "</table>\n";

  // Findings with evidence paths.
  o += "<h2>";
  o += L.t("检测发现", "Findings");
  o += "</h2>\n";
  if (!r.rules || r.rules->findings.empty()) {
    o += "<p>";
    o += L.t("未发现问题。", "No findings.");
    o += "</p>\n";
  } else {
    int n = 0;
    for (const auto& f : r.rules->findings) {
      o += "<h3 class=\"" + esc(f.severity) + "\">" + std::to_string(++n) + ". " +
           esc(L.zh ? f.title_zh : f.title) + " [" + esc(f.severity) + "]</h3>\n<p>";
      o += L.t("规则", "Rule");
      o += " <code>" + esc(f.rule) + "</code> · ";
      o += L.t("问题类型", "Category");
      o += " <code>" + esc(f.category) + "</code> · ";
      o += L.t("涉及方", "Party");
      o += " <b>" + esc(f.party.empty() ? "—" : f.party) + "</b> · ";
      o += L.t("置信度", "Confidence");
      o += " " + std::to_string(static_cast<int>(f.confidence * 100 + 0.5)) + "%</p>\n";
      if (!f.clauses.empty()) {
        o += "<p>";
        o += L.t("依据（《App违法违规收集使用个人信息行为认定方法》）：",
                 "Clauses (CAC identification method): ");
        for (const auto& c : f.clauses) {
          std::string text;
          for (const auto& item : k.regulation_items()) {
            if (item.id == c) text = L.zh ? item.text_zh : item.text_en;
          }
          o += "<br><code>" + esc(c) + "</code> " + esc(text);
        }
        o += "</p>\n";
      }
      o += "<ul>";
      for (const auto& e : f.evidence) {
        o += "<li>" + esc(e.text);
        if (!e.path.empty()) {
          o += "<div class=\"path\">";
          o += L.t("调用路径：", "Call path: ");
          // One frame a line: a path runs to dozens of long method signatures.
          for (size_t i = 0; i < e.path.size(); ++i) {
            o += std::string("<code>") + (i ? "→ " : "") + esc(e.path[i]) + "</code>";
          }
          o += "</div>";
        }
        o += "</li>";
      }
      o += "</ul>\n";
    }
  }

  // SDKs.
  table_section(o, L, {"第三方 SDK", "Third-party SDKs"},
                {{"SDK", "SDK"},
                 {"厂商", "Vendor"},
                 {"类别", "Category"},
                 {"收集的个人信息", "PI collected"},
                 {"检出依据", "Detected by"}});
  if (r.analysis) {
    for (const auto& s : r.analysis->sdks) {
      std::string pis, ev;
      for (const auto& p : s.pi_types) pis += (pis.empty() ? "" : ", ") + p;
      for (const auto& e : s.detected.evidence)
        ev += (ev.empty() ? "" : "; ") + e.kind + " " + e.value;
      o += "<tr><td>" + esc(L.zh ? s.detected.sdk->name_zh : s.detected.sdk->name_en) + " <code>" +
           esc(s.detected.sdk->id) + "</code></td><td>" + esc(s.detected.sdk->vendor) +
           "</td><td>" + esc(s.detected.sdk->category) + "</td><td>" +
           esc(pis.empty() ? "—" : pis) + "</td><td>" + esc(ev) + "</td></tr>";
    }
  }
  end_table(o, L, r.analysis ? r.analysis->sdks.size() : 0, 5);

  // The privacy policy the app was held to, and where it came from.
  table_section(o, L, {"隐私政策", "Privacy policy"}, {{"项目", "Item"}, {"内容", "Value"}});
  size_t policy_rows = 0;
  if (r.policy) {
    const engine::PolicyScan& p = *r.policy;
    auto prow = [&](const char* zh, const char* en, const std::string& v) {
      o += "<tr><td>";
      o += L.t(zh, en);
      o += "</td><td>" + esc(v) + "</td></tr>";
      ++policy_rows;
    };
    if (p.report) {
      prow("来源", "Source",
           std::string(p.source == "cli" ? L.t("检测方提供", "given by the tester")
                                         : L.t("APK 内", "inside the APK")) +
               ": " + p.where);
      if (p.report->last_updated) prow("更新日期", "Last updated", p.report->last_updated->date);
      std::string sdks, rights;
      for (const auto& m : p.report->sdks) sdks += (sdks.empty() ? "" : ", ") + m.sdk;
      for (const auto& x : p.report->rights) {
        if (x.count > 0) rights += (rights.empty() ? "" : ", ") + x.right;
      }
      prow("个人信息提及", "PI mentions", std::to_string(p.report->mentions.size()));
      prow("列明的 SDK", "SDKs named", sdks.empty() ? "—" : sdks);
      prow("用户权利", "Users' rights", rights.empty() ? "—" : rights);
    } else {
      prow("来源", "Source",
           L.t("未找到（未提供 --policy，APK 内无隐私政策文本）",
               "none found (no --policy, no policy text in the APK)"));
    }
    for (const auto& u : p.urls()) prow("隐私政策链接", "Policy URL", u);
  }
  end_table(o, L, policy_rows, 2);

  // Permissions.
  table_section(o, L, {"权限", "Permissions"},
                {{"权限", "Permission"},
                 {"危险权限", "Dangerous"},
                 {"可达代码使用", "Used by reachable code"}});
  if (r.manifest) {
    std::map<std::string, const analysis::PermissionUse*> uses;
    if (r.analysis) {
      for (const auto& u : r.analysis->permission_use) uses[u.permission] = &u;
    }
    for (const auto& p : r.manifest->uses_permissions) {
      const knowledge::Permission* kp = k.find_permission(p.name);
      auto u = uses.find(p.name);
      std::string used = "—";
      if (u != uses.end() && u->second->guards_api) {
        used = u->second->used ? L.t("是", "yes") + std::string(" (") + u->second->used_by + ")"
                               : L.t("否", "no");
      }
      o += "<tr><td><code>" + esc(p.name) + "</code>" + (kp ? " " + esc(kp->name_zh) : "") +
           "</td><td>" + (kp && kp->runtime ? L.t("是", "yes") : "") + "</td><td>" + esc(used) +
           "</td></tr>";
    }
  }
  end_table(o, L, r.manifest ? r.manifest->uses_permissions.size() : 0, 3);

  // Rule coverage.
  table_section(o, L, {"规则覆盖", "Rule coverage"},
                {{"规则", "Rule"}, {"状态", "Status"}, {"说明", "Reason"}});
  if (r.rules) {
    for (const auto& c : r.rules->coverage) {
      o += "<tr><td><code>" + esc(c.rule) + "</code></td><td>" + esc(c.status) + "</td><td>" +
           esc(c.reason) + "</td></tr>";
    }
  }
  o += "</table>\n";
  if (r.analysis && !r.analysis->packers.empty()) {
    o += "<p class=\"high\">";
    o += L.t("注意：检测到加固，受保护代码对静态分析不可见，以上结果可能不完整。",
             "Note: the app is packed; the protected code is invisible to static analysis and "
             "the results above may be incomplete.");
    o += "</p>\n";
  }
  o += "<div class=\"sign\"><div>";
  o += L.t("检测人员", "Tester");
  o += "</div><div>";
  o += L.t("审核人员", "Reviewer");
  o += "</div><div>";
  o += L.t("日期", "Date");
  o += "</div></div>\n</body></html>\n";
  return o;
}

} // namespace appaudit::report
