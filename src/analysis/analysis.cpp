#include "analysis/analysis.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "analysis/program.hpp"
#include "dex/instruction.hpp"

namespace appaudit::analysis {
namespace {

using knowledge::Api;
using knowledge::ApiKind;
using knowledge::CallbackKind;
using knowledge::ConsentKind;

// ---------------------------------------------------------------------------------------
// Edge kinds ("path_via").

enum class Via : uint8_t {
  kNone,
  kDirect,
  kStatic,
  kVirtual,
  kClinit,
  kAsync,
  kUi,
  kSystem,
  kStartActivity,
  kStartService,
  kStartReceiver,
  kReflection,
};

const char* via_name(Via v) {
  switch (v) {
    case Via::kNone: return "entry";
    case Via::kDirect: return "direct";
    case Via::kStatic: return "static";
    case Via::kVirtual: return "virtual";
    case Via::kClinit: return "clinit";
    case Via::kAsync: return "async";
    case Via::kUi: return "ui";
    case Via::kSystem: return "system";
    case Via::kStartActivity: return "start_activity";
    case Via::kStartService: return "start_service";
    case Via::kStartReceiver: return "start_receiver";
    case Via::kReflection: return "reflection";
  }
  return "unknown";
}

Via via_of(CallbackKind k) {
  switch (k) {
    case CallbackKind::kUi: return Via::kUi;
    case CallbackKind::kSystem: return Via::kSystem;
    default: return Via::kAsync;
  }
}

// Opcodes used below (dalvik-bytecode table).
constexpr uint8_t kOpMove = 0x01, kOpMoveFrom16 = 0x02, kOpMove16 = 0x03;
constexpr uint8_t kOpMoveResult = 0x0a, kOpConstString = 0x1a, kOpConstStringJumbo = 0x1b;
constexpr uint8_t kOpMoveObject = 0x07, kOpMoveObjectFrom16 = 0x08, kOpMoveObject16 = 0x09;
constexpr uint8_t kOpMoveResultObject = 0x0c, kOpConst = 0x14, kOpConstHigh16 = 0x15;
constexpr uint8_t kOpConstClass = 0x1c, kOpNewInstance = 0x22;
constexpr uint8_t kOpIfEqz = 0x38, kOpIfNez = 0x39;

/// Instructions that write register vA (dalvik-bytecode table): moves and move-results,
/// constants, check-cast/instance-of/array-length/new-*, compares, aget/iget/sget, unary and
/// binary operations. A tracked fact about vA (string constant, consent flag, ...) ends there.
bool writes_register_a(uint8_t op) {
  return (op >= 0x01 && op <= 0x0d) || (op >= 0x12 && op <= 0x1c) || (op >= 0x1f && op <= 0x23) ||
         (op >= 0x2d && op <= 0x31) || (op >= 0x44 && op <= 0x4a) || (op >= 0x52 && op <= 0x58) ||
         (op >= 0x60 && op <= 0x66) || (op >= 0x7b && op <= 0xe2);
}
bool is_move(uint8_t op) { return op >= 0x01 && op <= 0x09; }
constexpr uint8_t kOpCheckCast = 0x1f;

bool is_static_field_op(uint8_t op) { return op >= 0x60 && op <= 0x6d; }
bool is_field_op(uint8_t op) { return op >= 0x52 && op <= 0x6d; }
bool is_invoke_op(uint8_t op) { return (op >= 0x6e && op <= 0x72) || (op >= 0x74 && op <= 0x78); }
bool is_static_invoke(uint8_t op) { return op == 0x71 || op == 0x77; }
bool is_dispatch_invoke(uint8_t op) { return op == 0x6e || op == 0x72 || op == 0x74 || op == 0x78; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// "Lcom/a/B;" → "com.a.B".
std::string dotted(std::string_view descriptor) {
  if (descriptor.size() < 2 || descriptor.front() != 'L' || descriptor.back() != ';') {
    return std::string(descriptor);
  }
  std::string out(descriptor.substr(1, descriptor.size() - 2));
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

/// A Java package name such as "com.other.app" (for explicit starts of other apps).
bool package_like(std::string_view s) {
  if (s.size() < 3 || s.size() > 200) return false;
  int dots = 0;
  bool seg_start = true;
  for (char c : s) {
    if (c == '.') {
      if (seg_start) return false;
      ++dots;
      seg_start = true;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && !seg_start)) return false;
    seg_start = false;
  }
  return dots >= 1 && !seg_start;
}

// ---------------------------------------------------------------------------------------
// Catalog lookups.

struct Catalog {
  const knowledge::Knowledge& k;
  std::unordered_map<std::string_view, uint32_t> method_api; // full descriptor -> api
  std::unordered_map<std::string_view, uint32_t> field_api;
  std::unordered_set<std::string_view> api_classes; // descriptors with catalog members
  std::unordered_map<std::string_view, uint32_t> password_getters; // text getters
  std::unordered_set<std::string_view> password_classes;
  std::vector<std::pair<std::string_view, uint32_t>> uris;
  std::unordered_map<std::string_view, uint32_t> actions, settings_keys;
  std::unordered_map<std::string, std::vector<uint32_t>> by_member;    // member name -> apis
  std::unordered_map<std::string, std::vector<uint32_t>> by_class_dot; // "a.b.C" -> apis
  std::unordered_map<std::string_view, std::vector<uint32_t>> by_class_desc;
  std::vector<std::string> api_class; // per api: class descriptor ("" for literals)
  // Consent.
  std::unordered_map<std::string_view, uint32_t> consent_method; // descriptor -> signal
  std::unordered_set<std::string_view> consent_classes;
  std::vector<std::string> key_patterns;
  // Component starts by method name.
  std::unordered_map<std::string_view, uint32_t> starts;
  std::unordered_map<std::string_view, const knowledge::SystemBroadcast*> broadcasts;

  explicit Catalog(const knowledge::Knowledge& kb) : k(kb) {
    const auto& apis = k.apis();
    api_class.resize(apis.size());
    for (uint32_t i = 0; i < apis.size(); ++i) {
      const Api& a = apis[i];
      switch (a.kind) {
        case ApiKind::kMethod:
        case ApiKind::kField: {
          const size_t arrow = a.target.find("->");
          if (arrow == std::string::npos) break;
          std::string_view cls = std::string_view(a.target).substr(0, arrow);
          std::string_view rest = std::string_view(a.target).substr(arrow + 2);
          const size_t end = rest.find(a.kind == ApiKind::kMethod ? '(' : ':');
          std::string member(rest.substr(0, end));
          api_classes.insert(cls);
          api_class[i] = std::string(cls);
          (a.kind == ApiKind::kMethod ? method_api : field_api).emplace(a.target, i);
          by_member[member].push_back(i);
          by_class_dot[dotted(cls)].push_back(i);
          by_class_desc[cls].push_back(i);
          break;
        }
        case ApiKind::kPermissionRequest: {
          // Matched like a method, but never by reflection (it collects nothing).
          const size_t arrow = a.target.find("->");
          if (arrow == std::string::npos) break;
          api_classes.insert(std::string_view(a.target).substr(0, arrow));
          api_class[i] = a.target.substr(0, arrow);
          method_api.emplace(a.target, i);
          break;
        }
        case ApiKind::kPasswordField:
          password_getters.emplace(a.target, i);
          password_classes.insert(std::string_view(a.target).substr(0, a.target.find("->")));
          break;
        case ApiKind::kContentUri: uris.emplace_back(a.target, i); break;
        case ApiKind::kIntentAction: actions.emplace(a.target, i); break;
        case ApiKind::kSettingsKey: settings_keys.emplace(a.target, i); break;
      }
    }
    // Longest URI first so "content://sms/inbox" wins over "content://sms".
    std::sort(uris.begin(), uris.end(), [](const auto& x, const auto& y) {
      return x.first.size() != y.first.size() ? x.first.size() > y.first.size() : x.first < y.first;
    });
    const auto& signals = k.consent_signals();
    for (uint32_t i = 0; i < signals.size(); ++i) {
      if (signals[i].kind == ConsentKind::kKeyPattern) {
        key_patterns.push_back(lower(signals[i].target));
      } else {
        consent_method.emplace(signals[i].target, i);
        consent_classes.insert(
            std::string_view(signals[i].target).substr(0, signals[i].target.find("->")));
      }
    }
    const auto& st = k.component_starts();
    for (uint32_t i = 0; i < st.size(); ++i) starts.emplace(st[i].method_name, i);
    for (const auto& b : k.system_broadcasts()) broadcasts.emplace(b.id, &b);
  }

  bool consent_key(std::string_view key) const {
    if (key.empty() || key.size() > 256) return false;
    std::string l = lower(key);
    for (const auto& p : key_patterns) {
      if (l.find(p) != std::string::npos) return true;
    }
    return false;
  }
};

/// What a method reference in one DEX file means to the analyses.
struct RefInfo {
  int32_t api = -1;      ///< catalog method api
  int32_t consent = -1;  ///< consent signal (storage_read or sdk_switch)
  int32_t start = -1;    ///< component start by name
  int32_t password = -1; ///< text getter of a password field (password_field api)
  uint8_t flags = 0;
};
constexpr uint8_t kRefReflection = 1;   // Class.forName / getMethod / getDeclaredMethod / ...
constexpr uint8_t kRefSettings = 2;     // Settings.{Secure,System,Global}.get*
constexpr uint8_t kRefExternalPkg = 4;  // ComponentName(String,String), setClassName, ...
constexpr uint8_t kRefLaunchIntent = 8; // PackageManager.getLaunchIntentForPackage
constexpr uint8_t kRefFindView = 16;    // findViewById(int)

/// What a string constant means.
struct StringFact {
  int32_t uri_api = -1, action_api = -1, settings_api = -1;
  const std::vector<uint32_t>* member_apis = nullptr; ///< reflection: member name
  const std::vector<uint32_t>* class_apis = nullptr;  ///< reflection: class name
  bool consent_key = false;
  bool package_like = false;
  ClassId app_class = kNone; ///< names a class in the APK (dotted)
};

/// Per-DEX lazily computed lookups.
class DexLookups {
 public:
  DexLookups(const dex::DexFile& file, const Catalog& cat, const Program& program)
      : file_(file), cat_(cat), program_(program) {}

  const RefInfo& ref(uint32_t method_idx) {
    if (refs_.empty()) refs_.assign(file_.method_ids_size(), kUnknownRef);
    if (method_idx >= refs_.size()) return kEmptyRef;
    RefInfo& r = refs_[method_idx];
    if (r.flags != 0xff) return r;
    r = RefInfo{};
    auto mid = file_.method_id(dex::MethodIdx(method_idx));
    if (!mid) return r;
    auto cls = file_.type_descriptor(mid->class_type);
    auto name = file_.string(mid->name);
    if (!cls || !name) return r;
    auto st = cat_.starts.find(*name);
    if (st != cat_.starts.end() && takes_intent(mid->proto)) {
      r.start = static_cast<int32_t>(st->second);
    }
    const std::string_view c = *cls;
    const std::string_view n = *name;
    if (c == "Ljava/lang/Class;" &&
        (n == "forName" || n == "getMethod" || n == "getDeclaredMethod" || n == "getField" ||
         n == "getDeclaredField")) {
      r.flags |= kRefReflection;
    }
    if ((c == "Landroid/provider/Settings$Secure;" || c == "Landroid/provider/Settings$System;" ||
         c == "Landroid/provider/Settings$Global;") &&
        n.substr(0, 3) == "get") {
      r.flags |= kRefSettings;
    }
    if ((c == "Landroid/content/ComponentName;" && n == "<init>") ||
        (c == "Landroid/content/Intent;" &&
         (n == "setClassName" || n == "setPackage" || n == "setComponent"))) {
      r.flags |= kRefExternalPkg;
    }
    if (n == "getLaunchIntentForPackage") r.flags |= kRefLaunchIntent;
    if (n == "findViewById") r.flags |= kRefFindView;
    if (cat_.api_classes.count(c) != 0 || cat_.consent_classes.count(c) != 0 ||
        cat_.password_classes.count(c) != 0) {
      std::string full = file_.pretty_method(dex::MethodIdx(method_idx));
      auto pw = cat_.password_getters.find(full);
      if (pw != cat_.password_getters.end()) r.password = static_cast<int32_t>(pw->second);
      if (cat_.api_classes.count(c) != 0) {
        auto it = cat_.method_api.find(full);
        if (it != cat_.method_api.end()) r.api = static_cast<int32_t>(it->second);
      }
      auto cs = cat_.consent_method.find(full);
      if (cs != cat_.consent_method.end()) r.consent = static_cast<int32_t>(cs->second);
    } else if (ClassId own = program_.find_class(c); own != kNone) {
      // A call through the app's own subclass of a framework class
      // (MainActivity->requestPermissions): the runtime resolves it to the framework
      // method unless an APK class on the way declares it.
      r.api = inherited_api(own, n, mid->proto);
    }
    return r;
  }

  int32_t field_api(uint32_t field_idx) {
    if (fields_.empty()) fields_.assign(file_.field_ids_size(), -2);
    if (field_idx >= fields_.size()) return -1;
    int32_t& f = fields_[field_idx];
    if (f != -2) return f;
    f = -1;
    auto fid = file_.field_id(dex::FieldIdx(field_idx));
    if (!fid) return f;
    auto cls = file_.type_descriptor(fid->class_type);
    if (!cls || cat_.api_classes.count(*cls) == 0) return f;
    auto it = cat_.field_api.find(file_.pretty_field(dex::FieldIdx(field_idx)));
    if (it != cat_.field_api.end()) f = static_cast<int32_t>(it->second);
    return f;
  }

  /// Facts about string `idx`, or nullptr when it means nothing to the analyses.
  const StringFact* string(uint32_t idx) {
    if (strings_.empty()) strings_.assign(file_.string_ids_size(), -2);
    if (idx >= strings_.size()) return nullptr;
    int32_t& s = strings_[idx];
    if (s == -2) {
      s = -1;
      auto v = file_.string(dex::StringIdx(idx));
      if (v) {
        StringFact f;
        bool any = false;
        const std::string_view str = *v;
        if (str.substr(0, 10) == "content://") {
          for (const auto& [uri, api] : cat_.uris) {
            if (str.substr(0, uri.size()) == uri) {
              f.uri_api = static_cast<int32_t>(api);
              any = true;
              break;
            }
          }
        }
        if (auto a = cat_.actions.find(str); a != cat_.actions.end()) {
          f.action_api = static_cast<int32_t>(a->second);
          any = true;
        }
        if (auto k = cat_.settings_keys.find(str); k != cat_.settings_keys.end()) {
          f.settings_api = static_cast<int32_t>(k->second);
          any = true;
        }
        if (str.size() < 128) {
          std::string key(str);
          if (auto m = cat_.by_member.find(key); m != cat_.by_member.end()) {
            f.member_apis = &m->second;
            any = true;
          }
          if (auto c = cat_.by_class_dot.find(key); c != cat_.by_class_dot.end()) {
            f.class_apis = &c->second;
            any = true;
          }
        }
        if (cat_.consent_key(str)) f.consent_key = any = true;
        if (package_like(str)) {
          f.package_like = any = true;
          f.app_class = program_.find_class(java_to_descriptor(str));
        }
        if (any) {
          s = static_cast<int32_t>(facts_.size());
          facts_.push_back(f);
        }
      }
    }
    return s < 0 ? nullptr : &facts_[static_cast<size_t>(s)];
  }

  const dex::DexFile& file() const { return file_; }

 private:
  /// The catalog method `name`+`proto` that a call on APK class `cls` resolves to: the
  /// first framework superclass's, when no APK class up the chain declares the method.
  int32_t inherited_api(ClassId cls, std::string_view name, dex::ProtoIdx proto) const {
    std::string sig;
    for (int depth = 0; cls != kNone && depth < 64; ++depth) {
      const ClassInfo& ci = program_.cls(cls);
      if (ci.super == kNone &&
          (ci.super_descriptor.empty() || cat_.api_classes.count(ci.super_descriptor) == 0)) {
        return -1; // no catalog class above: the common case, decided without the proto
      }
      if (sig.empty()) sig = file_.proto_signature(proto);
      if (program_.find_declared(cls, name, sig) != kNone) return -1;
      if (ci.super == kNone) {
        std::string full = std::string(ci.super_descriptor) + "->" + std::string(name) + sig;
        auto it = cat_.method_api.find(full);
        return it == cat_.method_api.end() ? -1 : static_cast<int32_t>(it->second);
      }
      cls = ci.super;
    }
    return -1;
  }

  /// Start names are generic ("set", "schedule", "getActivity"): a call only starts a
  /// component when it passes an Intent, a PendingIntent or a JobInfo (knowledge/README.md).
  bool takes_intent(dex::ProtoIdx proto) const {
    auto params = file_.proto_parameters(proto);
    if (!params) return false;
    for (uint32_t i = 0; i < params->size(); ++i) {
      auto t = file_.type_descriptor((*params)[i]);
      if (!t) continue;
      if (*t == "Landroid/content/Intent;" || *t == "[Landroid/content/Intent;" ||
          *t == "Landroid/app/PendingIntent;" || *t == "Landroid/app/job/JobInfo;") {
        return true;
      }
    }
    return false;
  }

  static constexpr RefInfo kUnknownRef{-1, -1, -1, -1, 0xff};
  static inline const RefInfo kEmptyRef{};
  const dex::DexFile& file_;
  const Catalog& cat_;
  const Program& program_;
  std::vector<RefInfo> refs_;
  std::vector<int32_t> fields_;
  std::vector<int32_t> strings_;
  std::deque<StringFact> facts_;
};

/// Whether `insn` calls a storage read (`sig`) whose key argument holds a string constant
/// with a consent-like pattern ("privacy_agreed", "隐私", ...): its result is a consent flag.
bool reads_consent_key(const knowledge::ConsentSignal& sig, const dex::Instruction& insn,
                       const std::vector<int32_t>& reg_string, DexLookups& lk) {
  if (sig.kind != ConsentKind::kStorageRead || sig.arg < 0) return false;
  const uint32_t reg_i = static_cast<uint32_t>(sig.arg) + (is_static_invoke(insn.opcode) ? 0 : 1);
  if (reg_i >= insn.register_count()) return false;
  const uint32_t reg = insn.register_at(reg_i);
  if (reg >= reg_string.size() || reg_string[reg] < 0) return false;
  const StringFact* f = lk.string(static_cast<uint32_t>(reg_string[reg]));
  return f != nullptr && f->consent_key;
}

// ---------------------------------------------------------------------------------------
// Sensitive sites.

enum class SiteKind : uint8_t {
  kMethod,
  kField,
  kContentUri,
  kSettingsKey,
  kIntentAction,
  kReflection,
  kPasswordField,
};

const char* site_kind_name(SiteKind k) {
  switch (k) {
    case SiteKind::kMethod: return "method";
    case SiteKind::kField: return "field";
    case SiteKind::kContentUri: return "content_uri";
    case SiteKind::kSettingsKey: return "settings_key";
    case SiteKind::kIntentAction: return "intent_action";
    case SiteKind::kReflection: return "reflection";
    case SiteKind::kPasswordField: return "password_field";
  }
  return "unknown";
}

struct Site {
  MethodId method = 0;
  uint32_t pc = 0;
  uint32_t api = 0;
  SiteKind kind = SiteKind::kMethod;
  bool guarded = false;
};

struct Edge {
  MethodId target = 0;
  uint32_t pc = 0;
  Via via = Via::kDirect;
  bool guarded = false;
};

/// A component start found in a method: the started class and the kind of start.
struct StartRef {
  ClassId cls = kNone;
  Via via = Via::kStartActivity;
};

struct SwitchCall {
  MethodId method = 0;
  uint32_t pc = 0;
  std::string sdk;
  bool guarded = false;
};

/// A manifest component mapped onto the program.
struct ComponentRef {
  const apk::Component* component = nullptr; ///< nullptr for the application
  std::string kind;                          ///< activity, service, receiver, provider, application
  std::string name;
  ClassId cls = kNone;
  bool launcher = false;
  bool exported = false;
  std::vector<std::string> system_actions;
  bool boot = false;
};

struct EntryPoint {
  MethodId method = 0;
  std::string kind;
  uint32_t component = 0; ///< index into components
  bool pre_consent = false;
};

constexpr uint64_t kMaxEdges = 40'000'000; // bounded work on hostile or gigantic inputs
constexpr size_t kMaxPathFrames = 64;

class Analyzer {
 public:
  Analyzer(const dex::DexSet& set, const dex::ClassIndex& index, const apk::Manifest* manifest,
           const apk::ApkInventory& inventory, const knowledge::Knowledge& k, Diagnostics& diags)
      : set_(set),
        index_(index),
        manifest_(manifest),
        inventory_(inventory),
        k_(k),
        diags_(diags),
        cat_(k) {}

  AnalysisResult run();

 private:
  using Clock = std::chrono::steady_clock;
  void time(const char* stage, Clock::time_point start) {
    std::chrono::duration<double, std::milli> d = Clock::now() - start;
    result_.timings.push_back({stage, d.count()});
  }

  DexLookups& lookups(uint32_t dex) {
    while (lookups_.size() < set_.size()) {
      lookups_.emplace_back(set_[static_cast<uint32_t>(lookups_.size())], cat_, *program_);
    }
    return lookups_[dex];
  }

  void sweep();
  void sweep_method(MethodId m, const dex::CodeItem& code, DexLookups& lk);
  void build_components();
  void build_entries();
  const std::vector<Edge>& edges(MethodId m);
  void expand(MethodId m, std::vector<Edge>& out);
  const std::vector<std::pair<MethodId, Via>>& callbacks_of(ClassId c);
  void add_clinit(ClassId c, uint32_t pc, std::vector<Edge>& out);
  void startup_methods(const ComponentRef& comp, bool startup_only, std::vector<MethodId>& out);
  enum class Search { kAll, kPreConsent, kStartup };
  void bfs(Search mode);
  void permission_requests();
  std::vector<std::string> permission_strings(MethodId m) const;
  void collections();
  void permissions();
  void self_starts();
  std::string party_of_class(ClassId c) const;
  const knowledge::Sdk* owner_of(ClassId c) const;
  bool in_app_package(std::string_view descriptor, size_t sdk_prefix_len) const;

  const dex::DexSet& set_;
  const dex::ClassIndex& index_;
  const apk::Manifest* manifest_;
  const apk::ApkInventory& inventory_;
  const knowledge::Knowledge& k_;
  Diagnostics& diags_;
  Catalog cat_;
  std::unique_ptr<Program> program_;
  std::unique_ptr<SdkMatcher> matcher_;
  std::deque<DexLookups> lookups_;
  AnalysisResult result_;
  std::string app_package_; ///< manifest package in descriptor form ("com/a/b"), "" if none

  std::vector<Site> sites_;
  std::vector<uint8_t> consent_getter_;
  std::vector<ComponentRef> components_;
  std::unordered_map<ClassId, std::vector<uint32_t>> components_by_class_;
  std::vector<EntryPoint> entries_;
  // Call graph, built on demand.
  std::vector<uint32_t> edge_slot_; // per method: index into edge_lists_ + 1, 0 = not built
  std::vector<std::vector<Edge>> edge_lists_;
  std::unordered_map<ClassId, std::vector<std::pair<MethodId, Via>>> callback_cache_;
  std::unordered_map<MethodId, std::vector<StartRef>> starts_in_;
  std::vector<SwitchCall> switch_calls_;
  std::map<std::string, SelfStart> method_facts_; // alarm/job/associated starts by key
  uint64_t edges_total_ = 0;
  uint64_t consent_checks_ = 0; ///< expanded (reachable) methods with a consent branch
  bool edge_limit_hit_ = false;
  // Search results: per method, entry index + 1 (0 = not reached), parent and via.
  struct Reach {
    std::vector<uint32_t> entry;
    std::vector<MethodId> parent;
    std::vector<Via> via;
    std::vector<uint8_t> guarded_edge;
  };
  // all_: from every entry point; pre_: from start-up entries, before any user action or
  // consent; startup_: from start-up entries before any user action, consent checks passed
  // (built only when the app asks for permissions).
  Reach all_, pre_, startup_;

  /// How a site in method `m` is reached along one search: the witness frames from the entry
  /// point to `m`, and the party (the caller's SDK, else the nearest SDK frame on the path).
  struct Witness {
    bool found = false;
    const EntryPoint* entry = nullptr;
    std::vector<std::string> path, path_via;
    bool crossed_ui = false, crossed_guard = false;
    std::string party, party_by;
  };
  Witness witness(MethodId m, const Reach* r) const;
  void fill_entry(const Witness& w, bool& has_entry, EntryRef& out) const;
};

// --- sweep ------------------------------------------------------------------------------

void Analyzer::sweep() {
  const auto& methods = program_->methods();
  consent_getter_.assign(methods.size(), 0);
  for (MethodId m = 0; m < methods.size(); ++m) {
    dex::CodeItem code;
    if (!program_->code_item(m, code)) continue;
    sweep_method(m, code, lookups(methods[m].dex));
  }
}

void Analyzer::sweep_method(MethodId m, const dex::CodeItem& code, DexLookups& lk) {
  const dex::DexFile& file = lk.file();
  thread_local std::vector<int32_t> reg_string;
  reg_string.assign(code.registers_size, -1);
  // Password fields: a layout id of a password input → findViewById → (check-cast) → getText.
  const bool track_views = !inventory_.password_view_ids.empty();
  thread_local std::vector<int64_t> reg_literal;
  thread_local std::vector<uint8_t> reg_password;
  if (track_views) {
    reg_literal.assign(code.registers_size, -1);
    reg_password.assign(code.registers_size, 0);
  }
  bool pending_view = false;
  bool reflection = false, settings = false, consent_read = false;
  struct Pending {
    uint32_t pc;
    const StringFact* fact;
  };
  std::vector<Pending> names, keys;
  std::vector<const std::vector<uint32_t>*> classes;
  dex::Instruction insn;
  for (dex::InstructionIterator it(code.insns); it.next(insn);) {
    const uint8_t op = insn.opcode;
    if (writes_register_a(op) && insn.a < reg_string.size()) {
      // The written register loses what it held (a move copies it instead); check-cast
      // keeps the same object.
      const bool copy = is_move(op) && insn.b < reg_string.size();
      reg_string[insn.a] = copy ? reg_string[insn.b] : -1;
      if (track_views) {
        reg_literal[insn.a] = copy ? reg_literal[insn.b] : -1;
        if (op != kOpCheckCast) reg_password[insn.a] = copy ? reg_password[insn.b] : 0;
      }
    }
    if (track_views) {
      const bool view = pending_view;
      pending_view = false;
      if (op == kOpMoveResultObject && insn.a < reg_password.size()) {
        reg_password[insn.a] = view ? 1 : 0;
      } else if ((op == kOpConst || op == kOpConstHigh16) && insn.a < reg_literal.size()) {
        reg_literal[insn.a] = static_cast<uint32_t>(insn.literal);
      } else if ((op == kOpMoveObject || op == kOpMoveObjectFrom16 || op == kOpMoveObject16) &&
                 insn.a < reg_password.size() && insn.b < reg_password.size()) {
        reg_password[insn.a] = reg_password[insn.b];
      } else if (is_invoke_op(op)) {
        const RefInfo& r = lk.ref(insn.index);
        if ((r.flags & kRefFindView) != 0 && insn.register_count() >= 2) {
          const uint32_t reg = insn.register_at(insn.register_count() - 1);
          pending_view = reg < reg_literal.size() && reg_literal[reg] >= 0 &&
                         std::binary_search(inventory_.password_view_ids.begin(),
                                            inventory_.password_view_ids.end(),
                                            static_cast<uint32_t>(reg_literal[reg]));
        }
        if (r.password >= 0 && insn.register_count() >= 1) {
          const uint32_t reg = insn.register_at(0);
          if (reg < reg_password.size() && reg_password[reg]) {
            sites_.push_back(
                {m, insn.pc, static_cast<uint32_t>(r.password), SiteKind::kPasswordField});
          }
        }
      }
    }
    if (op == kOpConstString || op == kOpConstStringJumbo) {
      if (insn.a < reg_string.size()) reg_string[insn.a] = static_cast<int32_t>(insn.index);
      const StringFact* f = lk.string(insn.index);
      if (f == nullptr) continue;
      if (f->uri_api >= 0) {
        sites_.push_back({m, insn.pc, static_cast<uint32_t>(f->uri_api), SiteKind::kContentUri});
      }
      if (f->action_api >= 0) {
        sites_.push_back(
            {m, insn.pc, static_cast<uint32_t>(f->action_api), SiteKind::kIntentAction});
      }
      if (f->settings_api >= 0) keys.push_back({insn.pc, f});
      if (f->member_apis != nullptr) names.push_back({insn.pc, f});
      if (f->class_apis != nullptr) classes.push_back(f->class_apis);
    } else if (op == kOpConstClass) {
      auto t = file.type_descriptor(dex::TypeIdx(insn.index));
      if (t) {
        auto c = cat_.by_class_desc.find(*t);
        if (c != cat_.by_class_desc.end()) classes.push_back(&c->second);
      }
    } else if (op == kOpNewInstance) {
      auto t = file.type_descriptor(dex::TypeIdx(insn.index));
      if (t) {
        ClassId c = program_->find_class(*t);
        if (c != kNone) program_->mark_instantiated(c);
      }
    } else if (is_field_op(op)) {
      const int32_t api = lk.field_api(insn.index);
      if (api >= 0) sites_.push_back({m, insn.pc, static_cast<uint32_t>(api), SiteKind::kField});
    } else if (is_invoke_op(op)) {
      const RefInfo& r = lk.ref(insn.index);
      if (r.api >= 0)
        sites_.push_back({m, insn.pc, static_cast<uint32_t>(r.api), SiteKind::kMethod});
      if ((r.flags & kRefReflection) != 0) reflection = true;
      if ((r.flags & kRefSettings) != 0) settings = true;
      if (r.consent >= 0 && reads_consent_key(k_.consent_signals()[static_cast<size_t>(r.consent)],
                                              insn, reg_string, lk)) {
        consent_read = true;
      }
    }
  }
  if (settings) {
    for (const Pending& p : keys) {
      sites_.push_back(
          {m, p.pc, static_cast<uint32_t>(p.fact->settings_api), SiteKind::kSettingsKey});
    }
  }
  if (reflection) {
    // A member name whose catalog class is named in the same method (string or const-class);
    // or, without a class, a name that belongs to one catalog class only.
    // Overloads of a member look alike by name: one site per name, the overload with the
    // fewest parameters (what getMethod(name) without parameter types finds).
    auto best = [&](const std::vector<uint32_t>& apis) {
      uint32_t pick = apis.front();
      for (uint32_t a : apis) {
        if (k_.apis()[a].target.size() < k_.apis()[pick].target.size()) pick = a;
      }
      return pick;
    };
    for (const Pending& p : names) {
      const auto& candidates = *p.fact->member_apis;
      std::vector<uint32_t> named;
      for (uint32_t api : candidates) {
        for (const auto* cl : classes) {
          if (std::find(cl->begin(), cl->end(), api) != cl->end()) {
            named.push_back(api);
            break;
          }
        }
      }
      if (!named.empty()) {
        sites_.push_back({m, p.pc, best(named), SiteKind::kReflection});
      } else if (!candidates.empty()) {
        const std::string& c0 = cat_.api_class[candidates[0]];
        bool one_class = std::all_of(candidates.begin(), candidates.end(),
                                     [&](uint32_t a) { return cat_.api_class[a] == c0; });
        if (one_class) sites_.push_back({m, p.pc, best(candidates), SiteKind::kReflection});
      }
    }
  }
  if (consent_read) {
    const MethodInfo& mi = program_->method(m);
    auto p = file.proto_id(mi.proto);
    if (p) {
      auto r = file.type_descriptor(p->return_type);
      if (r && *r == "Z") consent_getter_[m] = 1;
    }
  }
}

// --- manifest → components and entry points ----------------------------------------------

void Analyzer::build_components() {
  if (manifest_ == nullptr) return;
  auto add = [&](ComponentRef ref) {
    ref.cls = program_->find_class(java_to_descriptor(ref.name));
    if (ref.cls == kNone) return;
    program_->mark_instantiated(ref.cls);
    components_by_class_[ref.cls].push_back(static_cast<uint32_t>(components_.size()));
    components_.push_back(std::move(ref));
  };
  if (!manifest_->application.name.empty()) {
    ComponentRef app;
    app.kind = "application";
    app.name = manifest_->application.name;
    add(std::move(app));
  }
  std::set<std::string> launchers(manifest_->launcher_activities.begin(),
                                  manifest_->launcher_activities.end());
  for (const apk::Component& c : manifest_->components) {
    ComponentRef ref;
    ref.component = &c;
    ref.exported = c.effective_exported;
    switch (c.kind) {
      case apk::ComponentKind::kActivity: ref.kind = "activity"; break;
      case apk::ComponentKind::kActivityAlias: ref.kind = "activity"; break;
      case apk::ComponentKind::kService: ref.kind = "service"; break;
      case apk::ComponentKind::kReceiver: ref.kind = "receiver"; break;
      case apk::ComponentKind::kProvider: ref.kind = "provider"; break;
    }
    ref.name = c.kind == apk::ComponentKind::kActivityAlias ? c.target_activity : c.name;
    ref.launcher = launchers.count(c.name) != 0;
    if (c.kind == apk::ComponentKind::kReceiver) {
      std::set<std::string> actions;
      for (const auto& f : c.intent_filters) {
        for (const auto& a : f.actions) {
          auto b = cat_.broadcasts.find(a);
          if (b == cat_.broadcasts.end()) continue;
          actions.insert(a);
          if (b->second->boot) ref.boot = true;
        }
      }
      ref.system_actions.assign(actions.begin(), actions.end());
    }
    add(std::move(ref));
  }
}

void Analyzer::startup_methods(const ComponentRef& comp, bool startup, std::vector<MethodId>& out) {
  const TypeBits& bits = program_->type_bits(comp.cls);
  for (const auto& cb : k_.callbacks()) {
    if (cb.kind != CallbackKind::kLifecycle || cb.component != comp.kind || cb.startup != startup) {
      continue;
    }
    const uint32_t t = program_->relevant_type(cb.type);
    if (t == kNone || !Program::has_bit(bits, t)) continue;
    for (const std::string& sig : cb.methods) {
      const size_t paren = sig.find('(');
      if (paren == std::string::npos) continue;
      std::string_view name = std::string_view(sig).substr(0, paren);
      std::string_view proto = std::string_view(sig).substr(paren);
      const MethodId m = name == "<init>" ? program_->find_declared(comp.cls, name, proto)
                                          : program_->resolve_up(comp.cls, name, proto);
      if (m != kNone && std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
  }
  if (startup) {
    const MethodId clinit = program_->find_declared(comp.cls, "<clinit>", "()V");
    if (clinit != kNone && std::find(out.begin(), out.end(), clinit) == out.end()) {
      out.insert(out.begin(), clinit);
    }
  }
}

void Analyzer::build_entries() {
  // Start-up entries first (they win ties in the reachability search), in manifest order.
  std::vector<EntryPoint> later;
  for (uint32_t i = 0; i < components_.size(); ++i) {
    const ComponentRef& c = components_[i];
    for (int pass = 0; pass < 2; ++pass) {
      const bool startup = pass == 0;
      std::vector<MethodId> ms;
      startup_methods(c, startup, ms);
      std::string kind;
      bool pre = false;
      if (c.kind == "application") {
        kind = startup ? "application_start" : "component";
        pre = startup;
      } else if (c.kind == "provider") {
        pre = startup;
        kind = startup ? "provider_start" : (c.exported ? "exported_component" : "component");
      } else if (c.kind == "activity" && c.launcher && startup) {
        kind = "launcher";
        pre = true;
      } else if (c.kind == "receiver" && !c.system_actions.empty() && startup) {
        kind = c.boot ? "boot_receiver" : "system_receiver";
        pre = true;
      } else {
        kind = c.exported ? "exported_component" : "component";
      }
      for (MethodId m : ms) {
        EntryPoint e{m, kind, i, pre};
        (pre ? entries_ : later).push_back(std::move(e));
      }
    }
  }
  // Callbacks the framework calls on the components themselves (an activity that is its own
  // click listener, an Application registering activity-lifecycle callbacks on itself, an
  // activity's menu and key handlers): reachable, never start-up.
  const size_t manifest_components = components_.size();
  for (uint32_t i = 0; i < manifest_components; ++i) {
    const ComponentRef& c = components_[i];
    for (const auto& [m, via] : callbacks_of(c.cls)) {
      later.push_back(
          {m, via == Via::kUi ? "ui_callback" : (c.exported ? "exported_component" : "component"),
           i, false});
    }
  }
  // Classes the layouts make the framework instantiate (fragments, custom views): their
  // callbacks run once the layout is shown — UI ones are user-driven, the others are
  // reachable but not counted as start-up (which layout a start-up screen shows is not
  // resolved).
  for (const std::string& name : inventory_.xml_classes) {
    const ClassId c = program_->find_class(java_to_descriptor(name));
    if (c == kNone) continue;
    program_->mark_instantiated(c);
    ComponentRef ref;
    ref.kind = "layout";
    ref.name = name;
    ref.cls = c;
    const uint32_t idx = static_cast<uint32_t>(components_.size());
    components_.push_back(std::move(ref));
    const MethodId init = program_->find_declared(
        c, "<init>", "(Landroid/content/Context;Landroid/util/AttributeSet;)V");
    if (init != kNone) later.push_back({init, "component", idx, false});
    for (const auto& [m, via] : callbacks_of(c)) {
      later.push_back({m, via == Via::kUi ? "ui_callback" : "component", idx, false});
    }
  }
  // Click handlers named in layout XML (android:onClick): called on the activity when the
  // user taps the view — user-driven entry points, never pre-consent.
  for (uint32_t i = 0; i < components_.size(); ++i) {
    const ComponentRef& c = components_[i];
    if (c.kind != "activity") continue;
    for (const std::string& name : inventory_.xml_click_handlers) {
      // Views call (View)V on the activity; menu items call (MenuItem)Z.
      for (const char* sig : {"(Landroid/view/View;)V", "(Landroid/view/MenuItem;)Z"}) {
        const MethodId m = program_->resolve_up(c.cls, name, sig);
        if (m != kNone) later.push_back({m, "ui_callback", i, false});
      }
    }
  }
  for (auto& e : later) entries_.push_back(std::move(e));
}

// --- call graph --------------------------------------------------------------------------

const std::vector<std::pair<MethodId, Via>>& Analyzer::callbacks_of(ClassId c) {
  auto found = callback_cache_.find(c);
  if (found != callback_cache_.end()) return found->second;
  std::vector<std::pair<MethodId, Via>> out;
  const TypeBits& bits = program_->type_bits(c);
  for (const auto& cb : k_.callbacks()) {
    if (cb.kind == CallbackKind::kLifecycle) continue;
    const uint32_t t = program_->relevant_type(cb.type);
    if (t == kNone || !Program::has_bit(bits, t)) continue;
    for (const std::string& sig : cb.methods) {
      const size_t paren = sig.find('(');
      if (paren == std::string::npos) continue;
      const MethodId m = program_->resolve_up(c, std::string_view(sig).substr(0, paren),
                                              std::string_view(sig).substr(paren));
      if (m == kNone) continue;
      const Via v = via_of(cb.kind);
      auto same = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == m; });
      if (same == out.end()) {
        out.emplace_back(m, v);
      } else if (v == Via::kUi) {
        same->second = Via::kUi; // a UI callback stays user-driven even if also listed elsewhere
      }
    }
  }
  return callback_cache_.emplace(c, std::move(out)).first->second;
}

void Analyzer::add_clinit(ClassId c, uint32_t pc, std::vector<Edge>& out) {
  for (uint32_t depth = 0; c != kNone && depth < 64; ++depth) {
    const MethodId m = program_->find_declared(c, "<clinit>", "()V");
    if (m != kNone) out.push_back({m, pc, Via::kClinit, false});
    c = program_->cls(c).super;
  }
}

const std::vector<Edge>& Analyzer::edges(MethodId m) {
  if (edge_slot_[m] == 0) {
    edge_lists_.emplace_back();
    edge_slot_[m] = static_cast<uint32_t>(edge_lists_.size());
    std::vector<Edge> out;
    if (edges_total_ < kMaxEdges) {
      expand(m, out);
      // One edge per target, kind and guard (the pc only mattered for the guard).
      std::sort(out.begin(), out.end(), [](const Edge& a, const Edge& b) {
        return std::tie(a.target, a.via, a.guarded) < std::tie(b.target, b.via, b.guarded);
      });
      out.erase(std::unique(out.begin(), out.end(),
                            [](const Edge& a, const Edge& b) {
                              return a.target == b.target && a.via == b.via &&
                                     a.guarded == b.guarded;
                            }),
                out.end());
      edges_total_ += out.size();
    }
    if (edges_total_ >= kMaxEdges && !edge_limit_hit_) {
      edge_limit_hit_ = true;
      diags_.add(Severity::kWarning, "analysis.limit", "call graph",
                 "the call graph reached " + std::to_string(kMaxEdges) +
                     " edges; methods not expanded by then are treated as calling nothing, so "
                     "some code may be reported unreachable (analysis.complete is false)");
    }
    edge_lists_[edge_slot_[m] - 1] = std::move(out);
  }
  return edge_lists_[edge_slot_[m] - 1];
}

/// Decodes one reachable method: its calls, instantiations, static-initialiser triggers,
/// component starts and consent checks; marks guarded edges and sites.
void Analyzer::expand(MethodId m, std::vector<Edge>& out) {
  dex::CodeItem code;
  if (!program_->code_item(m, code)) return;
  const MethodInfo& mi = program_->method(m);
  DexLookups& lk = lookups(mi.dex);
  const dex::DexFile& file = lk.file();

  std::vector<int32_t> reg_string(code.registers_size, -1);
  std::vector<uint8_t> reg_consent(code.registers_size, 0);
  int32_t last_consent = -1; // pending move-result: 1 when the call returned a consent flag
  struct Branch {
    uint32_t pc;
    bool true_is_jump; // if-nez: jump when true
  };
  std::vector<Branch> branches;
  std::vector<uint32_t> pcs; // instruction starts, for the guard analysis
  std::vector<ClassId> const_classes;
  std::vector<ClassId> named_classes;
  std::vector<uint32_t> strings; // string constants (reflective targets)
  bool reflective = false;
  std::vector<std::string> foreign_packages;
  std::vector<std::pair<Via, uint32_t>> start_kinds; // kind of start, pc of the call
  uint32_t reflective_pc = 0;
  std::vector<std::string> timed_kinds;
  struct SwitchAt {
    uint32_t pc;
    std::string sdk;
  };
  std::vector<SwitchAt> switches;

  dex::Instruction insn;
  for (dex::InstructionIterator it(code.insns); it.next(insn);) {
    const uint8_t op = insn.opcode;
    pcs.push_back(insn.pc);
    const int32_t pending = last_consent;
    last_consent = -1;
    if (writes_register_a(op) && insn.a < reg_string.size()) {
      const bool copy = is_move(op) && insn.b < reg_string.size();
      reg_string[insn.a] = copy ? reg_string[insn.b] : -1;
      reg_consent[insn.a] = copy ? reg_consent[insn.b] : 0;
    }
    if (op == kOpMoveResult) {
      if (insn.a < reg_consent.size()) reg_consent[insn.a] = pending == 1 ? 1 : 0;
      continue;
    }
    if (op == kOpMove || op == kOpMoveFrom16 || op == kOpMove16) {
      if (insn.a < reg_consent.size() && insn.b < reg_consent.size()) {
        reg_consent[insn.a] = reg_consent[insn.b];
      }
      continue;
    }
    if (op == kOpIfEqz || op == kOpIfNez) {
      if (insn.a < reg_consent.size() && reg_consent[insn.a]) {
        branches.push_back({insn.pc, op == kOpIfNez});
      }
      continue;
    }
    if (op == kOpConstString || op == kOpConstStringJumbo) {
      if (insn.a < reg_string.size()) reg_string[insn.a] = static_cast<int32_t>(insn.index);
      if (insn.a < reg_consent.size()) reg_consent[insn.a] = 0;
      if (strings.size() < 256) strings.push_back(insn.index);
      const StringFact* f = lk.string(insn.index);
      if (f != nullptr && f->app_class != kNone) named_classes.push_back(f->app_class);
      continue;
    }
    if (op == kOpConstClass) {
      auto t = file.type_descriptor(dex::TypeIdx(insn.index));
      if (t) {
        ClassId c = program_->find_class(*t);
        if (c != kNone) const_classes.push_back(c);
      }
      continue;
    }
    if (op == kOpNewInstance) {
      auto t = file.type_descriptor(dex::TypeIdx(insn.index));
      if (!t) continue;
      ClassId c = program_->find_class(*t);
      if (c == kNone) continue;
      add_clinit(c, insn.pc, out);
      for (const auto& [target, via] : callbacks_of(c))
        out.push_back({target, insn.pc, via, false});
      continue;
    }
    if (is_static_field_op(op)) {
      auto fid = file.field_id(dex::FieldIdx(insn.index));
      if (fid) {
        auto t = file.type_descriptor(fid->class_type);
        if (t) {
          ClassId c = program_->find_class(*t);
          if (c != kNone && c != mi.cls) add_clinit(c, insn.pc, out);
        }
      }
      continue;
    }
    if (!is_invoke_op(op)) continue;
    const RefInfo& r = lk.ref(insn.index);
    const bool dispatch = is_dispatch_invoke(op);
    const Via via = is_static_invoke(op) ? Via::kStatic : dispatch ? Via::kVirtual : Via::kDirect;
    const auto& targets = program_->invoke_targets(mi.dex, dex::MethodIdx(insn.index), dispatch);
    for (MethodId t : targets) {
      if (consent_getter_[t]) last_consent = 1;
    }
    // Bounded within one method too: huge fan-outs (an interface with thousands of
    // implementations called from many sites) stop at the budget.
    if (edges_total_ + out.size() + targets.size() <= kMaxEdges) {
      for (MethodId t : targets) out.push_back({t, insn.pc, via, false});
    } else {
      edges_total_ = kMaxEdges;
    }
    if (is_static_invoke(op) && !targets.empty()) {
      const ClassId c = program_->method(targets.front()).cls;
      if (c != mi.cls) add_clinit(c, insn.pc, out);
    }
    if ((r.flags & kRefReflection) != 0 && !reflective) {
      reflective = true;
      reflective_pc = insn.pc;
    }
    if ((r.flags & (kRefExternalPkg | kRefLaunchIntent)) != 0 && manifest_ != nullptr) {
      // Package names passed to ComponentName/setClassName/setPackage/getLaunchIntentFor-
      // Package that are not this app's: an explicit start of another app.
      for (uint32_t a = is_static_invoke(op) ? 0 : 1; a < insn.register_count(); ++a) {
        const uint32_t reg = insn.register_at(a);
        if (reg >= reg_string.size() || reg_string[reg] < 0) continue;
        const StringFact* f = lk.string(static_cast<uint32_t>(reg_string[reg]));
        if (f == nullptr || !f->package_like || f->app_class != kNone) continue;
        auto str = file.string(dex::StringIdx(static_cast<uint32_t>(reg_string[reg])));
        if (!str) continue;
        const std::string_view own = manifest_->package;
        if (*str == own || (str->size() > own.size() && str->substr(0, own.size()) == own &&
                            (*str)[own.size()] == '.')) {
          continue;
        }
        foreign_packages.emplace_back(*str);
      }
    }
    if ((r.flags & kRefLaunchIntent) != 0) start_kinds.push_back({Via::kStartActivity, insn.pc});
    if (r.start >= 0) {
      const auto& st = k_.component_starts()[static_cast<size_t>(r.start)];
      if (st.component == "activity") start_kinds.push_back({Via::kStartActivity, insn.pc});
      if (st.component == "service") start_kinds.push_back({Via::kStartService, insn.pc});
      if (st.component == "receiver") start_kinds.push_back({Via::kStartReceiver, insn.pc});
      if (st.component == "alarm" || st.component == "job") timed_kinds.push_back(st.component);
    }
    if (r.consent >= 0) {
      const auto& sig = k_.consent_signals()[static_cast<size_t>(r.consent)];
      if (reads_consent_key(sig, insn, reg_string, lk)) {
        last_consent = 1;
      } else if (sig.kind == ConsentKind::kSdkSwitch) {
        switches.push_back({insn.pc, sig.sdk});
      }
    }
  }

  // Reflective calls of the app's own methods: a method name given as a string constant, on
  // a class named in this method (const-class or class-name string) or on this class.
  if (reflective && !strings.empty()) {
    std::vector<ClassId> named = const_classes;
    named.insert(named.end(), named_classes.begin(), named_classes.end());
    named.push_back(mi.cls);
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    if (named.size() > 64) named.resize(64); // bounded work on registry-style methods
    std::unordered_set<std::string_view> names;
    for (uint32_t sidx : strings) {
      if (auto sv = file.string(dex::StringIdx(sidx))) names.insert(*sv);
    }
    for (ClassId c : named) {
      const ClassInfo& ci = program_->cls(c);
      for (uint32_t k = 0; k < ci.method_count; ++k) {
        const MethodId t = ci.first_method + k;
        if (names.count(program_->method(t).name) != 0) {
          out.push_back({t, reflective_pc, Via::kReflection, false});
        }
      }
    }
  }
  // Component starts with a target named in this method (const-class or class-name string).
  std::vector<StartRef> starts;
  if (!start_kinds.empty()) {
    std::vector<ClassId> named = const_classes;
    named.insert(named.end(), named_classes.begin(), named_classes.end());
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    for (ClassId c : named) {
      auto comps = components_by_class_.find(c);
      if (comps == components_by_class_.end()) continue;
      for (uint32_t ci : comps->second) {
        const ComponentRef& comp = components_[ci];
        Via v = comp.kind == "activity"   ? Via::kStartActivity
                : comp.kind == "service"  ? Via::kStartService
                : comp.kind == "receiver" ? Via::kStartReceiver
                                          : Via::kNone;
        if (v == Via::kNone) continue;
        std::vector<MethodId> ms;
        bool started = false;
        // One edge per start call of that kind, at the call's pc: a start guarded by a
        // consent check guards the started component too.
        for (const auto& [kind, pc] : start_kinds) {
          if (kind != v) continue;
          if (!started) startup_methods(comp, true, ms);
          started = true;
          for (MethodId t : ms) out.push_back({t, pc, v, false});
        }
        if (started) starts.push_back({c, v});
      }
    }
  }
  if (!timed_kinds.empty()) {
    // Alarms and jobs: the component they fire is the one named in the same method.
    const std::string desc = program_->method_descriptor(m);
    for (const std::string& kind : timed_kinds) {
      SelfStart& f = method_facts_[kind + "|" + desc];
      f.kind = kind;
      f.method = desc;
      f.party = party_of_class(mi.cls);
      for (ClassId c : const_classes) {
        if (components_by_class_.count(c) != 0)
          f.starts.push_back(dotted(program_->cls(c).descriptor));
      }
    }
  }
  if (!start_kinds.empty() && !foreign_packages.empty()) {
    const std::string desc = program_->method_descriptor(m);
    SelfStart& f = method_facts_["associated_start|" + desc];
    f.kind = "associated_start";
    f.method = desc;
    f.party = party_of_class(mi.cls);
    f.starts = foreign_packages;
  }
  if (!starts.empty()) starts_in_[m] = std::move(starts);

  // Consent guards: instructions only reachable when a consent flag is true.
  if (!branches.empty()) ++consent_checks_;
  if (!branches.empty() && !pcs.empty()) {
    std::unordered_map<uint32_t, uint32_t> at; // pc -> index
    at.reserve(pcs.size());
    for (uint32_t i = 0; i < pcs.size(); ++i) at.emplace(pcs[i], i);
    std::vector<uint8_t> seen(pcs.size(), 0);
    std::vector<uint32_t> work{0};
    seen[0] = 1;
    auto push_pc = [&](int64_t pc) {
      if (pc < 0) return;
      auto f = at.find(static_cast<uint32_t>(pc));
      if (f != at.end() && !seen[f->second]) {
        seen[f->second] = 1;
        work.push_back(f->second);
      }
    };
    // Consent branches by instruction index (0 = none, 1 = true jumps, 2 = true falls through).
    std::vector<uint8_t> branch_at(pcs.size(), 0);
    for (const Branch& b : branches) {
      auto f = at.find(b.pc);
      if (f != at.end()) branch_at[f->second] = b.true_is_jump ? 1 : 2;
    }
    // Try ranges sorted by start (the format requires sorted, non-overlapping ranges; a
    // hostile file gets the first range found), each handler list parsed once, and a try's
    // handlers pushed once: the walk stays linear in the method size.
    struct Try {
      uint32_t start, end;
      uint16_t handler_off;
      bool pushed;
    };
    std::vector<Try> tries;
    tries.reserve(code.tries_size);
    for (uint32_t t = 0; t < code.tries_size; ++t) {
      dex::TryItem ti = code.try_item(t);
      tries.push_back({ti.start_addr, ti.start_addr + ti.insn_count, ti.handler_off, false});
    }
    std::sort(tries.begin(), tries.end(),
              [](const Try& x, const Try& y) { return x.start < y.start; });
    std::unordered_map<uint16_t, std::vector<uint32_t>> handler_lists;
    auto handlers_of = [&](uint16_t off) -> const std::vector<uint32_t>& {
      auto [it, inserted] = handler_lists.try_emplace(off);
      if (inserted) {
        auto h = code.catch_handlers(off);
        dex::CatchHandler ch;
        while (it->second.size() < 1024 && h.next(ch)) it->second.push_back(ch.address);
      }
      return it->second;
    };
    while (!work.empty()) {
      const uint32_t i = work.back();
      work.pop_back();
      dex::Instruction in;
      if (dex::decode_instruction(code.insns, pcs[i], in) == dex::DecodeStatus::kTruncated)
        continue;
      const auto& info = in.info();
      if (branch_at[i] != 0) {
        // Follow only the "consent is false" successor.
        if (branch_at[i] == 1) {
          push_pc(int64_t{in.pc} + in.size);
        } else {
          push_pc(in.target());
        }
      } else {
        if ((info.flags & dex::kFlagContinue) != 0) push_pc(int64_t{in.pc} + in.size);
        if ((info.flags & dex::kFlagBranch) != 0) push_pc(in.target());
        if ((info.flags & dex::kFlagSwitch) != 0) {
          dex::Instruction payload;
          if (dex::decode_instruction(code.insns, static_cast<uint32_t>(in.target()), payload) ==
                  dex::DecodeStatus::kOk &&
              payload.is_payload()) {
            for (uint32_t s = 0; s < payload.payload_count; ++s) {
              push_pc(int64_t{in.pc} + payload.switch_target(s));
            }
          }
        }
      }
      if ((info.flags & dex::kFlagThrow) != 0 && !tries.empty()) {
        auto t = std::upper_bound(tries.begin(), tries.end(), in.pc,
                                  [](uint32_t pc, const Try& x) { return pc < x.start; });
        if (t != tries.begin()) {
          --t;
          if (in.pc < t->end && !t->pushed) {
            t->pushed = true;
            for (uint32_t h : handlers_of(t->handler_off)) push_pc(h);
          }
        }
      }
    }
    auto guarded_pc = [&](uint32_t pc) {
      auto f = at.find(pc);
      return f != at.end() && !seen[f->second];
    };
    for (Edge& e : out) {
      if (guarded_pc(e.pc)) e.guarded = true;
    }
    auto range = std::equal_range(sites_.begin(), sites_.end(), Site{m, 0, 0},
                                  [](const Site& a, const Site& b) { return a.method < b.method; });
    for (auto s = range.first; s != range.second; ++s) {
      if (guarded_pc(s->pc)) s->guarded = true;
    }
    for (const SwitchAt& s : switches) {
      switch_calls_.push_back({m, s.pc, s.sdk, guarded_pc(s.pc)});
    }
  } else {
    for (const SwitchAt& s : switches) switch_calls_.push_back({m, s.pc, s.sdk, false});
  }
}

// --- searches ----------------------------------------------------------------------------

void Analyzer::bfs(Search mode) {
  Reach& r = mode == Search::kPreConsent ? pre_ : mode == Search::kStartup ? startup_ : all_;
  const bool startup_only = mode != Search::kAll;
  const size_t n = program_->methods().size();
  r.entry.assign(n, 0);
  r.parent.assign(n, kNone);
  r.via.assign(n, Via::kNone);
  r.guarded_edge.assign(n, 0);
  std::deque<MethodId> queue;
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    const EntryPoint& e = entries_[i];
    if (startup_only && !e.pre_consent) continue;
    if (r.entry[e.method] != 0) continue;
    r.entry[e.method] = i + 1;
    queue.push_back(e.method);
  }
  while (!queue.empty()) {
    const MethodId m = queue.front();
    queue.pop_front();
    for (const Edge& e : edges(m)) {
      if (mode == Search::kPreConsent && e.guarded) continue;
      if (startup_only && e.via == Via::kUi) continue;
      if (r.entry[e.target] != 0) continue;
      r.entry[e.target] = r.entry[m];
      r.parent[e.target] = m;
      r.via[e.target] = e.via;
      r.guarded_edge[e.target] = e.guarded ? 1 : 0;
      queue.push_back(e.target);
    }
  }
}

bool Analyzer::in_app_package(std::string_view descriptor, size_t sdk_prefix_len) const {
  // "Lcom/tencent/bugly/hotfix/Main;" is in app package com.tencent.bugly.hotfix.
  if (app_package_.empty() || descriptor.size() < app_package_.size() + 3) return false;
  if (descriptor.substr(1, app_package_.size()) != app_package_) return false;
  if (descriptor[app_package_.size() + 1] != '/') return false;
  return app_package_.size() >= sdk_prefix_len;
}

const knowledge::Sdk* Analyzer::owner_of(ClassId c) const {
  // The app's own package is the app's, even when it lies under an SDK vendor's prefix
  // (Tencent's Bugly demo is com.tencent.bugly.hotfix): unless the SDK prefix is longer.
  const std::string_view d = program_->cls(c).descriptor;
  const knowledge::Sdk* sdk = matcher_->owner_of_class(d);
  if (sdk != nullptr && in_app_package(d, matcher_->matched_prefix(d).size())) return nullptr;
  return sdk;
}

std::string Analyzer::party_of_class(ClassId c) const {
  const knowledge::Sdk* sdk = owner_of(c);
  return sdk != nullptr ? sdk->id : "app";
}

Analyzer::Witness Analyzer::witness(MethodId m, const Reach* r) const {
  Witness w;
  std::vector<MethodId> frames;
  std::vector<Via> vias;
  if (r != nullptr && r->entry[m] != 0) {
    w.found = true;
    for (MethodId f = m; f != kNone && frames.size() < 100000; f = r->parent[f]) {
      frames.push_back(f);
      vias.push_back(r->via[f]);
      if (r->via[f] == Via::kUi) w.crossed_ui = true;
      if (r->guarded_edge[f]) w.crossed_guard = true;
    }
    std::reverse(frames.begin(), frames.end());
    std::reverse(vias.begin(), vias.end());
    w.entry = &entries_[r->entry[m] - 1];
  }
  const knowledge::Sdk* owner = owner_of(program_->method(m).cls);
  if (owner != nullptr) {
    w.party = owner->id;
    w.party_by = "caller";
  } else {
    w.party = "app";
    w.party_by = "app";
    for (size_t i = frames.size(); i-- > 0;) {
      const knowledge::Sdk* o = owner_of(program_->method(frames[i]).cls);
      if (o != nullptr) {
        w.party = o->id;
        w.party_by = "path";
        break;
      }
    }
  }
  // Witness path, capped: the entry end and the caller end are kept.
  const size_t nf = frames.size();
  for (size_t i = 0; i < nf; ++i) {
    if (nf > kMaxPathFrames && i == kMaxPathFrames / 2) {
      w.path.push_back("...");
      w.path_via.push_back("...");
      i = nf - kMaxPathFrames / 2;
    }
    w.path.push_back(program_->method_descriptor(frames[i]));
    if (i > 0) w.path_via.push_back(via_name(vias[i]));
  }
  return w;
}

void Analyzer::fill_entry(const Witness& w, bool& has_entry, EntryRef& out) const {
  if (!w.found) return;
  has_entry = true;
  out.kind = w.entry->kind;
  out.component = components_[w.entry->component].name;
  out.method = program_->method_descriptor(w.entry->method);
}

void Analyzer::collections() {
  // SDK consent switches: an SDK whose switch is called, and only after consent, keeps its
  // own collections until then.
  std::map<std::string, bool> switch_pre; // sdk -> some call is pre-consent
  for (const SwitchCall& s : switch_calls_) {
    const bool pre = pre_.entry[s.method] != 0 && !s.guarded;
    switch_pre[s.sdk] = switch_pre[s.sdk] || pre;
  }
  const auto& apis = k_.apis();
  for (const Site& s : sites_) {
    const Api& api = apis[s.api];
    if (api.kind == ApiKind::kPermissionRequest) continue; // permission_requests()
    Collection base;
    base.api = api.target;
    base.api_id = api.id;
    base.api_kind = site_kind_name(s.kind);
    base.caller = program_->method_descriptor(s.method);
    base.pc = s.pc;
    base.permissions = api.permissions;
    base.reachable = all_.entry[s.method] != 0;
    base.pre_consent = pre_.entry[s.method] != 0 && !s.guarded;
    const Reach* r = base.pre_consent ? &pre_ : base.reachable ? &all_ : nullptr;
    Witness w = witness(s.method, r);
    fill_entry(w, base.has_entry, base.entry);
    // A guard is reported only where it matters: the witness starts at a start-up entry
    // point (code first reached from a component the user opens has no consent question).
    const bool startup_witness =
        w.found && (w.entry->pre_consent || w.entry->kind == "ui_callback");
    if (base.reachable && !base.pre_consent && startup_witness) {
      if (s.guarded && pre_.entry[s.method] != 0) {
        base.consent_guard = "stored_flag";
      } else if (w.crossed_guard) {
        base.consent_guard = "stored_flag";
      } else if (w.crossed_ui || base.entry.kind == "ui_callback") {
        base.consent_guard = "ui_callback";
      }
    }
    base.party = std::move(w.party);
    base.party_by = std::move(w.party_by);
    if (base.pre_consent && base.party != "app") {
      auto sw = switch_pre.find(base.party);
      if (sw != switch_pre.end() && !sw->second) {
        base.pre_consent = false;
        base.consent_guard = "sdk_switch";
      }
    }
    base.path = std::move(w.path);
    base.path_via = std::move(w.path_via);
    for (const std::string& pi : api.pi_types) {
      Collection c = base;
      c.pi_type = pi;
      result_.collections.push_back(std::move(c));
    }
  }
  std::sort(result_.collections.begin(), result_.collections.end(),
            [](const Collection& a, const Collection& b) {
              if (a.caller != b.caller) return a.caller < b.caller;
              if (a.pc != b.pc) return a.pc < b.pc;
              if (a.api != b.api) return a.api < b.api;
              return a.pi_type < b.pi_type;
            });
}

std::vector<std::string> Analyzer::permission_strings(MethodId m) const {
  // The permissions a request names are compile-time constants (Manifest.permission.*,
  // inlined as strings) in the requesting method; an array handed in from elsewhere is not
  // followed (register tracking is intra-procedural).
  std::set<std::string> out;
  dex::CodeItem code;
  if (!program_->code_item(m, code)) return {};
  const dex::DexFile& file = program_->dex(program_->method(m).dex);
  dex::Instruction insn;
  for (dex::InstructionIterator it(code.insns); it.next(insn);) {
    if (insn.opcode != kOpConstString && insn.opcode != kOpConstStringJumbo) continue;
    auto v = file.string(dex::StringIdx(insn.index));
    if (v && v->size() < 128 && v->substr(0, 19) == "android.permission.") out.emplace(*v);
    if (out.size() >= 64) break;
  }
  return {out.begin(), out.end()};
}

void Analyzer::permission_requests() {
  const auto& apis = k_.apis();
  bool any = false;
  for (const Site& s : sites_) any = any || apis[s.api].kind == ApiKind::kPermissionRequest;
  if (!any) return;
  bfs(Search::kStartup);
  for (const Site& s : sites_) {
    const Api& api = apis[s.api];
    if (api.kind != ApiKind::kPermissionRequest) continue;
    PermissionRequest q;
    q.api = api.target;
    q.api_id = api.id;
    q.caller = program_->method_descriptor(s.method);
    q.pc = s.pc;
    q.permissions = permission_strings(s.method);
    q.reachable = all_.entry[s.method] != 0;
    q.pre_consent = pre_.entry[s.method] != 0 && !s.guarded;
    q.at_startup = startup_.entry[s.method] != 0;
    const Reach* r = q.pre_consent  ? &pre_
                     : q.at_startup ? &startup_
                     : q.reachable  ? &all_
                                    : nullptr;
    Witness w = witness(s.method, r);
    fill_entry(w, q.has_entry, q.entry);
    q.party = std::move(w.party);
    q.party_by = std::move(w.party_by);
    q.path = std::move(w.path);
    q.path_via = std::move(w.path_via);
    result_.permission_requests.push_back(std::move(q));
  }
  std::sort(result_.permission_requests.begin(), result_.permission_requests.end(),
            [](const PermissionRequest& a, const PermissionRequest& b) {
              return a.caller != b.caller ? a.caller < b.caller : a.pc < b.pc;
            });
}

void Analyzer::permissions() {
  std::set<std::string> guarding;
  for (const Api& a : k_.apis()) guarding.insert(a.permissions.begin(), a.permissions.end());
  std::map<std::string, std::string> used_by; // permission -> smallest api
  std::set<std::string> requested;
  if (manifest_ != nullptr) {
    for (const auto& p : manifest_->uses_permissions) requested.insert(p.name);
  }
  std::set<std::pair<std::string, std::string>> missing_seen;
  for (const Collection& c : result_.collections) {
    if (!c.reachable) continue;
    bool any = false;
    for (const std::string& p : c.permissions) {
      auto [it, inserted] = used_by.emplace(p, c.api);
      if (!inserted && c.api < it->second) it->second = c.api;
      if (requested.count(p) != 0) any = true;
    }
    if (!c.permissions.empty() && !any && manifest_ != nullptr &&
        missing_seen.insert({c.api, c.caller}).second) {
      result_.missing_permissions.push_back({c.api, c.caller, c.permissions});
    }
  }
  if (manifest_ == nullptr) return;
  std::set<std::string> done;
  for (const auto& p : manifest_->uses_permissions) {
    if (!done.insert(p.name).second) continue;
    PermissionUse u;
    u.permission = p.name;
    u.guards_api = guarding.count(p.name) != 0;
    auto it = used_by.find(p.name);
    u.used = it != used_by.end();
    if (u.used) u.used_by = it->second;
    result_.permission_use.push_back(std::move(u));
  }
}

void Analyzer::self_starts() {
  // Receivers of system broadcasts, and the components their code starts.
  for (uint32_t i = 0; i < components_.size(); ++i) {
    const ComponentRef& c = components_[i];
    if (c.system_actions.empty()) continue;
    SelfStart s;
    s.kind = c.boot ? "boot_receiver" : "system_receiver";
    s.component = c.name;
    s.actions = c.system_actions;
    s.party = party_of_class(c.cls);
    std::vector<MethodId> roots;
    startup_methods(c, true, roots);
    for (MethodId r : roots) {
      if (program_->method(r).name == "onReceive") s.method = program_->method_descriptor(r);
    }
    std::set<std::string> started;
    std::unordered_set<MethodId> seen(roots.begin(), roots.end());
    std::deque<MethodId> queue(roots.begin(), roots.end());
    while (!queue.empty() && seen.size() < 20000) {
      MethodId m = queue.front();
      queue.pop_front();
      auto st = starts_in_.find(m);
      if (st != starts_in_.end()) {
        for (const StartRef& sr : st->second)
          started.insert(dotted(program_->cls(sr.cls).descriptor));
      }
      if (edge_slot_[m] == 0) continue; // not expanded: beyond the edge limit
      for (const Edge& e : edge_lists_[edge_slot_[m] - 1]) {
        if (e.via == Via::kStartActivity || e.via == Via::kStartService ||
            e.via == Via::kStartReceiver) {
          continue; // the started component's own code is another component's
        }
        if (seen.insert(e.target).second) queue.push_back(e.target);
      }
    }
    s.starts.assign(started.begin(), started.end());
    result_.self_starts.push_back(std::move(s));
  }
  // Push-SDK keep-alive: a push SDK's service or receiver that other apps can start
  // (exported), that runs in its own process, or that listens to system broadcasts — the
  // patterns push SDKs use to keep a process alive and wake each other's apps.
  for (const ComponentRef& c : components_) {
    if (c.component == nullptr || (c.kind != "service" && c.kind != "receiver")) continue;
    const knowledge::Sdk* sdk = owner_of(c.cls);
    if (sdk == nullptr || sdk->category != "push") continue;
    if (!c.exported && c.component->process.empty() && c.system_actions.empty()) continue;
    SelfStart s;
    s.kind = "keep_alive";
    s.component = c.name;
    std::set<std::string> actions;
    for (const auto& f : c.component->intent_filters)
      actions.insert(f.actions.begin(), f.actions.end());
    s.actions.assign(actions.begin(), actions.end());
    s.party = sdk->id;
    result_.self_starts.push_back(std::move(s));
  }
  for (auto& [key, f] : method_facts_) {
    std::sort(f.starts.begin(), f.starts.end());
    f.starts.erase(std::unique(f.starts.begin(), f.starts.end()), f.starts.end());
    result_.self_starts.push_back(f);
  }
}

AnalysisResult Analyzer::run() {
  auto t0 = Clock::now();
  program_ = std::make_unique<Program>(set_, index_, k_);
  matcher_ = std::make_unique<SdkMatcher>(k_);
  time("analysis.program", t0);

  t0 = Clock::now();
  if (manifest_ != nullptr) {
    app_package_ = manifest_->package;
    std::replace(app_package_.begin(), app_package_.end(), '.', '/');
  }
  // SDK evidence by code excludes the app's own package (see owner_of).
  std::vector<std::string_view> descriptors;
  descriptors.reserve(program_->classes().size());
  for (const ClassInfo& c : program_->classes()) {
    if (matcher_->owner_of_class(c.descriptor) != nullptr &&
        in_app_package(c.descriptor, matcher_->matched_prefix(c.descriptor).size())) {
      continue;
    }
    descriptors.push_back(c.descriptor);
  }
  std::vector<DetectedSdk> sdks = detect_sdks(k_, *matcher_, descriptors, manifest_, inventory_);
  result_.packers = detect_packers(k_, descriptors, inventory_);
  time("analysis.sdks", t0);

  t0 = Clock::now();
  sweep();
  std::stable_sort(sites_.begin(), sites_.end(),
                   [](const Site& a, const Site& b) { return a.method < b.method; });
  time("analysis.sweep", t0);

  t0 = Clock::now();
  build_components();
  build_entries();
  edge_slot_.assign(program_->methods().size(), 0);
  bfs(Search::kPreConsent); // the headline search first: an edge budget hit affects it least
  bfs(Search::kAll);
  time("analysis.callgraph", t0);

  t0 = Clock::now();
  collections();
  permission_requests();
  permissions();
  self_starts();
  for (DetectedSdk& d : sdks) {
    SdkUse u;
    u.detected = std::move(d);
    std::set<std::string> pis;
    for (const Collection& c : result_.collections) {
      if (c.party == u.detected.sdk->id) pis.insert(c.pi_type);
    }
    u.pi_types.assign(pis.begin(), pis.end());
    result_.sdks.push_back(std::move(u));
  }
  AnalysisStats& st = result_.stats;
  st.classes = program_->classes().size();
  st.methods = program_->methods().size();
  st.call_edges = edges_total_;
  st.entry_points = entries_.size();
  st.consent_checks = consent_checks_;
  st.complete = !edge_limit_hit_;
  for (size_t m = 0; m < program_->methods().size(); ++m) {
    if (all_.entry[m] != 0) ++st.reachable_methods;
    if (pre_.entry[m] != 0) ++st.pre_consent_methods;
  }
  time("analysis.facts", t0);
  return std::move(result_);
}

} // namespace

AnalysisResult analyze(const dex::DexSet& set, const dex::ClassIndex& index,
                       const apk::Manifest* manifest, const apk::ApkInventory& inventory,
                       const knowledge::Knowledge& knowledge, Diagnostics& diags) {
  Analyzer a(set, index, manifest, inventory, knowledge, diags);
  return a.run();
}

} // namespace appaudit::analysis
