#include "engine/scan.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "apk/arsc.hpp"
#include "apk/zip.hpp"
#include "core/limits.hpp"
#include "core/mapped_file.hpp"
#include "dex/class_index.hpp"
#include "dex/dex_file.hpp"
#include "dex/instruction.hpp"

namespace appaudit::engine {
namespace {

using Clock = std::chrono::steady_clock;

/// Times one stage into `result.timings`.
class StageTimer {
 public:
  StageTimer(ScanResult& result, const char* stage)
      : result_(result), stage_(stage), start_(Clock::now()) {}
  ~StageTimer() {
    std::chrono::duration<double, std::milli> d = Clock::now() - start_;
    result_.timings.push_back({stage_, d.count()});
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  ScanResult& result_;
  const char* stage_;
  Clock::time_point start_;
};

std::string sha256_hex(ByteView bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool looks_like_dex(ByteView bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "dex\n", 4) == 0;
}

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Counts what dexdump lists (classes, methods) and walks every code item, decoding every
/// instruction so that a broken method shows up here rather than in a later analysis.
void summarize_dex(const dex::DexFile& file, const ScanOptions& options, DexSummary& s,
                   Diagnostics& diags) {
  s.version = file.version();
  s.size = file.header().file_size;
  s.classes = file.class_defs_size();
  s.string_ids = file.string_ids_size();
  s.type_ids = file.type_ids_size();
  s.proto_ids = file.proto_ids_size();
  s.field_ids = file.field_ids_size();
  s.method_ids = file.method_ids_size();
  uint32_t bad_class_data = 0;
  uint32_t bad_code = 0;
  // Hostile files point many class defs at one class_data_item and many methods at one
  // code_item: count each reference (as dexdump lists them) but walk each item only once,
  // so the work stays linear in the file size.
  std::unordered_set<uint32_t> walked_class_data;
  std::unordered_set<uint32_t> decoded_code;
  for (uint32_t i = 0; i < file.class_defs_size(); ++i) {
    auto def = file.class_def(dex::ClassDefIdx(i));
    if (!def) continue;
    auto reader = file.class_data_reader(*def);
    if (!reader) {
      if (bad_class_data++ == 0) diags.add_error("dex.class_data", reader.error());
      continue;
    }
    s.methods += uint64_t{reader->direct_methods_size()} + reader->virtual_methods_size();
    s.fields += uint64_t{reader->static_fields_size()} + reader->instance_fields_size();
    if (!options.decode_code || !walked_class_data.insert(def->class_data_off).second) continue;
    dex::ClassMember member;
    while (reader->next(member)) {
      if (!member.is_method() || member.code_off == 0) continue;
      if (!decoded_code.insert(member.code_off).second) continue;
      auto code = file.code_item(member.code_off);
      if (!code) {
        if (bad_code++ == 0) diags.add_error("dex.code_item", code.error());
        continue;
      }
      ++s.code_items;
      dex::Instruction insn;
      dex::InstructionIterator it(code->insns);
      while (it.next(insn)) {
        ++s.instructions;
        if ((insn.info().flags & dex::kFlagInvoke) != 0) ++s.invokes;
      }
      s.invalid_instructions += it.invalid_count();
      if (it.status() != dex::DecodeStatus::kOk && bad_code++ == 0) {
        diags.add_at(Severity::kWarning, "dex.code_truncated", file.name(),
                     "instruction sweep stopped early in " + file.pretty_method(member.method()) +
                         ": " + std::string(dex::to_string(it.status())),
                     member.code_off);
      }
    }
    if (!reader->ok() && bad_class_data++ == 0) {
      diags.add_at(Severity::kWarning, "dex.class_data", file.name(),
                   "class_data_item of " + std::string(file.class_descriptor(*def)) +
                       " is truncated or malformed",
                   def->class_data_off);
    }
  }
  if (bad_class_data > 1 || bad_code > 1) {
    diags.add(Severity::kWarning, "dex.summary", file.name(),
              std::to_string(bad_class_data) + " unreadable class data items and " +
                  std::to_string(bad_code) + " unreadable code items (first one reported)");
  }
  if (s.invalid_instructions > 0) {
    diags.add(Severity::kWarning, "dex.invalid_instructions", file.name(),
              std::to_string(s.invalid_instructions) +
                  " invalid instructions (unused opcodes or impossible operands) met while "
                  "decoding");
  }
}

/// The privacy policy: the given file, else the best one inside the APK, and the candidates.
void run_policy(const apk::ZipArchive* zip, const apk::ResourceTable* table, const dex::DexSet& set,
                const ScanOptions& options, ScanResult& result) {
  if (!(options.analyze && options.decode_code) && options.policy_path.empty()) return;
  result.policy = scan_policy(options.policy_path, zip, table, &set, knowledge_for(options),
                              result.diagnostics);
}

/// The analysis stages over the opened DEX files (their timings are reported as
/// "analysis.*" sub-stages).
void run_analysis(const dex::DexSet& set, const dex::ClassIndex& index, const ScanOptions& options,
                  ScanResult& result) {
  if (!options.analyze || !options.decode_code || set.empty()) return;
  const knowledge::Knowledge& k = knowledge_for(options);
  result.knowledge_version = k.version();
  result.analysis = analysis::analyze(set, index, result.manifest ? &*result.manifest : nullptr,
                                      result.inventory, k, result.diagnostics);
  for (const auto& t : result.analysis->timings)
    result.timings.push_back({t.stage, t.milliseconds});
  auto t0 = std::chrono::steady_clock::now();
  const apk::Manifest* manifest = result.manifest ? &*result.manifest : nullptr;
  if (!options.app_type.empty()) result.app_type = k.find_app_type(options.app_type);
  if (result.app_type != nullptr) {
    result.app_type_source = "cli";
    result.app_type_confidence = 1.0;
  } else {
    result.app_type_inference = analysis::infer_app_type(manifest, result.inventory, k);
    if (const analysis::AppTypeCandidate* c = result.app_type_inference->chosen()) {
      result.app_type = c->type;
      result.app_type_source = "inferred";
      result.app_type_confidence = c->confidence;
    }
  }
  rules::RulesInput in;
  in.manifest = manifest;
  in.analysis = &*result.analysis;
  in.app_type = result.app_type;
  in.app_type_confidence = result.app_type_confidence;
  in.app_type_inference = result.app_type_inference ? &*result.app_type_inference : nullptr;
  if (result.policy) {
    in.policy_searched = true;
    in.policy = result.policy->report ? &*result.policy->report : nullptr;
    // The file name only: reports stay the same wherever the policy file lies.
    in.policy_where =
        result.policy->source == "cli" ? base_name(result.policy->where) : result.policy->where;
    in.policy_urls = result.policy->urls();
    in.policy_dialog_text = result.policy->has_dialog_text();
  }
  result.rules = rules::evaluate(in, k);
  std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - t0;
  result.timings.push_back({"analysis.rules", d.count()});
}

/// Opens every DEX of `set` and fills `result.dex` in set order (= loading order); returns
/// the class index over them.
dex::ClassIndex index_dex(const dex::DexSet& set, const ScanOptions& options, ScanResult& result) {
  for (const dex::DexFile& file : set) {
    DexSummary s;
    s.name = file.name();
    summarize_dex(file, options, s, result.diagnostics);
    result.dex.push_back(std::move(s));
  }
  dex::ClassIndex index = dex::ClassIndex::build(set, nullptr);
  result.classes_total = static_cast<uint32_t>(index.size());
  result.duplicate_classes = static_cast<uint32_t>(index.duplicates().size());
  if (!index.duplicates().empty()) {
    const auto& d = index.duplicates().front();
    result.diagnostics.add(Severity::kInfo, "dex.duplicate_class", set[d.shadowed.dex].name(),
                           std::to_string(index.duplicates().size()) +
                               " class definitions are shadowed by an earlier DEX file (first: " +
                               std::string(d.descriptor) + " in " + set[d.winner.dex].name() + ")");
  }
  return index;
}

void scan_apk(const apk::ZipArchive& zip, const ScanOptions& options, ScanResult& result) {
  Diagnostics& diags = result.diagnostics;
  {
    StageTimer t(result, "inventory");
    result.inventory = apk::inventory(zip, diags);
  }
  // The resource table outlives the manifest stage: the policy search reads its strings.
  std::optional<apk::EntryData> arsc_data;
  std::optional<apk::ResourceTable> table;
  {
    StageTimer t(result, "manifest");
    if (const apk::ZipEntry* e = zip.find("resources.arsc")) {
      auto data = zip.read(*e);
      if (!data) {
        diags.add_error("apk.resources_unreadable", data.error());
      } else {
        arsc_data = std::move(*data);
        auto parsed = apk::ResourceTable::parse(arsc_data->data, diags);
        if (parsed) {
          table = std::move(*parsed);
        } else {
          diags.add_error("apk.resources_invalid", parsed.error());
        }
      }
    }
    if (const apk::ZipEntry* e = zip.find("AndroidManifest.xml")) {
      auto data = zip.read(*e);
      if (!data) {
        diags.add_error("apk.manifest_unreadable", data.error());
      } else {
        auto manifest = apk::parse_manifest(data->data, table ? &*table : nullptr, diags);
        if (manifest) {
          result.manifest = std::move(*manifest);
        } else {
          diags.add_error("apk.manifest_invalid", manifest.error());
        }
      }
    } else {
      diags.add(Severity::kError, "apk.no_manifest", zip.where(),
                "no AndroidManifest.xml entry: Android would not install this archive");
    }
  }
  {
    StageTimer t(result, "signing");
    // The SDK levels decide which schemes Android checks (v1 below API 24, ...).
    apk::SigningOptions signing_options;
    if (result.manifest) {
      signing_options.min_sdk = result.manifest->effective_min_sdk;
      signing_options.target_sdk = result.manifest->effective_target_sdk;
    }
    zip.reset_inflate_budget();
    result.signing = apk::read_signatures(zip, diags, signing_options);
  }
  dex::DexSet set;
  std::optional<dex::ClassIndex> index;
  {
    StageTimer t(result, "dex");
    zip.reset_inflate_budget(); // signature checks streamed their bytes; DEX gets its own
    // Loading-order position of each opened DEX file and of each failed entry, so that the
    // report lists both in class-loading order.
    std::vector<size_t> set_position;
    std::vector<std::pair<size_t, DexSummary>> failed;
    uint64_t retained = 0;
    auto fail_entry = [&](size_t pos, const std::string& name, const Error& error,
                          const char* code) {
      diags.add_error(code, error);
      DexSummary s;
      s.name = name;
      s.error = error.to_string();
      failed.emplace_back(pos, std::move(s));
    };
    for (size_t pos = 0; pos < result.inventory.dex_entries.size(); ++pos) {
      const std::string& name = result.inventory.dex_entries[pos];
      const apk::ZipEntry* e = zip.find(name);
      if (e == nullptr) continue;
      if (e->method != 0 && retained + e->uncompressed_size > limits::kMaxRetainedDexBytes) {
        fail_entry(pos, name,
                   make_error(Errc::kLimit,
                              "DEX files of this APK inflate to more than " +
                                  std::to_string(limits::kMaxRetainedDexBytes >> 20) +
                                  " MiB; this one and the rest are not analysed",
                              zip.where() + ": " + name),
                   "dex.limit");
        continue;
      }
      auto data = zip.read(*e);
      if (!data) {
        fail_entry(pos, name, data.error(), "dex.unreadable");
        continue;
      }
      retained += data->owned.size();
      // Stored DEX files are used in place (a view into the mapped APK); deflated ones move
      // their inflated buffer into the set.
      Status st = data->owned.empty() ? set.add_view(name, data->data, &diags)
                                      : set.add(name, std::move(data->owned), &diags);
      if (!st) {
        fail_entry(pos, name, st.error(), "dex.invalid");
        continue;
      }
      set_position.resize(set.size(), pos); // a v41 container may add several files
    }
    index = index_dex(set, options, result);
    // Merge the failed entries back in loading order (stable: opened files first per entry).
    std::vector<std::pair<size_t, DexSummary>> all;
    all.reserve(result.dex.size() + failed.size());
    for (size_t i = 0; i < result.dex.size(); ++i) {
      all.emplace_back(set_position[i], std::move(result.dex[i]));
    }
    for (auto& f : failed) all.push_back(std::move(f));
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    result.dex.clear();
    for (auto& [pos, summary] : all) result.dex.push_back(std::move(summary));
  }
  {
    StageTimer t(result, "policy");
    run_policy(&zip, table ? &*table : nullptr, set, options, result);
  }
  {
    StageTimer t(result, "analysis");
    run_analysis(set, *index, options, result);
  }
}

} // namespace

const char* to_string(InputKind kind) { return kind == InputKind::kDex ? "dex" : "apk"; }

const knowledge::Knowledge& knowledge_for(const ScanOptions& options) {
  if (options.knowledge != nullptr) return *options.knowledge;
  static const knowledge::Knowledge embedded = knowledge::Knowledge::load_embedded();
  return embedded;
}

Expected<ScanResult> scan_file(const std::string& path, const ScanOptions& options) {
  ScanResult result;
  std::unique_ptr<MappedFile> file;
  {
    StageTimer t(result, "open");
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.error();
    file = std::move(*mapped);
    result.input.path = path;
    result.input.file_name = base_name(path);
    result.input.size = file->bytes().size();
    result.input.sha256 = sha256_hex(file->bytes());
  }
  ByteView bytes = file->bytes();
  const std::string& name = result.input.file_name;

  // A file that starts like a DEX may still be an APK with a DEX prepended (the "Janus"
  // trick, CVE-2017-13156: ZIP readers find the archive from the end). Android installs it
  // as an APK, so that is how it is scanned, with a diagnostic; otherwise it is a loose DEX.
  Diagnostics zip_diags;
  std::optional<apk::ZipArchive> zip;
  {
    StageTimer t(result, "zip");
    auto opened = apk::ZipArchive::open(bytes, zip_diags, name);
    if (opened && (!looks_like_dex(bytes) || !opened->entries().empty())) {
      zip = std::move(*opened);
    } else if (!looks_like_dex(bytes)) {
      Error e = opened.error();
      std::string detail = (e.where.empty() || e.where == name) ? "" : e.where + ": ";
      e.where = path;
      e.message = "neither a DEX file nor a ZIP/APK archive: " + detail + e.message;
      return e;
    }
  }
  if (!zip) {
    result.input.kind = InputKind::kDex;
    dex::DexSet set;
    std::optional<dex::ClassIndex> index;
    {
      StageTimer t(result, "dex");
      Status st = set.add_view(name, bytes, &result.diagnostics);
      if (!st) {
        Error e = st.error();
        if (e.where.empty()) e.where = path;
        return e;
      }
      index = index_dex(set, options, result);
    }
    {
      StageTimer t(result, "policy");
      run_policy(nullptr, nullptr, set, options, result);
    }
    {
      StageTimer t(result, "analysis");
      run_analysis(set, *index, options, result);
    }
    return result;
  }
  result.input.kind = InputKind::kApk;
  if (looks_like_dex(bytes)) {
    result.diagnostics.add(Severity::kWarning, "apk.dex_prefix", name,
                           "the file starts with a DEX header but is a ZIP archive; Android "
                           "installs it as an APK (the Janus trick, CVE-2017-13156)");
  }
  result.diagnostics.append(zip_diags);
  scan_apk(*zip, options, result);
  return result;
}

} // namespace appaudit::engine
