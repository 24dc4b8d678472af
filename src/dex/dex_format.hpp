#pragma once
/// Private: on-disk layouts of the DEX format (source.android.com/docs/core/runtime/dex-format,
/// "File layout", "header_item", "map_list", the *_id_item tables, "code_item", "try_item").
///
/// These structs are read with memcpy from little-endian input, so the host must be little
/// endian (checked below). Variable-length items (class_data_item, encoded_catch_handler,
/// string_data_item, encoded_value) are decoded with ByteReader instead.

#include <bit>
#include <cstdint>
#include <cstring>

namespace appaudit::dex::format {

static_assert(std::endian::native == std::endian::little, "DEX structs are read as little endian");

inline constexpr uint32_t kEndianConstant = 0x12345678;
inline constexpr uint32_t kReverseEndianConstant = 0x78563412;
inline constexpr uint32_t kHeaderSize = 0x70;
inline constexpr uint32_t kHeaderSizeV41 = 0x78;

/// header_item ("header_item" section of the spec), v35..v40 part.
struct Header {
  uint8_t magic[8];
  uint32_t checksum;
  uint8_t signature[20];
  uint32_t file_size;
  uint32_t header_size;
  uint32_t endian_tag;
  uint32_t link_size;
  uint32_t link_off;
  uint32_t map_off;
  uint32_t string_ids_size;
  uint32_t string_ids_off;
  uint32_t type_ids_size;
  uint32_t type_ids_off;
  uint32_t proto_ids_size;
  uint32_t proto_ids_off;
  uint32_t field_ids_size;
  uint32_t field_ids_off;
  uint32_t method_ids_size;
  uint32_t method_ids_off;
  uint32_t class_defs_size;
  uint32_t class_defs_off;
  uint32_t data_size;
  uint32_t data_off;
};
static_assert(sizeof(Header) == kHeaderSize);

/// v41 header extension ("container_size", "header_offset").
struct HeaderV41Ext {
  uint32_t container_size;
  uint32_t header_offset;
};
static_assert(sizeof(HeaderV41Ext) == 8);

struct MapItem {
  uint16_t type;
  uint16_t unused;
  uint32_t size;
  uint32_t offset;
};
static_assert(sizeof(MapItem) == 12);

struct StringId {
  uint32_t string_data_off;
};
static_assert(sizeof(StringId) == 4);

struct TypeId {
  uint32_t descriptor_idx;
};
static_assert(sizeof(TypeId) == 4);

struct ProtoId {
  uint32_t shorty_idx;
  uint32_t return_type_idx;
  uint32_t parameters_off;
};
static_assert(sizeof(ProtoId) == 12);

struct FieldId {
  uint16_t class_idx;
  uint16_t type_idx;
  uint32_t name_idx;
};
static_assert(sizeof(FieldId) == 8);

struct MethodId {
  uint16_t class_idx;
  uint16_t proto_idx;
  uint32_t name_idx;
};
static_assert(sizeof(MethodId) == 8);

struct ClassDef {
  uint32_t class_idx;
  uint32_t access_flags;
  uint32_t superclass_idx;
  uint32_t interfaces_off;
  uint32_t source_file_idx;
  uint32_t annotations_off;
  uint32_t class_data_off;
  uint32_t static_values_off;
};
static_assert(sizeof(ClassDef) == 32);

struct CallSiteId {
  uint32_t call_site_off;
};
static_assert(sizeof(CallSiteId) == 4);

struct MethodHandle {
  uint16_t method_handle_type;
  uint16_t unused1;
  uint16_t field_or_method_id;
  uint16_t unused2;
};
static_assert(sizeof(MethodHandle) == 8);

/// code_item header; insns (ushort[insns_size]) follow immediately.
struct CodeItem {
  uint16_t registers_size;
  uint16_t ins_size;
  uint16_t outs_size;
  uint16_t tries_size;
  uint32_t debug_info_off;
  uint32_t insns_size;
};
static_assert(sizeof(CodeItem) == 16);

struct TryItem {
  uint32_t start_addr;
  uint16_t insn_count;
  uint16_t handler_off;
};
static_assert(sizeof(TryItem) == 8);

/// Reads a T from p (which the caller has bounds-checked).
template <class T>
inline T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// map_list item type codes ("Type codes" table).
enum MapType : uint16_t {
  kHeaderItem = 0x0000,
  kStringIdItem = 0x0001,
  kTypeIdItem = 0x0002,
  kProtoIdItem = 0x0003,
  kFieldIdItem = 0x0004,
  kMethodIdItem = 0x0005,
  kClassDefItem = 0x0006,
  kCallSiteIdItem = 0x0007,
  kMethodHandleItem = 0x0008,
  kMapList = 0x1000,
  kTypeList = 0x1001,
  kAnnotationSetRefList = 0x1002,
  kAnnotationSetItem = 0x1003,
  kClassDataItem = 0x2000,
  kCodeItem = 0x2001,
  kStringDataItem = 0x2002,
  kDebugInfoItem = 0x2003,
  kAnnotationItem = 0x2004,
  kEncodedArrayItem = 0x2005,
  kAnnotationsDirectoryItem = 0x2006,
  kHiddenapiClassDataItem = 0xF000,
};

} // namespace appaudit::dex::format
