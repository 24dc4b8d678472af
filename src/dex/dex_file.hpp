#pragma once
/// DEX files: a validated, bounds-checked, zero-copy view of one .dex file, and `DexSet`, the
/// container that owns the bytes of all DEX files of an APK.
///
/// Spec: source.android.com/docs/core/runtime/dex-format ("File layout", "header_item",
/// "map_list", "string_id_item" .. "class_def_item", "class_data_item", "code_item",
/// "encoded_catch_handler_list", "call_site_id_item", "method_handle_item"). API shape after
/// ART libdexfile (typed indices, string views that live as long as the container).
///
/// `DexFile::open` validates the header, every id table and the map_list, and checks the
/// adler32 checksum and SHA-1 signature; oddities become diagnostics, only an unusable file is
/// an error. All later accessors are bounds-checked and return `Expected<T>`: a corrupt
/// reference never reads outside the file. Nothing is copied or decoded until asked for.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::dex {

/// A typed 32-bit index into one of a DEX file's tables (as ART's dex::StringIndex etc.).
template <class Tag>
struct Idx {
  uint32_t value = 0xffffffffu;
  constexpr Idx() = default;
  constexpr explicit Idx(uint32_t v) : value(v) {}
  /// False for the "no index" marker (NO_INDEX = 0xffffffff).
  constexpr bool valid() const { return value != 0xffffffffu; }
  friend constexpr bool operator==(Idx a, Idx b) { return a.value == b.value; }
  friend constexpr auto operator<=>(Idx a, Idx b) { return a.value <=> b.value; }
};
using StringIdx = Idx<struct StringTag>;
using TypeIdx = Idx<struct TypeTag>;
using ProtoIdx = Idx<struct ProtoTag>;
using FieldIdx = Idx<struct FieldTag>;
using MethodIdx = Idx<struct MethodTag>;
using ClassDefIdx = Idx<struct ClassDefTag>;
using CallSiteIdx = Idx<struct CallSiteTag>;
using MethodHandleIdx = Idx<struct MethodHandleTag>;

/// NO_INDEX from the spec.
inline constexpr uint32_t kNoIndex = 0xffffffffu;

/// Access flags ("access_flags definitions").
enum AccessFlags : uint32_t {
  kAccPublic = 0x1,
  kAccPrivate = 0x2,
  kAccProtected = 0x4,
  kAccStatic = 0x8,
  kAccFinal = 0x10,
  kAccSynchronized = 0x20,
  kAccVolatile = 0x40,
  kAccBridge = 0x40,
  kAccTransient = 0x80,
  kAccVarargs = 0x80,
  kAccNative = 0x100,
  kAccInterface = 0x200,
  kAccAbstract = 0x400,
  kAccStrict = 0x800,
  kAccSynthetic = 0x1000,
  kAccAnnotation = 0x2000,
  kAccEnum = 0x4000,
  kAccConstructor = 0x10000,
  kAccDeclaredSynchronized = 0x20000,
};

/// Header fields, host-endian, as read.
struct DexHeader {
  uint32_t version = 0; ///< 35..41
  uint32_t checksum = 0;
  uint32_t file_size = 0;
  uint32_t header_size = 0;
  uint32_t map_off = 0;
  uint32_t string_ids_size = 0, string_ids_off = 0;
  uint32_t type_ids_size = 0, type_ids_off = 0;
  uint32_t proto_ids_size = 0, proto_ids_off = 0;
  uint32_t field_ids_size = 0, field_ids_off = 0;
  uint32_t method_ids_size = 0, method_ids_off = 0;
  uint32_t class_defs_size = 0, class_defs_off = 0;
  uint32_t data_size = 0, data_off = 0;
  uint32_t container_size = 0; ///< v41 only
  uint32_t header_offset = 0;  ///< v41 only: offset of this header in its container
};

struct ProtoId {
  StringIdx shorty;
  TypeIdx return_type;
  uint32_t parameters_off = 0; ///< type_list, 0 = no parameters
};

struct FieldId {
  TypeIdx class_type;
  TypeIdx type;
  StringIdx name;
};

struct MethodId {
  TypeIdx class_type;
  ProtoIdx proto;
  StringIdx name;
};

