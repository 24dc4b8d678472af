#pragma once
/// The app's privacy policy for a scan: the file given with `scan --policy FILE`, else the
/// best policy found inside the APK, read by the policy layer; plus every candidate seen, so a
/// reviewer knows where to look when the policy is online (a URL in the app's strings or code).
///
/// Where it looks (bounded): files under assets/ and res/raw/ with a text or HTML extension or
/// a policy-like name; string resources (the resources.arsc global string pool) holding policy
/// text, a consent dialog's text or a policy URL; string constants of the DEX files holding a
/// policy URL. A text is a policy when the reader finds a policy title and at least
/// kMinPolicyMentions PI mentions.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apk/arsc.hpp"
#include "apk/zip.hpp"
#include "core/diagnostics.hpp"
#include "dex/dex_file.hpp"
#include "knowledge/knowledge.hpp"
#include "policy/policy.hpp"
#include "policy/text.hpp"

namespace appaudit::engine {

inline constexpr uint32_t kMinPolicyMentions = 5;

struct PolicyCandidate {
  /// file (assets/, res/raw/), string_text (a string resource, or literal text in a compiled
  /// layout, holding policy text), dialog_text (a short string resource or literal layout
  /// text asking to agree to the policy), url (in string resources, layouts or code)
  std::string kind;
  std::string
      where; ///< entry name (a file or a layout), "resources.arsc string #N", or the DEX file name
  std::string url; ///< kind url only
  uint32_t mentions = 0;
  bool looks_like_policy = false;
};

struct PolicyScan {
  std::string source; ///< "cli" (--policy), "apk" (found inside), "" (none)
  std::string where;  ///< the file given, or the candidate used
  uint64_t size = 0;  ///< bytes of the policy read
  std::optional<policy::PolicyText> text;
  std::optional<policy::PolicyReport> report;
  std::vector<PolicyCandidate> candidates;
  bool found() const { return report.has_value(); }
  /// A string resource reads like a first-run consent dialog (asks to read/agree to the policy).
  bool has_dialog_text() const;
  /// Policy URLs seen in the app (strings or code).
  std::vector<std::string> urls() const;
};

/// Reads the policy file given on the command line (`path` non-empty) and/or looks inside the
/// APK (`zip` non-null). Problems go to `diags`; a given file that cannot be read is an error
/// diagnostic, and the in-APK policy is used instead when there is one.
PolicyScan scan_policy(const std::string& path, const apk::ZipArchive* zip,
                       const apk::ResourceTable* resources, const dex::DexSet* dex,
                       const knowledge::Knowledge& k, Diagnostics& diags);

} // namespace appaudit::engine
