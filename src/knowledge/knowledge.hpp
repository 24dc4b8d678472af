#pragma once
/// The knowledge base: PI types, permissions, sensitive APIs, third-party SDKs and packers,
/// the framework model and the regulation catalog (knowledge/regulations/), loaded from the
/// versioned JSON files under knowledge/ (see knowledge/README.md).
///
/// Knowledge is data with a schema: every file is validated strictly on load — unknown
/// fields, missing or mistyped fields, duplicate or unsorted ids, references to unknown PI
/// types, permissions or sources are errors. Broken knowledge is a programming/configuration
/// error, not an input problem, so loading throws `KnowledgeError` naming the file, the entry
/// and the field. The files are embedded in the binary at build time (a scan is a function of
/// the APK, the knowledge version and the engine version); `load_dir` reads another copy.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace appaudit::knowledge {

class KnowledgeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Source {
  std::string id, title, url;
};

struct PiType {
  std::string id, name_zh, name_en, category;
  bool sensitive = false;           ///< sensitive PI per GB/T 35273-2020 appendix B
  bool immutable_device_id = false; ///< cannot be reset, per GB/T 41391-2022 appendix F
  std::string parent;               ///< broader PI type id, "" when none
  std::vector<std::string> sources;
};

struct Permission {
  std::string id; ///< permission name, e.g. "android.permission.READ_PHONE_STATE"
  std::string name_zh;
  std::vector<std::string> pi_types;
  std::string protection_level; ///< "dangerous", "normal", "signature|privileged", ...
  bool runtime = false;         ///< granted at run time (dangerous)
  int added_api = 1;
  std::optional<int> removed_api;
  std::vector<std::string> sources;
};

/// kPasswordField: the target is a text getter (DEX method descriptor) whose result is PI when
/// called on an input field the app's layouts mark as a password (android:inputType
/// textPassword / textVisiblePassword / textWebPassword / numberPassword, or
/// android:password="true").
/// kPermissionRequest: a method that asks the user for runtime permissions (its String[]
/// argument names them); it collects nothing itself, so its pi_types are empty.
enum class ApiKind {
  kMethod,
  kField,
  kContentUri,
  kSettingsKey,
  kIntentAction,
  kPasswordField,
  kPermissionRequest
};
const char* to_string(ApiKind kind);

struct Api {
  std::string id;
  ApiKind kind = ApiKind::kMethod;
  /// DEX descriptor for methods ("Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/
  /// lang/String;") and fields ("Landroid/os/Build;->SERIAL:Ljava/lang/String;"); the literal
  /// for URIs, settings keys and intent actions.
  std::string target;
  std::vector<std::string> pi_types;
  std::vector<std::string> permissions;
  int min_api = 1;
  std::optional<int> max_api;
  std::vector<std::string> sources;
};

struct Sdk {
  std::string id, name_zh, name_en, vendor, category, region;
  std::vector<std::string> packages;       ///< dotted Java package prefixes
  std::vector<std::string> components;     ///< identifying manifest component classes
  std::vector<std::string> meta_data_keys; ///< <meta-data> names (app keys)
  std::vector<std::string> native_libs;    ///< file names, '*' globs allowed
  std::vector<std::string> hosts;
  std::string privacy_policy_url;
  std::vector<std::string> collects; ///< PI type ids the vendor documents collecting
  std::vector<std::string> sources;
  std::string file; ///< knowledge file it came from, e.g. "sdks/cn.json"
};

struct Packer {
  std::string id, name_zh, name_en, vendor;
  std::vector<std::string> classes, native_libs, assets;
  std::vector<std::string> sources;
};

/// A framework class's place in the type hierarchy (classes the APK does not carry, e.g.
/// "Landroid/app/IntentService;" extends "Landroid/app/Service;"). Descriptors throughout.
/// Interfaces are listed as DEX lists them: super java.lang.Object, the interfaces they extend
/// in `interfaces`. Every super and interface is itself an entry; every chain ends at
/// java.lang.Object, the only entry with no super.
struct FrameworkClass {
  std::string id;    ///< descriptor
  std::string super; ///< descriptor, "" for java.lang.Object
  std::vector<std::string> interfaces;
  std::vector<std::string> sources;
};