struct ClassDef {
  TypeIdx class_type;
  uint32_t access_flags = 0;
  TypeIdx superclass;          ///< !valid() for java.lang.Object
  uint32_t interfaces_off = 0; ///< type_list, 0 = none
  StringIdx source_file;       ///< !valid() when absent
  uint32_t annotations_off = 0;
  uint32_t class_data_off = 0; ///< 0 = no class data (marker interface etc.)
  uint32_t static_values_off = 0;
};

/// A type_list: a bounds-checked view of `size()` type indices.
class TypeList {
 public:
  TypeList() = default;
  explicit TypeList(ByteView entries) : entries_(entries) {}
  uint32_t size() const { return static_cast<uint32_t>(entries_.size() / 2); }
  bool empty() const { return entries_.empty(); }
  TypeIdx operator[](uint32_t i) const { return TypeIdx(load_u16le(entries_.data() + 2u * i)); }

 private:
  ByteView entries_;
};

/// One entry of a class_data_item, with its index already delta-decoded.
struct ClassMember {
  enum class Kind : uint8_t { kStaticField, kInstanceField, kDirectMethod, kVirtualMethod };
  Kind kind = Kind::kStaticField;
  uint32_t index = 0; ///< FieldIdx or MethodIdx value, per kind
  uint32_t access_flags = 0;
  uint32_t code_off = 0; ///< methods only; 0 = abstract/native
  bool is_method() const { return kind >= Kind::kDirectMethod; }
  FieldIdx field() const { return FieldIdx(index); }
  MethodIdx method() const { return MethodIdx(index); }
};

/// Streams a class_data_item without allocating: fields first (static, instance), then methods
/// (direct, virtual), as laid out on disk. Stops (and sets `ok() == false`) on truncation.
class ClassDataReader {
 public:
  ClassDataReader() = default;
  ClassDataReader(ByteView file, uint32_t offset);

  uint32_t static_fields_size() const { return counts_[0]; }
  uint32_t instance_fields_size() const { return counts_[1]; }
  uint32_t direct_methods_size() const { return counts_[2]; }
  uint32_t virtual_methods_size() const { return counts_[3]; }
  /// Next member, or false at the end or on a decoding error (then ok() is false).
  bool next(ClassMember& out);
  bool ok() const { return reader_.ok() && !bad_; }
  /// Offset just past the last member read.
  uint64_t pos() const { return reader_.pos(); }

 private:
  ByteReader reader_{ByteView{}};
  uint32_t counts_[4] = {0, 0, 0, 0};
  uint32_t section_ = 0;
  uint32_t remaining_ = 0;
  uint32_t prev_index_ = 0;
  bool bad_ = false;
};

/// class_data_item decoded into vectors (convenience; allocates).
struct ClassData {
  std::vector<ClassMember> static_fields, instance_fields, direct_methods, virtual_methods;
};

/// The 16-bit code units of a method, as a bounds-checked view (input may be unaligned).
class CodeUnits {
 public:
  CodeUnits() = default;
  explicit CodeUnits(ByteView bytes) : bytes_(bytes.first(bytes.size() & ~size_t{1})) {}
  uint32_t size() const { return static_cast<uint32_t>(bytes_.size() / 2); }
  bool empty() const { return bytes_.empty(); }
  /// Unit i; the caller checks i < size().
  uint16_t operator[](uint32_t i) const { return load_u16le(bytes_.data() + 2u * i); }
  ByteView bytes() const { return bytes_; }

 private:
  ByteView bytes_;
};

struct TryItem {
  uint32_t start_addr = 0;  ///< in code units
  uint16_t insn_count = 0;  ///< in code units
  uint16_t handler_off = 0; ///< byte offset into the encoded_catch_handler_list
};

/// One catch clause. `type` is !valid() for the catch-all.
struct CatchHandler {
  TypeIdx type;
  uint32_t address = 0; ///< code-unit address of the handler
  bool is_catch_all() const { return !type.valid(); }
};

/// Streams one encoded_catch_handler: typed handlers first, then the catch-all if present.
class CatchHandlerReader {
 public:
  CatchHandlerReader() = default;
  CatchHandlerReader(ByteView list, uint32_t handler_off);
  bool next(CatchHandler& out);
  bool ok() const { return reader_.ok(); }
  bool has_catch_all() const { return has_catch_all_; }
  /// Number of typed handlers (abs(size)).
  uint32_t typed_count() const { return typed_; }

