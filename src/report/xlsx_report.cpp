#include "report/xlsx_report.hpp"

#include <xlsxwriter.h>

#include <string>
#include <vector>

namespace appaudit::report {
namespace {

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

/// Cells hold at most 32,767 characters (Excel's limit; longer strings are refused).
std::string cell(std::string s) {
  constexpr size_t kMax = 32000;
  if (s.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut; // UTF-8
    s.resize(cut);
    s += "…";
  }
  return s;
}

void header(lxw_worksheet* ws, lxw_format* bold, const std::vector<const char*>& titles) {
  for (size_t c = 0; c < titles.size(); ++c) {
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), titles[c], bold);
  }
  worksheet_freeze_panes(ws, 1, 0);
}

void put(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, const std::string& text) {
  worksheet_write_string(ws, row, col, cell(text).c_str(), nullptr);
}

} // namespace

Status write_xlsx(const engine::ScanResult& r, const std::string& path) {
  lxw_workbook* wb = workbook_new(path.c_str());
  if (wb == nullptr) return make_error(Errc::kIo, "cannot create the spreadsheet", path);
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);

  lxw_worksheet* ws = workbook_add_worksheet(wb, "问题清单 Findings");
  header(ws, bold,
         {"序号 No.", "应用 App", "规则 Rule", "问题类型(164号文) Category", "严重程度 Severity",
          "问题 Title (zh)", "Title (en)", "认定方法条款 Clauses", "涉及方 Party", "证据 Evidence",
          "置信度 Confidence"});
  std::string app = r.input.file_name;
  if (r.manifest) app = r.manifest->package + " " + r.manifest->version_name;
  lxw_row_t row = 1;
  if (r.rules) {
    for (const auto& f : r.rules->findings) {
      std::vector<std::string> ev;
      for (const auto& e : f.evidence) ev.push_back(e.text);
      worksheet_write_number(ws, row, 0, static_cast<double>(row), nullptr);
      put(ws, row, 1, app);
      put(ws, row, 2, f.rule);
      put(ws, row, 3, f.category);
      put(ws, row, 4, f.severity);
      put(ws, row, 5, f.title_zh);
      put(ws, row, 6, f.title);
      put(ws, row, 7, join(f.clauses, ", "));
      put(ws, row, 8, f.party);
      put(ws, row, 9, join(ev, "\n"));
      worksheet_write_number(ws, row, 10, f.confidence, nullptr);
      ++row;
    }
  }
  worksheet_set_column(ws, 5, 6, 36, nullptr);
  worksheet_set_column(ws, 9, 9, 80, nullptr);

  lxw_worksheet* sdk = workbook_add_worksheet(wb, "SDK");
  header(sdk, bold,
         {"SDK", "名称 Name (zh)", "Name (en)", "厂商 Vendor", "类别 Category", "收集 Collects",
          "个人信息类型 PI types", "隐私政策 Privacy policy"});
  row = 1;
  if (r.analysis) {
    for (const auto& s : r.analysis->sdks) {
      const auto& k = *s.detected.sdk;
      put(sdk, row, 0, k.id);
      put(sdk, row, 1, k.name_zh);
      put(sdk, row, 2, k.name_en);
      put(sdk, row, 3, k.vendor);
      put(sdk, row, 4, k.category);
      put(sdk, row, 5, s.pi_types.empty() ? "no" : "yes");
      put(sdk, row, 6, join(s.pi_types, ", "));
      put(sdk, row, 7, k.privacy_policy_url);
      ++row;
    }
  }

  lxw_worksheet* cov = workbook_add_worksheet(wb, "规则覆盖 Rule coverage");
  header(cov, bold, {"规则 Rule", "状态 Status", "原因 Reason", "问题数 Findings"});
  row = 1;
  if (r.rules) {
    for (const auto& c : r.rules->coverage) {
      put(cov, row, 0, c.rule);
      put(cov, row, 1, c.status);
      put(cov, row, 2, c.reason);
      worksheet_write_number(cov, row, 3, static_cast<double>(c.findings), nullptr);
      ++row;
    }
  }
  const lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) {
    return make_error(Errc::kIo, std::string("cannot write the spreadsheet: ") + lxw_strerror(err),
                      path);
  }
  return {};
}

} // namespace appaudit::report