/// How the framework calls a method back.
enum class CallbackKind {
  kAsync,     ///< "async": threads, executors, handlers, timers (runs soon after, by itself)
  kUi,        ///< "ui": only after a user action (click, dialog button, menu, touch)
  kLifecycle, ///< "lifecycle": component lifecycle, entered from the manifest or starts
  kSystem,    ///< "system": system events (location updates, dynamic receivers, connections)
};
const char* to_string(CallbackKind kind);

/// Methods the framework calls on objects of `type` (a class or interface descriptor) or its
/// subtypes. For async/ui/system kinds: once reachable code instantiates such a class, these
/// methods of it become reachable. For lifecycle kinds: the methods of a manifest
/// component of kind `component`; `startup` marks those that run when the component starts.
/// A (type, method) pair belongs to one lifecycle entry and to at most one other entry (e.g.
/// BroadcastReceiver.onReceive is a receiver's lifecycle and, registered at run time, system).
struct Callback {
  std::string id;
  std::string type; ///< descriptor
  std::vector<std::string>
      methods; ///< name + proto, e.g. "run()V", "onClick(Landroid/view/View;)V"
  CallbackKind kind = CallbackKind::kAsync;
  std::string component; ///< lifecycle only: activity|service|receiver|provider|application
  bool startup = false;  ///< lifecycle only: part of the component's start-up
  std::vector<std::string> sources;
};

/// A call that starts a component through an Intent (startActivity, startService,
/// bindService, sendBroadcast, ...), matched by method name on any receiver class. Names are
/// unique across entries. Some names are generic ("set" of AlarmManager, "schedule" of
/// JobScheduler, "getActivity" of PendingIntent): a call only starts a component when the
/// target can be resolved from an Intent, PendingIntent or JobInfo argument.
struct ComponentStart {
  std::string id;
  std::string method_name; ///< e.g. "startService"
  std::string component;   ///< activity|service|receiver|alarm|job
  std::vector<std::string> sources;
};

/// A broadcast action the system sends without the user opening the app.
struct SystemBroadcast {
  std::string id;    ///< the action, e.g. "android.intent.action.BOOT_COMPLETED"
  bool boot = false; ///< sent at (or right after) device boot
  std::vector<std::string> sources;
};

/// What an app-type signal (knowledge/app_type_signals.json) matches.
enum class AppTypeSignalKind {
  kIntentCategory,    ///< "intent_category": a category in a component's intent filter
  kIntentAction,      ///< "intent_action": an action in a component's intent filter
  kServicePermission, ///< "service_permission": a service guarded by this permission
  kViewScheme,        ///< "view_scheme": a VIEW filter for this URI scheme with no host
  kAppCategory,       ///< "app_category": android:appCategory (game, audio, video, ...)
  kNativeLib,         ///< "native_lib": a native library file name (libunity.so)
  kLabelKeyword,      ///< "label_keyword": a substring of the app label (zh-CN or default)
  kPackageKeyword,    ///< "package_keyword": a package-name segment (containing it, if >= 5
                      ///< characters; equal to it otherwise)
};
const char* to_string(AppTypeSignalKind kind);

/// One hint at the app's type, with how much it alone says (percent).
struct AppTypeSignal {
  std::string id;
  std::string app_type; ///< an app type id of regulations/necessary_pi.json
  AppTypeSignalKind kind = AppTypeSignalKind::kLabelKeyword;
  std::string value;
  int weight = 0; ///< 1..99: the confidence this signal alone gives
  std::vector<std::string> sources;
};

enum class ConsentKind {
  kStorageRead, ///< "storage_read": reads a stored value by key (SharedPreferences, MMKV, ...)
  kSdkSwitch,   ///< "sdk_switch": an SDK's own privacy-consent switch
  kKeyPattern,  ///< "key_pattern": a substring that makes a stored key consent-like
};
const char* to_string(ConsentKind kind);

struct ConsentSignal {
  std::string id;
  ConsentKind kind = ConsentKind::kStorageRead;
  /// storage_read / sdk_switch: method descriptor; key_pattern: lower-case substring.
  std::string target;
  std::string sdk; ///< sdk_switch only: the SDK id it belongs to (must exist)
  /// Index among the target's declared parameters, 0-based, the receiver of an instance method
  /// not counted; -1 for null. storage_read: the String key (required); sdk_switch: the
  /// boolean that carries the user's choice, -1 when the call itself means consent.
  int arg = -1;
  std::vector<std::string> sources;
};