 private:
  ByteReader reader_{ByteView{}};
  uint32_t typed_ = 0;
  uint32_t done_ = 0;
  bool has_catch_all_ = false;
  bool catch_all_done_ = false;
};

/// A code_item: header fields plus views of instructions, tries and handler list.
struct CodeItem {
  uint16_t registers_size = 0;
  uint16_t ins_size = 0;
  uint16_t outs_size = 0;
  uint16_t tries_size = 0;
  uint32_t debug_info_off = 0;
  uint32_t offset = 0; ///< of the code_item in the file
  CodeUnits insns;
  ByteView tries;    ///< tries_size * 8 bytes
  ByteView handlers; ///< the encoded_catch_handler_list up to end of file

  uint32_t insns_size() const { return insns.size(); }
  TryItem try_item(uint32_t i) const; ///< caller checks i < tries_size
  /// The handler at `handler_off` within the list (see TryItem::handler_off).
  CatchHandlerReader catch_handlers(uint16_t handler_off) const {
    return CatchHandlerReader(handlers, handler_off);
  }
  /// Number of encoded_catch_handler entries in the list (0 when no tries).
  Expected<uint32_t> catch_handler_list_size() const;
};

/// method_handle_item.
struct MethodHandle {
  uint16_t type = 0; ///< 0..3 field accessors, 4..8 invokes ("Method handle type codes")
  uint32_t field_or_method = 0;
  bool is_field() const { return type <= 3; }
};

/// call_site_item's leading values: bootstrap method handle, name, method type.
struct CallSite {
  MethodHandleIdx bootstrap;
  StringIdx method_name;
  ProtoIdx method_type;
  uint32_t extra_args = 0; ///< number of further bootstrap arguments
};

struct OpenOptions {
  bool verify_checksum = true;  ///< adler32 over the file (mismatch → diagnostic)
  bool verify_signature = true; ///< SHA-1 over the file (mismatch → diagnostic)
  bool strict = false;          ///< any diagnostic of severity warning or worse → error
};

/// One DEX file. Holds views only: the bytes must outlive it (see DexSet).
class DexFile {
 public:
  /// Opens and validates the DEX at `bytes`. `name` goes into errors and diagnostics.
  /// For a v41 container, opens the first DEX; use `open_container` for all of them.
  static Expected<DexFile> open(ByteView bytes, std::string name, Diagnostics* diags = nullptr,
                                const OpenOptions& options = {});
  /// Opens every DEX in `bytes`: one for v35..v40, one or more for a v41 container.
  static Expected<std::vector<DexFile>> open_container(ByteView bytes, const std::string& name,
                                                       Diagnostics* diags = nullptr,
                                                       const OpenOptions& options = {});

  const std::string& name() const { return name_; }
  const DexHeader& header() const { return header_; }
  uint32_t version() const { return header_.version; }
  /// The bytes of this DEX (for v41: the whole container; offsets are relative to it).
  ByteView bytes() const { return data_; }

  uint32_t string_ids_size() const { return header_.string_ids_size; }
  uint32_t type_ids_size() const { return header_.type_ids_size; }
  uint32_t proto_ids_size() const { return header_.proto_ids_size; }
  uint32_t field_ids_size() const { return header_.field_ids_size; }
  uint32_t method_ids_size() const { return header_.method_ids_size; }
  uint32_t class_defs_size() const { return header_.class_defs_size; }
  uint32_t call_site_ids_size() const { return call_site_ids_size_; }
  uint32_t method_handles_size() const { return method_handles_size_; }

  /// Raw MUTF-8 bytes of a string (without the NUL); see mutf8.hpp to decode.
  Expected<std::string_view> string(StringIdx idx) const;
  /// UTF-16 length declared in the string_data_item.
  Expected<uint32_t> string_utf16_size(StringIdx idx) const;
  /// Type descriptor, e.g. "Ljava/lang/String;" or "[I".
  Expected<std::string_view> type_descriptor(TypeIdx idx) const;
  Expected<ProtoId> proto_id(ProtoIdx idx) const;
  Expected<FieldId> field_id(FieldIdx idx) const;
  Expected<MethodId> method_id(MethodIdx idx) const;
  Expected<ClassDef> class_def(ClassDefIdx idx) const;
  Expected<MethodHandle> method_handle(MethodHandleIdx idx) const;
  Expected<CallSite> call_site(CallSiteIdx idx) const;

