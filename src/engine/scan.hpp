#pragma once
/// The scan pipeline: one input file in, one ScanResult out.
///
/// Stages run in a fixed order, listed in one place (scan.cpp: `scan_file`), each timed:
///   open      map the file, detect APK (ZIP) or DEX by content, SHA-256 of the input
///   zip       central directory (apk/zip)
///   inventory files, native libraries, DEX entries Android loads (apk/apk)
///   manifest  resources.arsc + AndroidManifest.xml → manifest model (apk/arsc, axml, manifest)
///   signing   v1/v2/v3 signatures (apk/signing)
///   dex       inflate and open every DEX, index classes across them, walk every class,
///             method and code item and decode every instruction (dex/)
/// A stage that fails on a usable input leaves a diagnostic and the scan goes on; only an
/// input that is neither a readable APK nor a DEX is an error (exit code 2 in the CLI).
/// The result is a pure function of the input bytes: nothing depends on time or order of
/// hash-map iteration (timings are kept apart and reported only on request).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "analysis/app_type.hpp"
#include "apk/apk.hpp"
#include "apk/manifest.hpp"
#include "apk/signing.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"
#include "engine/policy_scan.hpp"
#include "rules/rules.hpp"

namespace appaudit::engine {

enum class InputKind { kApk, kDex };
const char* to_string(InputKind kind);

struct InputInfo {
  std::string path;
  std::string file_name;
  uint64_t size = 0;
  std::string sha256; ///< lowercase hex of the whole input file
  InputKind kind = InputKind::kApk;
};

/// What one DEX file holds, counted the way `dexdump` lists it.
struct DexSummary {
  std::string name;     ///< APK entry name ("classes2.dex") or the file name of a loose DEX
  uint32_t version = 0; ///< 35..41
  uint64_t size = 0;    ///< bytes
  uint32_t classes = 0; ///< class definitions
  uint32_t methods = 0; ///< defined methods: direct + virtual over all class defs
  uint32_t fields = 0;  ///< defined fields: static + instance
  uint32_t string_ids = 0, type_ids = 0, proto_ids = 0, field_ids = 0, method_ids = 0;
  uint32_t code_items = 0;           ///< methods with code
  uint64_t instructions = 0;         ///< decoded instructions, payloads included
  uint64_t invokes = 0;              ///< invoke-* instructions
  uint32_t invalid_instructions = 0; ///< unused opcodes met while decoding
  std::string error;                 ///< non-empty when the file could not be opened (counts are 0)
};

struct StageTiming {
  std::string stage;
  double milliseconds = 0;
};

struct ScanResult {
  InputInfo input;
  /// Present for APKs whose AndroidManifest.xml could be read.
  std::optional<apk::Manifest> manifest;
  apk::SigningInfo signing;
  apk::ApkInventory inventory;
  std::vector<DexSummary> dex;
  uint32_t classes_total = 0;     ///< distinct class descriptors across all DEX files
  uint32_t duplicate_classes = 0; ///< definitions shadowed by an earlier DEX file
  /// Call-graph, SDK and consent analysis (absent when disabled or when no DEX was read).
  std::optional<analysis::AnalysisResult> analysis;
  std::string knowledge_version; ///< SHA-256 of the knowledge base used
  /// Findings and rule coverage (absent when the analyses did not run).
  std::optional<rules::RulesResult> rules;
  /// The app type the rules used: from ScanOptions::app_type ("cli"), else inferred from the
  /// manifest when confident enough ("inferred"); null when unknown.
  const knowledge::AppType* app_type = nullptr;
  std::string app_type_source;    ///< "cli", "inferred" or ""
  double app_type_confidence = 0; ///< 1 for "cli"
  /// The inference's candidates (run when no app type was given and the analyses ran).
  std::optional<analysis::AppTypeInference> app_type_inference;
  /// The privacy policy (given or found in the APK) and the candidates seen; absent when the
  /// analyses did not run and no policy was given.
  std::optional<PolicyScan> policy;
  Diagnostics diagnostics;
  std::vector<StageTiming> timings;
};

struct ScanOptions {
  /// Decode every instruction of every method (on by default; the analyses need it).
  bool decode_code = true;
  /// Run the analyses (SDKs, call graph, collections). Needs decode_code.
  bool analyze = true;
  /// Knowledge base to use; nullptr = the embedded one.
  const knowledge::Knowledge* knowledge = nullptr;
  /// App type for the necessary-PI rule: an id or Chinese name of knowledge's app types
  /// ("browser", "浏览器类", "浏览器"); "" = unknown. The caller validates it (see
  /// find_app_type); an unknown name is treated as unknown.
  std::string app_type;
  /// Privacy policy file (text or HTML) to hold the app to; "" = look inside the APK only.
  std::string policy_path;
};

/// The knowledge base a scan with these options uses (the embedded one by default).
const knowledge::Knowledge& knowledge_for(const ScanOptions& options);

/// Scans one APK or DEX file. Errors only when the input is unusable (cannot be read; neither
/// a ZIP archive with a central directory nor a DEX file; a loose DEX whose header is invalid).
Expected<ScanResult> scan_file(const std::string& path, const ScanOptions& options = {});

} // namespace appaudit::engine