/// How closely an entry's Chinese text was checked against a copy of the document it quotes
/// (regulation catalog files only; see knowledge/README.md).
enum class TextStatus {
  kVerified,   ///< "verified": matched word for word against the issuing authority's own page
  kSecondary,  ///< "secondary": matched word for word against a reprint or quotation elsewhere
  kUnverified, ///< "unverified": the wording as known, not matched word for word against a copy
  kPractice,   ///< "practice": a testing-practice value no regulation text states
};
const char* to_string(TextStatus status);

/// One of the ten problem types of the MIIT campaign notice (工信部信管函〔2020〕164号),
/// the category every finding is filed under.
struct ProblemType {
  std::string id; ///< e.g. "illegal_collection"
  std::string name_zh, name_en;
  /// The notice's four areas: "pi_processing", "obstruction_harassment", "deception",
  /// "store_responsibility".
  std::string group;
  std::string text_zh, text_en;
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};

/// A category ("m191.3") or item ("m191.3.1") of 《App违法违规收集使用个人信息行为认定方法》.
struct RegulationItem {
  std::string id;
  bool category = false;
  std::string parent; ///< the category of an item, "" for a category
  std::string text_zh, text_en;
  std::vector<std::string> problem_types; ///< 164 problem types an item evidences
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};

/// One line of an app type's necessary personal information, as the rule words it, mapped onto
/// the PI taxonomy.
struct NecessaryPi {
  std::string text_zh;
  std::vector<std::string> pi_types;
};

/// One of the 39 app types of 《常见类型移动互联网应用程序必要个人信息范围规定》.
struct AppType {
  std::string id;      ///< e.g. "browser"
  std::string name_zh; ///< e.g. "浏览器类"
  std::string name_en;
  std::string clause; ///< e.g. "第五条（三十二）"
  std::string basic_function_zh;
  std::vector<NecessaryPi> necessary_pi;
  bool no_pi_needed = false; ///< the basic function needs no personal information at all
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};

/// GB/T 41391-2022 data: its appendices, the immutable device identifiers of appendix F (each
/// a PI type flagged immutable_device_id) and the permissions appendix E rates of low
/// relevance to a service type.
struct Gbt41391Appendix {
  std::string id; ///< "appendix.a" ... "appendix.f"
  std::string title_zh, title_en;
  bool normative = false;
  std::vector<std::string> sources;
};
struct ImmutableDeviceId {
  std::string id; ///< "immutable.<pi_type>"
  std::string name_zh;
  std::string pi_type;
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};
struct LowRelevancePermissions {
  std::string id; ///< "low_relevance.<service type>"
  std::string service_type_zh;
  std::string app_type; ///< the corresponding app type id, "" when none corresponds
  std::vector<std::string> permissions;
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};

/// A number the checks compare against (30 s collection interval, 4 clicks, 15 working days).
struct Threshold {
  std::string id;
  int value = 0;
  std::string unit; ///< "seconds", "hours", "clicks", "working_days"
  std::string text_zh, text_en;
  TextStatus text_status = TextStatus::kUnverified;
  std::vector<std::string> sources;
};

/// A rule of the rule engine (knowledge/rules.json): what it checks, the 164 problem type it
/// evidences, the 191-method items it cites, how severe a hit is, and which engine can
/// supply its evidence ("static" now; "policy" and "dynamic" rules are listed so that rule
/// coverage says plainly what was not checked).
struct Rule {
  std::string id;
  std::string title_zh, title_en;
  std::string category;             ///< ProblemType id
  std::vector<std::string> clauses; ///< RegulationItem ids (items, not categories)
  std::string severity;             ///< high | medium | low | info
  std::string engine;               ///< static | policy | dynamic
  std::string evidence_zh, evidence_en;
  std::vector<std::string> sources;
};