  /// A type_list at `offset` (0 → empty list).
  Expected<TypeList> type_list(uint32_t offset) const;
  Expected<TypeList> proto_parameters(ProtoIdx idx) const;
  Expected<TypeList> interfaces(const ClassDef& def) const { return type_list(def.interfaces_off); }

  /// Streaming reader over a class's class_data_item (empty when class_data_off is 0).
  Expected<ClassDataReader> class_data_reader(const ClassDef& def) const;
  /// The whole class_data_item in vectors.
  Expected<ClassData> class_data(const ClassDef& def) const;
  /// The code_item at `code_off` (from ClassMember::code_off), validated against the file.
  Expected<CodeItem> code_item(uint32_t code_off) const;

  /// "Lcom/a/B;->m(ILjava/lang/String;)V"; "<invalid>" parts on corrupt references.
  std::string pretty_method(MethodIdx idx) const;
  /// "Lcom/a/B;->f:I".
  std::string pretty_field(FieldIdx idx) const;
  /// "(ILjava/lang/String;)V".
  std::string proto_signature(ProtoIdx idx) const;

  /// The descriptor of a class def's class (empty view on error).
  std::string_view class_descriptor(const ClassDef& def) const;

 private:
  DexFile() = default;
  static Expected<DexFile> open_at(ByteView bytes, uint64_t header_offset, std::string name,
                                   Diagnostics* diags, const OpenOptions& options);
  Error error(std::string message, uint64_t offset) const;
  Status check_map(Diagnostics* diags, const OpenOptions& options);

  std::string name_;
  ByteView data_;          ///< offsets are relative to data_.data()
  uint64_t dex_begin_ = 0; ///< header offset within data_ (v41 containers)
  DexHeader header_;
  const uint8_t* string_ids_ = nullptr;
  const uint8_t* type_ids_ = nullptr;
  const uint8_t* proto_ids_ = nullptr;
  const uint8_t* field_ids_ = nullptr;
  const uint8_t* method_ids_ = nullptr;
  const uint8_t* class_defs_ = nullptr;
  const uint8_t* call_site_ids_ = nullptr;
  const uint8_t* method_handles_ = nullptr;
  uint32_t call_site_ids_size_ = 0;
  uint32_t method_handles_size_ = 0;
};

/// Converts a type descriptor to Java source form: "Lcom/a/B;" → "com.a.B", "[I" → "int[]".
std::string descriptor_to_java(std::string_view descriptor);

/// adler32 as used by the DEX checksum (RFC 1950).
uint32_t adler32(ByteView bytes, uint32_t seed = 1);
/// SHA-1 digest (FIPS 180-4), for the DEX signature.
void sha1(ByteView bytes, uint8_t out[20]);

/// Owns the bytes of several DEX files (e.g. classes.dex .. classesN.dex inflated from an
/// APK) and the opened `DexFile`s over them. Order is insertion order.
class DexSet {
 public:
  /// Takes ownership of `bytes` and opens every DEX in it (a v41 container may hold several).
  /// On error nothing is added.
  Status add(std::string name, std::vector<uint8_t> bytes, Diagnostics* diags = nullptr,
             const OpenOptions& options = {});
  /// As add(), over bytes the caller keeps alive for the DexSet's lifetime (e.g. mapped).
  Status add_view(std::string name, ByteView bytes, Diagnostics* diags = nullptr,
                  const OpenOptions& options = {});

  size_t size() const { return files_.size(); }
  bool empty() const { return files_.empty(); }
  const DexFile& operator[](size_t i) const { return files_[i]; }
  const DexFile& at(size_t i) const { return files_.at(i); }
  auto begin() const { return files_.begin(); }
  auto end() const { return files_.end(); }

 private:
  std::deque<std::vector<uint8_t>> buffers_; // deque: element addresses stay stable
  std::vector<DexFile> files_;
};

/// Rank of an APK DEX entry name for class-loading order: "classes.dex" → 1,
/// "classesN.dex" → N (N ≥ 2), anything else → nullopt.
std::optional<uint32_t> classes_dex_rank(std::string_view entry_name);

} // namespace appaudit::dex
