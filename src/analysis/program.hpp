#pragma once
/// The app's code as one program: every class that Android would load (the first definition
/// of each descriptor across classes.dex, classes2.dex, ...), its methods, the class
/// hierarchy including framework classes known by name (knowledge/framework_classes.json),
/// and method resolution as the runtime does it (find a method walking up the superclasses;
/// virtual and interface calls by class-hierarchy analysis restricted to instantiated classes).
///
/// Classes and methods get dense ids (`ClassId`, `MethodId`) in loading order, so analyses
/// keep per-method state in flat vectors. Strings are views into the DEX files: the DexSet
/// must outlive the Program.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dex/class_index.hpp"
#include "dex/dex_file.hpp"
#include "knowledge/knowledge.hpp"

namespace appaudit::analysis {

using ClassId = uint32_t;
using MethodId = uint32_t;
inline constexpr uint32_t kNone = 0xffffffffu;

struct ClassInfo {
  std::string_view descriptor;
  uint32_t dex = 0;
  uint32_t class_def = 0;
  uint32_t access = 0;
  std::string_view super_descriptor; ///< "" for java.lang.Object
  ClassId super = kNone;             ///< in the APK, else kNone (framework or missing)
  std::vector<std::string_view> interface_descriptors;
  std::vector<ClassId> interfaces; ///< those defined in the APK
  MethodId first_method = 0;
  uint32_t method_count = 0;
  bool is_interface() const { return (access & dex::kAccInterface) != 0; }
  bool is_abstract() const { return (access & (dex::kAccAbstract | dex::kAccInterface)) != 0; }
};

struct MethodInfo {
  ClassId cls = 0;
  uint32_t dex = 0;
  dex::MethodIdx idx;
  uint32_t code_off = 0; ///< 0: abstract or native
  uint32_t access = 0;
  bool is_direct = false;
  std::string_view name;
  dex::ProtoIdx proto;
};

/// Bit set over the "relevant" framework types of the knowledge base (callback and
/// component types), as words.
using TypeBits = std::vector<uint64_t>;

class Program {
 public:
  Program(const dex::DexSet& set, const dex::ClassIndex& index,
          const knowledge::Knowledge& knowledge);
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  const dex::DexSet& dex_set() const { return set_; }
  const dex::DexFile& dex(uint32_t i) const { return set_[i]; }
  const std::vector<ClassInfo>& classes() const { return classes_; }
  const std::vector<MethodInfo>& methods() const { return methods_; }
  const ClassInfo& cls(ClassId id) const { return classes_[id]; }
  const MethodInfo& method(MethodId id) const { return methods_[id]; }

  /// Class id of a descriptor defined in the APK, or kNone.
  ClassId find_class(std::string_view descriptor) const;
  /// Class id of a class def of DEX file `dex` (kNone when shadowed or unreadable).
  ClassId class_of_def(uint32_t dex, uint32_t class_def) const;

  /// A method declared in `cls` itself with this name and the proto of (dex, proto).
  MethodId find_declared(ClassId cls, std::string_view name, uint32_t dex,
                         dex::ProtoIdx proto) const;
  /// As above, with the proto written as in knowledge ("(Landroid/os/Bundle;)V").
  MethodId find_declared(ClassId cls, std::string_view name, std::string_view signature) const;
  /// Walks `cls` and its APK superclasses for the method (what invoke-virtual resolves to).
  MethodId resolve_up(ClassId cls, std::string_view name, uint32_t dex, dex::ProtoIdx proto) const;
  MethodId resolve_up(ClassId cls, std::string_view name, std::string_view signature) const;

  /// Targets of an invoke in DEX `dex` of method reference `ref`: the resolved method for
  /// static/direct/super calls; for virtual/interface calls the implementations in every
  /// instantiated subtype of the static type (all subtypes when none is instantiated).
  /// Empty when the static type is not in the APK (framework call). Cached.
  const std::vector<MethodId>& invoke_targets(uint32_t dex, dex::MethodIdx ref, bool dispatch);

  /// Marks a class as instantiated (new-instance, manifest component, ...).
  void mark_instantiated(ClassId cls);
  bool instantiated(ClassId cls) const { return instantiated_[cls] != 0; }

  /// The relevant framework types (see TypeBits) `cls` is a subtype of (itself included).
  const TypeBits& type_bits(ClassId cls);
  /// Index of a relevant framework type descriptor (registered at construction: the types of
  /// callbacks and the component base classes), or kNone.
  uint32_t relevant_type(std::string_view descriptor) const;
  static bool has_bit(const TypeBits& bits, uint32_t i) {
    return i / 64 < bits.size() && ((bits[i / 64] >> (i % 64)) & 1u) != 0;
  }

  /// "Lcom/a/B;->m(I)V" for a defined method.
  std::string method_descriptor(MethodId id) const;
  /// The code item of a method, or nullptr (abstract/native/unreadable). Cached views.
  bool code_item(MethodId id, dex::CodeItem& out) const;

 private:
  struct Impl;
  const dex::DexSet& set_;
  std::vector<ClassInfo> classes_;
  std::vector<MethodInfo> methods_;
  std::vector<uint8_t> instantiated_;
  std::unique_ptr<Impl> impl_;
};

/// True when method (dex, proto) has the signature written as "(Landroid/os/Bundle;)V".
bool proto_matches(const dex::DexFile& dex, dex::ProtoIdx proto, std::string_view signature);
/// Java dotted name → descriptor ("a.b.C" → "La/b/C;").
std::string java_to_descriptor(std::string_view java_name);

} // namespace appaudit::analysis