/// What a privacy-policy term list entry (knowledge/policy_terms.json) is for.
enum class PolicyTermKind {
  kPi,   ///< "pi": surface terms naming a PI type (`pi_type`)
  kStop, ///< "stop": phrases that contain a PI term but do not mention PI (个人信息保护政策)
  kNegation,     ///< "negation": cues of a statement that something is not done (不会收集)
  kPurpose,      ///< "purpose": purpose cues (用于, 为了, 以便)
  kCondition,    ///< "condition": collection-condition cues (当您…时, 在您使用…)
  kPractice,     ///< "practice": processing verbs (收集, 使用, 共享)
  kSharing,      ///< "sharing": third-party sharing cues (共享, 第三方, 委托处理)
  kSdkSection,   ///< "sdk_section": headings of a third-party SDK list (第三方SDK目录)
  kUpdated,      ///< "updated": labels of the last-updated / effective date (更新日期)
  kPolicyTitle,  ///< "policy_title": names of a privacy policy (隐私政策, Privacy Policy)
  kRight,        ///< "right": a user right or channel (`right`: deletion, correction, ...)
  kRightContext, ///< "right_context": words that make a sentence grant a right (您可以, 有权)
  kException, ///< "exception": an exception that makes a negation conditional (除非, 未经, unless)
  kContrast,  ///< "contrast": contrast words that end a negation's scope (但, but)
  kGeneric,   ///< "generic": vague PI terms (个人信息, 用户信息): mentions with that text
  kListIntro, ///< "list_intro": words of a line introducing a list of data (包括, 如下, 以下)
  kSectionDefinitions, ///< "section_definitions": headings of a definitions section (释义)
  kSectionPractice,    ///< "section_practice": headings of a data-practice section (收集, 共享)
  kSectionOther, ///< "section_other": headings of sections that are not data practices (权利, 安全)
  kNonPractice, ///< "non_practice": words of sentences about rights or protection (删除, 保护)
  kGenericBlocker, ///< "generic_blocker": words before a generic term that make it no practice
  /// "pi_head": head nouns (信息, 数据, 记录, 画像) of vague PI phrases the terms do not name
  /// (统计信息, 搜索或浏览的信息): candidates the learned tagger accepts or drops
  kPiHead,
  kPiHeadBoundary, ///< "pi_head_boundary": words a candidate's modifier does not extend over (和,
                   ///< 及)
};
const char* to_string(PolicyTermKind kind);

/// One entry of knowledge/policy_terms.json: terms (Chinese or English; ASCII letters match
/// case-insensitively, at word boundaries) and what they stand for.
struct PolicyTerm {
  std::string id;
  PolicyTermKind kind = PolicyTermKind::kPi;
  std::string pi_type; ///< kind pi only: a PI type id
  /// kind right only: access, correction, deletion, account_closure, complaint,
  /// withdraw_consent
  std::string right;
  std::vector<std::string> terms;
  std::vector<std::string> sources;
};

/// Where a learned model came from: what it was trained on, how, and when
/// (knowledge/policy_tagger.json `training`).
struct ModelTraining {
  std::string corpus;    ///< e.g. CA4P-483 (387 files)
  std::string split;     ///< which files trained it, e.g. "even ids (tune half)"
  std::string algorithm; ///< e.g. logistic regression, SGD
  std::string command;   ///< the exact command that regenerates the file
  std::string date;      ///< YYYY-MM-DD
  int epochs = 0;
  int seed = 0;
  int examples = 0;  ///< training mentions
  int positives = 0; ///< of which labelled
};

/// The learned practice tagger of the policy reader (knowledge/policy_tagger.json): a linear
/// model over named features of a PI mention (the feature set `features` is defined by
/// src/policy/policy.cpp). score = 1 / (1 + exp(-(bias + sum of the weights of the mention's
/// features))); a mention is a practice mention when score >= threshold.
struct PolicyTagger {
  std::string id;
  std::string features; ///< feature-set version the weights belong to, e.g. "mention/1"
  double bias = 0;
  double threshold = 0.5;
  std::vector<std::pair<std::string, double>> weights; ///< sorted by feature name
  ModelTraining training;
  std::vector<std::string> sources;
};

/// One knowledge file's bytes, by its path relative to knowledge/ ("sdks/cn.json").
struct KnowledgeFile {
  std::string path;
  std::string_view content;
};

class Knowledge {
 public:
  /// The copy embedded at build time.
  static Knowledge load_embedded();
  /// The files under `dir` (a knowledge/ folder).
  static Knowledge load_dir(const std::string& dir);
  /// From file contents; throws KnowledgeError on the first violation.
  static Knowledge load(const std::vector<KnowledgeFile>& files);

