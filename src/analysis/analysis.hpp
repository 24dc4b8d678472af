#pragma once
/// Who collects what, and when: the facts the rules work from (no verdicts here).
///
/// `analyze` runs over an app's DEX files, manifest and inventory with the knowledge base:
///   1. SDK and packer detection (sdk_detect.hpp);
///   2. one sweep over all code: sensitive call sites (catalog methods, fields, content URIs,
///      settings keys, intent actions, reflection by name), instantiated classes, consent
///      getters;
///   3. entry points from the manifest (provider and application start-up, the launcher's
///      start-up, boot and system receivers, other components);
///   4. the call graph, built on demand from the entry points: direct, static and super calls,
///      virtual/interface calls by class-hierarchy analysis over instantiated classes, static
///      initialisers, callbacks of instantiated framework types (threads, executors, handlers,
///      timers, listeners — UI listeners as user-driven edges) and component starts with a
///      resolvable target;
///   5. two breadth-first searches: reachability from every entry point, and pre-consent
///      reachability from start-up entry points that stops at UI edges and at calls guarded
///      by a recognised consent check;
///   6. collections with party, entry, witness path; permission use; self-start facts.
/// Everything is deterministic: ids and orders follow the DEX files, never hash order.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/sdk_detect.hpp"
#include "apk/apk.hpp"
#include "apk/manifest.hpp"
#include "core/diagnostics.hpp"
#include "dex/class_index.hpp"
#include "dex/dex_file.hpp"
#include "knowledge/knowledge.hpp"

namespace appaudit::analysis {

struct EntryRef {
  std::string kind;      ///< provider_start, application_start, launcher, boot_receiver, ...
  std::string component; ///< manifest class name, "" when none
  std::string method;    ///< descriptor of the entry method
};

struct Collection {
  std::string pi_type;
  std::string api;      ///< catalog target (DEX descriptor, or the literal)
  std::string api_id;   ///< catalog id
  std::string api_kind; ///< method, field, content_uri, settings_key, intent_action, reflection
  std::string caller;   ///< descriptor of the method holding the site
  uint32_t pc = 0;
  std::string party;    ///< "app" or an SDK id
  std::string party_by; ///< "app", "caller", "path"
  bool has_entry = false;
  EntryRef entry;
  bool reachable = false;
  bool pre_consent = false;
  std::string consent_guard; ///< "", "stored_flag", "ui_callback", "sdk_switch"
  std::vector<std::string> path;
  std::vector<std::string> path_via;
  std::vector<std::string> permissions;
};

/// A call that asks the user for runtime permissions (ActivityCompat.requestPermissions, ...).
struct PermissionRequest {
  std::string api;    ///< catalog target
  std::string api_id; ///< catalog id
  std::string caller;
  uint32_t pc = 0;
  /// android.permission.* constants in the requesting method (sorted); empty when the array
  /// comes from elsewhere.
  std::vector<std::string> permissions;
  std::string party, party_by;
  bool reachable = false;
  bool pre_consent = false; ///< reached from start-up before any user action or consent
  bool at_startup = false;  ///< reached from start-up before any user action (consent or not)
  bool has_entry = false;
  EntryRef entry;
  std::vector<std::string> path, path_via;
};

struct PermissionUse {
  std::string permission;
  bool guards_api = false; ///< some catalog API needs it (else `used` is unknown)
  bool used = false;       ///< reachable code calls an API that needs it
  std::string used_by;     ///< first such API (sorted), "" when none
};

struct MissingPermission {
  std::string api;
  std::string caller;
  std::vector<std::string> permissions;
};

struct SelfStart {
  std::string kind; ///< boot_receiver, system_receiver, associated_start, alarm, job
  std::string component;
  std::vector<std::string> actions;
  std::string method;
  std::vector<std::string> starts;
  std::string party;
};

struct AnalysisStats {
  uint64_t classes = 0, methods = 0, call_edges = 0, entry_points = 0, reachable_methods = 0,
           pre_consent_methods = 0;
  /// Reachable methods that branch on a recognised consent flag (a sign of a consent prompt).
  uint64_t consent_checks = 0;
  bool complete = true; ///< false when the call-graph budget stopped the expansion
};

struct AnalysisTiming {
  std::string stage;
  double milliseconds = 0;
};

struct SdkUse {
  DetectedSdk detected;
  std::vector<std::string> pi_types; ///< PI types of collections with this party
};

struct AnalysisResult {
  std::vector<SdkUse> sdks;
  std::vector<DetectedPacker> packers;
  std::vector<Collection> collections;
  std::vector<PermissionUse> permission_use; ///< one per requested permission, manifest order
  std::vector<PermissionRequest> permission_requests; ///< by caller, pc
  std::vector<MissingPermission> missing_permissions;
  std::vector<SelfStart> self_starts;
  AnalysisStats stats;
  std::vector<AnalysisTiming> timings;
};

/// Runs the analyses. `manifest` may be null (loose DEX: no entry points; everything is
/// reported unreachable). Problems (limits hit) go to `diags`; never throws on input.
AnalysisResult analyze(const dex::DexSet& set, const dex::ClassIndex& index,
                       const apk::Manifest* manifest, const apk::ApkInventory& inventory,
                       const knowledge::Knowledge& knowledge, Diagnostics& diags);

} // namespace appaudit::analysis