  const std::vector<PiType>& pi_types() const { return pi_types_; }
  const std::vector<Permission>& permissions() const { return permissions_; }
  const std::vector<Api>& apis() const { return apis_; }
  const std::vector<Sdk>& sdks() const { return sdks_; }
  const std::vector<Packer>& packers() const { return packers_; }
  const std::vector<FrameworkClass>& framework_classes() const { return framework_classes_; }
  const std::vector<Callback>& callbacks() const { return callbacks_; }
  const std::vector<ComponentStart>& component_starts() const { return component_starts_; }
  const std::vector<SystemBroadcast>& system_broadcasts() const { return system_broadcasts_; }
  const std::vector<ConsentSignal>& consent_signals() const { return consent_signals_; }
  const std::vector<ProblemType>& problem_types() const { return problem_types_; }
  const std::vector<RegulationItem>& regulation_items() const { return regulation_items_; }
  const std::vector<AppType>& app_types() const { return app_types_; }
  const std::vector<AppTypeSignal>& app_type_signals() const { return app_type_signals_; }
  const std::vector<Gbt41391Appendix>& gbt41391_appendices() const { return gbt41391_appendices_; }
  const std::vector<ImmutableDeviceId>& immutable_device_ids() const {
    return immutable_device_ids_;
  }
  const std::vector<LowRelevancePermissions>& low_relevance_permissions() const {
    return low_relevance_permissions_;
  }
  const std::vector<Threshold>& thresholds() const { return thresholds_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<PolicyTerm>& policy_terms() const { return policy_terms_; }
  /// The learned practice tagger, nullptr when the files have none.
  const PolicyTagger* policy_tagger() const {
    return policy_tagger_.empty() ? nullptr : &policy_tagger_.front();
  }
  /// Sources of all files, "file#id" → Source.
  const std::vector<Source>& sources() const { return sources_; }

  const PiType* find_pi_type(std::string_view id) const;
  const Permission* find_permission(std::string_view id) const;
  const Sdk* find_sdk(std::string_view id) const;
  const ProblemType* find_problem_type(std::string_view id) const;
  const RegulationItem* find_regulation_item(std::string_view id) const;
  const Threshold* find_threshold(std::string_view id) const;
  /// An app type by its id ("browser"), its Chinese name ("浏览器类") or that name without the
  /// trailing 类 ("浏览器"); nullptr when none matches.
  const AppType* find_app_type(std::string_view id_or_name_zh) const;
  /// Whether `pi_type` is necessary personal information of `type`: listed in its necessary_pi,
  /// or a narrower type (by `parent`) of one listed.
  bool is_necessary_pi(const AppType& type, std::string_view pi_type) const;

  /// SHA-256 over the files' paths and contents: the knowledge version cited in reports.
  const std::string& version() const { return version_; }

 private:
  std::vector<PiType> pi_types_;
  std::vector<Permission> permissions_;
  std::vector<Api> apis_;
  std::vector<Sdk> sdks_;
  std::vector<Packer> packers_;
  std::vector<FrameworkClass> framework_classes_;
  std::vector<Callback> callbacks_;
  std::vector<ComponentStart> component_starts_;
  std::vector<SystemBroadcast> system_broadcasts_;
  std::vector<AppTypeSignal> app_type_signals_;
  std::vector<ConsentSignal> consent_signals_;
  std::vector<ProblemType> problem_types_;
  std::vector<RegulationItem> regulation_items_;
  std::vector<AppType> app_types_;
  std::vector<Gbt41391Appendix> gbt41391_appendices_;
  std::vector<ImmutableDeviceId> immutable_device_ids_;
  std::vector<LowRelevancePermissions> low_relevance_permissions_;
  std::vector<Threshold> thresholds_;
  std::vector<Rule> rules_;
  std::vector<PolicyTerm> policy_terms_;
  std::vector<PolicyTagger> policy_tagger_; ///< at most one
  std::vector<Source> sources_;
  std::string version_;
};

/// The embedded files (generated at build time from knowledge/).
const std::vector<KnowledgeFile>& embedded_files();

} // namespace appaudit::knowledge
