/*
 * DEX file reader.
 *
 * Spec: source.android.com/docs/core/runtime/dex-format. Sections referenced below:
 *   "header_item"          magic "dex\n0NN\0", checksum (adler32 of everything after it),
 *                          signature (SHA-1 of everything after it), endian_tag, id tables
 *   "map_list"             one map_item per section, sorted by offset, each type at most once
 *   "string_id_item", "string_data_item" (uleb128 utf16_size + MUTF-8 bytes + NUL)
 *   "type_id_item", "proto_id_item", "field_id_item", "method_id_item", "class_def_item"
 *   "class_data_item"      uleb128 counts, then encoded_field / encoded_method with
 *                          index deltas (the first of each list is absolute)
 *   "code_item", "try_item", "encoded_catch_handler_list" (sleb128 size <= 0 → catch-all)
 *   "call_site_id_item", "call_site_item", "method_handle_item" (v038+)
 *   v041 containers: header grows container_size and header_offset (0x78 bytes); several
 *   DEX headers follow each other in one file and offsets are relative to the container.
 *
 * Open validates everything needed so that accessors only need an index < size check; every
 * variable-length read goes through ByteReader and fails instead of reading out of bounds.
 */
#include "dex/dex_file.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/limits.hpp"
#include "dex/dex_format.hpp"

namespace appaudit::dex {
namespace {

constexpr uint32_t kMinVersion = 35;
constexpr uint32_t kMaxVersion = 41;

/// Fixed item sizes of the map_list types that are tables of fixed-size items (0 = variable).
uint32_t fixed_item_size(uint16_t type) {
  switch (type) {
    case format::kHeaderItem: return 0; // checked separately
    case format::kStringIdItem: return 4;
    case format::kTypeIdItem: return 4;
    case format::kProtoIdItem: return 12;
    case format::kFieldIdItem: return 8;
    case format::kMethodIdItem: return 8;
    case format::kClassDefItem: return 32;
    case format::kCallSiteIdItem: return 4;
    case format::kMethodHandleItem: return 8;
    default: return 0;
  }
}

bool known_map_type(uint16_t type) {
  switch (type) {
    case format::kHeaderItem:
    case format::kStringIdItem:
    case format::kTypeIdItem:
    case format::kProtoIdItem:
    case format::kFieldIdItem:
    case format::kMethodIdItem:
    case format::kClassDefItem:
    case format::kCallSiteIdItem:
    case format::kMethodHandleItem:
    case format::kMapList:
    case format::kTypeList:
    case format::kAnnotationSetRefList:
    case format::kAnnotationSetItem:
    case format::kClassDataItem:
    case format::kCodeItem:
    case format::kStringDataItem:
    case format::kDebugInfoItem:
    case format::kAnnotationItem:
    case format::kEncodedArrayItem:
    case format::kAnnotationsDirectoryItem:
    case format::kHiddenapiClassDataItem: return true;
    default: return false;
  }
}

std::string hex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const unsigned d = (v >> shift) & 0xf;
    if (d != 0 || started || shift == 0) {
      s.push_back(kDigits[d]);
      started = true;
    }
  }
  return s;
}

/// Reads an encoded_value header and its value bits for the scalar index types used by
/// call_site_item (VALUE_METHOD_HANDLE, VALUE_STRING, VALUE_METHOD_TYPE).
bool read_index_value(ByteReader& r, uint8_t want_type, uint32_t* out) {
  const uint8_t h = r.u8();
  if (!r.ok() || (h & 0x1f) != want_type) return false;
  const uint32_t n = (h >> 5) + 1u;
  if (n > 4) return false;
  uint32_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(r.u8()) << (8 * i);
  *out = v;
  return r.ok();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Checksums.

uint32_t adler32(ByteView bytes, uint32_t seed) {
  // zlib's adler32 (RFC 1950), fed in chunks that fit its uInt length.
  uLong sum = seed;
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    sum = ::adler32(sum, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(sum);
}

void sha1(ByteView bytes, uint8_t out[20]) {
  // OpenSSL's SHA-1 (FIPS 180-4); a DEX signature is a plain SHA-1 digest.
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_sha1(), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Opening and validation.

Error DexFile::error(std::string message, uint64_t offset) const {
  return make_error_at(Errc::kMalformed, std::move(message), name_, offset);
}

Expected<DexFile> DexFile::open(ByteView bytes, std::string name, Diagnostics* diags,
                                const OpenOptions& options) {
  return open_at(bytes, 0, std::move(name), diags, options);
}

Expected<std::vector<DexFile>> DexFile::open_container(ByteView bytes, const std::string& name,
                                                       Diagnostics* diags,
                                                       const OpenOptions& options) {
  std::vector<DexFile> files;
  auto first = open_at(bytes, 0, name, diags, options);
  if (!first) return first.error();
  files.push_back(std::move(*first));
  if (files[0].version() < 41) return files;
  // v41: further headers follow this one's file_size bytes later, up to container_size.
  uint64_t off = files[0].header_.file_size;
  const uint64_t end = std::min<uint64_t>(files[0].data_.size(), bytes.size());
  while (off + format::kHeaderSizeV41 <= end && files.size() < limits::kMaxDexFiles) {
    auto next = open_at(bytes, off, name + "!" + std::to_string(files.size()), diags, options);
    if (!next) {
      if (diags != nullptr) diags->add_error("dex.container_entry_unreadable", next.error());
      break;
    }
    const uint64_t size = next->header_.file_size;
    files.push_back(std::move(*next));
    if (size == 0) break;
    off += size;
  }
  return files;
}

Expected<DexFile> DexFile::open_at(ByteView bytes, uint64_t header_offset, std::string name,
                                   Diagnostics* diags, const OpenOptions& options) {
  DexFile dex;
  dex.name_ = std::move(name);
  uint32_t problems = 0;
  auto diag = [&](Severity sev, const char* code, std::string msg, uint64_t off) {
    if (sev != Severity::kInfo) ++problems;
    if (diags != nullptr) diags->add_at(sev, code, dex.name_, std::move(msg), off);
  };

  if (header_offset > bytes.size() || bytes.size() - header_offset < format::kHeaderSize) {
    return make_error_at(Errc::kTruncated, "file shorter than a DEX header (0x70 bytes)", dex.name_,
                         0);
  }
  const uint8_t* base = bytes.data() + header_offset;
  const auto h = format::load<format::Header>(base);
  if (std::memcmp(h.magic, "dex\n", 4) != 0) {
    return make_error_at(Errc::kMalformed, "bad magic (expected \"dex\\n\")", dex.name_,
                         header_offset);
  }
  const uint8_t* v = h.magic + 4;
  if (v[0] < '0' || v[0] > '9' || v[1] < '0' || v[1] > '9' || v[2] < '0' || v[2] > '9' ||
      v[3] != 0) {
    return make_error_at(Errc::kMalformed, "bad version in magic", dex.name_, header_offset + 4);
  }
  const uint32_t version = (v[0] - '0') * 100u + (v[1] - '0') * 10u + (v[2] - '0');
  if (version < kMinVersion || version > kMaxVersion) {
    return make_error_at(Errc::kUnsupported,
                         "unsupported DEX version " + std::to_string(version) + " (035..041)",
                         dex.name_, header_offset + 4);
  }
  if (h.endian_tag == format::kReverseEndianConstant) {
    return make_error_at(Errc::kUnsupported, "reverse-endian DEX", dex.name_, header_offset + 40);
  }
  if (h.endian_tag != format::kEndianConstant) {
    diag(Severity::kWarning, "dex.bad_endian_tag", "unknown endian_tag " + hex(h.endian_tag),
         header_offset + 40);
  }

  DexHeader& hd = dex.header_;
  hd.version = version;
  hd.checksum = h.checksum;
  hd.file_size = h.file_size;
  hd.header_size = h.header_size;
  hd.map_off = h.map_off;
  hd.string_ids_size = h.string_ids_size;
  hd.string_ids_off = h.string_ids_off;
  hd.type_ids_size = h.type_ids_size;
  hd.type_ids_off = h.type_ids_off;
  hd.proto_ids_size = h.proto_ids_size;
  hd.proto_ids_off = h.proto_ids_off;
  hd.field_ids_size = h.field_ids_size;
  hd.field_ids_off = h.field_ids_off;
  hd.method_ids_size = h.method_ids_size;
  hd.method_ids_off = h.method_ids_off;
  hd.class_defs_size = h.class_defs_size;
  hd.class_defs_off = h.class_defs_off;
  hd.data_size = h.data_size;
  hd.data_off = h.data_off;

  const uint32_t want_header = version >= 41 ? format::kHeaderSizeV41 : format::kHeaderSize;
  if (h.header_size < format::kHeaderSize) {
    return make_error_at(Errc::kMalformed, "header_size " + hex(h.header_size) + " < 0x70",
                         dex.name_, header_offset + 36);
  }
  if (h.header_size != want_header) {
    diag(Severity::kWarning, "dex.header_size",
         "header_size " + hex(h.header_size) + ", expected " + hex(want_header),
         header_offset + 36);
  }

  const uint64_t avail = bytes.size() - header_offset;
  if (version >= 41) {
    if (avail < format::kHeaderSizeV41) {
      return make_error_at(Errc::kTruncated, "v41 header truncated", dex.name_, header_offset);
    }
    const auto ext = format::load<format::HeaderV41Ext>(base + format::kHeaderSize);
    hd.container_size = ext.container_size;
    hd.header_offset = ext.header_offset;
    if (ext.header_offset != header_offset) {
      diag(Severity::kWarning, "dex.header_offset",
           "header_offset " + hex(ext.header_offset) + " but header found at " + hex(header_offset),
           header_offset + 0x74);
    }
    uint64_t container = bytes.size();
    if (ext.container_size > bytes.size()) {
      diag(Severity::kWarning, "dex.truncated",
           "container_size " + hex(ext.container_size) + " larger than the file", 0);
    } else if (ext.container_size >= header_offset + format::kHeaderSizeV41) {
      container = ext.container_size;
    }
    dex.data_ = bytes.first(static_cast<size_t>(container));
    dex.dex_begin_ = header_offset;
  } else {
    uint64_t size = avail;
    if (h.file_size > avail) {
      diag(Severity::kWarning, "dex.truncated",
           "file_size " + hex(h.file_size) + " larger than the " + hex(avail) + " bytes present",
           header_offset + 32);
    } else if (h.file_size < format::kHeaderSize) {
      diag(Severity::kWarning, "dex.file_size", "file_size " + hex(h.file_size) + " too small",
           header_offset + 32);
    } else {
      if (h.file_size < avail) {
        diag(Severity::kInfo, "dex.trailing_bytes",
             std::to_string(avail - h.file_size) + " bytes after file_size", h.file_size);
      }
      size = h.file_size;
    }
    dex.data_ = bytes.subspan(static_cast<size_t>(header_offset), static_cast<size_t>(size));
    dex.dex_begin_ = 0;
  }

  // Checksum and signature cover this DEX from after the field to file_size.
  {
    const uint64_t begin = dex.dex_begin_;
    const uint64_t end = std::min<uint64_t>(dex.data_.size(), begin + h.file_size);
    if (end >= begin + format::kHeaderSize) {
      if (options.verify_checksum) {
        const uint32_t sum = adler32(dex.data_.subspan(begin + 12, end - begin - 12));
        if (sum != h.checksum) {
          diag(Severity::kWarning, "dex.checksum_mismatch",
               "adler32 " + hex(sum) + " != header checksum " + hex(h.checksum), begin + 8);
        }
      }
      if (options.verify_signature) {
        uint8_t digest[20];
        sha1(dex.data_.subspan(begin + 32, end - begin - 32), digest);
        if (std::memcmp(digest, h.signature, 20) != 0) {
          diag(Severity::kWarning, "dex.signature_mismatch", "SHA-1 signature mismatch",
               begin + 12);
        }
      }
    }
  }

  // Id tables: must lie in the file, or the DEX is unusable.
  const uint64_t total = dex.data_.size();
  struct Table {
    const char* name;
    uint32_t size, off, item;
    const uint8_t** ptr;
  };
  const std::array<Table, 6> tables = {{
      {"string_ids", h.string_ids_size, h.string_ids_off, 4, &dex.string_ids_},
      {"type_ids", h.type_ids_size, h.type_ids_off, 4, &dex.type_ids_},
      {"proto_ids", h.proto_ids_size, h.proto_ids_off, 12, &dex.proto_ids_},
      {"field_ids", h.field_ids_size, h.field_ids_off, 8, &dex.field_ids_},
      {"method_ids", h.method_ids_size, h.method_ids_off, 8, &dex.method_ids_},
      {"class_defs", h.class_defs_size, h.class_defs_off, 32, &dex.class_defs_},
  }};
  for (const Table& t : tables) {
    if (t.size == 0) continue;
    if (!in_bounds(total, t.off, uint64_t{t.size} * t.item) || t.off < format::kHeaderSize) {
      return dex.error(std::string(t.name) + " (" + std::to_string(t.size) + " items at " +
                           hex(t.off) + ") outside the file",
                       header_offset);
    }
    if (t.off % 4 != 0) {
      diag(Severity::kWarning, "dex.unaligned_section", std::string(t.name) + " not 4-aligned",
           t.off);
    }
    *t.ptr = dex.data_.data() + t.off;
  }
  if (h.type_ids_size > 65536) {
    diag(Severity::kWarning, "dex.too_many_types", "type_ids_size above 65535", 0);
  }
  if (h.proto_ids_size > 65536) {
    diag(Severity::kWarning, "dex.too_many_protos", "proto_ids_size above 65535", 0);
  }

  const Status map_status = dex.check_map(diags, options);
  if (!map_status) return map_status.error();
  if (options.strict && (problems > 0 || !map_status)) {
    return dex.error("strict mode: DEX has validation problems (see diagnostics)", 0);
  }
  return dex;
}

Status DexFile::check_map(Diagnostics* diags, const OpenOptions& options) {
  uint32_t problems = 0;
  auto diag = [&](const char* code, std::string msg, uint64_t off) {
    ++problems;
    if (diags != nullptr) diags->add_at(Severity::kWarning, code, name_, std::move(msg), off);
  };
  const uint64_t total = data_.size();
  const uint32_t map_off = header_.map_off;
  if (map_off == 0) {
    diag("dex.no_map", "map_off is 0", 0x34);
    return {};
  }
  if (!in_bounds(total, map_off, 4)) {
    diag("dex.map_out_of_bounds", "map_off " + hex(map_off) + " outside the file", 0x34);
    return {};
  }
  const uint32_t count = load_u32le(data_.data() + map_off);
  if (!in_bounds(total, uint64_t{map_off} + 4, uint64_t{count} * 12)) {
    diag("dex.map_out_of_bounds", "map_list of " + std::to_string(count) + " items runs past end",
         map_off);
    return {};
  }
  struct Expect {
    uint16_t type;
    uint32_t size, off;
  };
  const std::array<Expect, 6> ids = {{
      {format::kStringIdItem, header_.string_ids_size, header_.string_ids_off},
      {format::kTypeIdItem, header_.type_ids_size, header_.type_ids_off},
      {format::kProtoIdItem, header_.proto_ids_size, header_.proto_ids_off},
      {format::kFieldIdItem, header_.field_ids_size, header_.field_ids_off},
      {format::kMethodIdItem, header_.method_ids_size, header_.method_ids_off},
      {format::kClassDefItem, header_.class_defs_size, header_.class_defs_off},
  }};
  uint64_t seen_types = 0; // bit per id-range type (0..8) and per data type (index below)
  std::array<uint16_t, 32> seen_data{};
  size_t seen_data_n = 0;
  uint64_t prev_off = 0;
  uint64_t prev_fixed_end = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t at = uint64_t{map_off} + 4 + uint64_t{i} * 12;
    const auto item = format::load<format::MapItem>(data_.data() + at);
    if (!known_map_type(item.type)) {
      diag("dex.map_unknown_type", "unknown map item type " + hex(item.type), at);
      continue;
    }
    bool dup = false;
    if (item.type <= 8) {
      dup = (seen_types >> item.type) & 1;
      seen_types |= uint64_t{1} << item.type;
    } else {
      dup = std::find(seen_data.begin(), seen_data.begin() + seen_data_n, item.type) !=
            seen_data.begin() + seen_data_n;
      if (!dup && seen_data_n < seen_data.size()) seen_data[seen_data_n++] = item.type;
    }
    if (dup) diag("dex.map_duplicate_type", "map item type " + hex(item.type) + " twice", at);
    if (i > 0 && item.offset <= prev_off && item.type != format::kHeaderItem) {
      diag("dex.map_unsorted", "map items not sorted by offset", at);
    }
    prev_off = item.offset;
    if (item.offset >= total && item.size > 0) {
      diag("dex.map_item_out_of_bounds",
           "map item " + hex(item.type) + " offset " + hex(item.offset) + " outside the file", at);
      continue;
    }
    if (item.offset < prev_fixed_end) {
      diag("dex.map_overlap", "map item " + hex(item.type) + " overlaps the previous section", at);
    }
    if (item.type == format::kHeaderItem) {
      if (item.offset != dex_begin_ || item.size != 1) {
        diag("dex.map_header", "header map item not at the header", at);
      }
      prev_fixed_end = std::max<uint64_t>(prev_fixed_end, item.offset + header_.header_size);
      continue;
    }
    const uint32_t item_size = fixed_item_size(item.type);
    if (item_size != 0) {
      const uint64_t bytes = uint64_t{item.size} * item_size;
      if (!in_bounds(total, item.offset, bytes)) {
        diag("dex.map_item_out_of_bounds", "map item " + hex(item.type) + " runs past end", at);
        continue;
      }
      prev_fixed_end = std::max<uint64_t>(prev_fixed_end, item.offset + bytes);
    }
    for (const Expect& e : ids) {
      if (e.type == item.type && (e.size != item.size || (e.size != 0 && e.off != item.offset))) {
        diag("dex.map_header_mismatch", "map item " + hex(item.type) + " disagrees with the header",
             at);
      }
    }
    if (item.type == format::kCallSiteIdItem) {
      call_site_ids_ = data_.data() + item.offset;
      call_site_ids_size_ = item.size;
    } else if (item.type == format::kMethodHandleItem) {
      method_handles_ = data_.data() + item.offset;
      method_handles_size_ = item.size;
    } else if (item.type == format::kMapList && item.offset != map_off) {
      diag("dex.map_self", "map_list item does not point at the map", at);
    }
  }
  (void)options;
  if (problems > 0 && options.strict) return error("strict mode: invalid map_list", map_off);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Id accessors.

Expected<std::string_view> DexFile::string(StringIdx idx) const {
  if (idx.value >= header_.string_ids_size) {
    return error("string index " + std::to_string(idx.value) + " out of range", 0);
  }
  const uint32_t off = load_u32le(string_ids_ + 4u * idx.value);
  ByteReader r(data_, off);
  r.uleb128();
  if (!r.ok()) return error("string_data_off out of bounds", off);
  const uint8_t* start = data_.data() + r.pos();
  const size_t left = data_.size() - r.pos();
  const void* nul = std::memchr(start, 0, left);
  if (nul == nullptr) return error("string_data_item not NUL-terminated", off);
  return std::string_view(reinterpret_cast<const char*>(start),
                          static_cast<size_t>(static_cast<const uint8_t*>(nul) - start));
}

Expected<uint32_t> DexFile::string_utf16_size(StringIdx idx) const {
  if (idx.value >= header_.string_ids_size) return error("string index out of range", 0);
  const uint32_t off = load_u32le(string_ids_ + 4u * idx.value);
  ByteReader r(data_, off);
  const uint32_t n = r.uleb128();
  if (!r.ok()) return error("string_data_off out of bounds", off);
  return n;
}

Expected<std::string_view> DexFile::type_descriptor(TypeIdx idx) const {
  if (idx.value >= header_.type_ids_size) {
    return error("type index " + std::to_string(idx.value) + " out of range", 0);
  }
  return string(StringIdx(load_u32le(type_ids_ + 4u * idx.value)));
}

Expected<ProtoId> DexFile::proto_id(ProtoIdx idx) const {
  if (idx.value >= header_.proto_ids_size) {
    return error("proto index " + std::to_string(idx.value) + " out of range", 0);
  }
  const auto p = format::load<format::ProtoId>(proto_ids_ + 12u * idx.value);
  return ProtoId{StringIdx(p.shorty_idx), TypeIdx(p.return_type_idx), p.parameters_off};
}

Expected<FieldId> DexFile::field_id(FieldIdx idx) const {
  if (idx.value >= header_.field_ids_size) {
    return error("field index " + std::to_string(idx.value) + " out of range", 0);
  }
  const auto f = format::load<format::FieldId>(field_ids_ + 8u * idx.value);
  return FieldId{TypeIdx(f.class_idx), TypeIdx(f.type_idx), StringIdx(f.name_idx)};
}

Expected<MethodId> DexFile::method_id(MethodIdx idx) const {
  if (idx.value >= header_.method_ids_size) {
    return error("method index " + std::to_string(idx.value) + " out of range", 0);
  }
  const auto m = format::load<format::MethodId>(method_ids_ + 8u * idx.value);
  return MethodId{TypeIdx(m.class_idx), ProtoIdx(m.proto_idx), StringIdx(m.name_idx)};
}

Expected<ClassDef> DexFile::class_def(ClassDefIdx idx) const {
  if (idx.value >= header_.class_defs_size) {
    return error("class_def index " + std::to_string(idx.value) + " out of range", 0);
  }
  const auto c = format::load<format::ClassDef>(class_defs_ + 32u * idx.value);
  ClassDef d;
  d.class_type = TypeIdx(c.class_idx);
  d.access_flags = c.access_flags;
  d.superclass = TypeIdx(c.superclass_idx);
  d.interfaces_off = c.interfaces_off;
  d.source_file = StringIdx(c.source_file_idx);
  d.annotations_off = c.annotations_off;
  d.class_data_off = c.class_data_off;
  d.static_values_off = c.static_values_off;
  return d;
}

Expected<MethodHandle> DexFile::method_handle(MethodHandleIdx idx) const {
  if (idx.value >= method_handles_size_) return error("method handle index out of range", 0);
  const auto m = format::load<format::MethodHandle>(method_handles_ + 8u * idx.value);
  return MethodHandle{m.method_handle_type, m.field_or_method_id};
}

Expected<CallSite> DexFile::call_site(CallSiteIdx idx) const {
  if (idx.value >= call_site_ids_size_) return error("call site index out of range", 0);
  const uint32_t off = load_u32le(call_site_ids_ + 4u * idx.value);
  ByteReader r(data_, off);
  const uint32_t n = r.uleb128();
  if (!r.ok() || n < 3) return error("call_site_item truncated or too short", off);
  CallSite cs;
  uint32_t mh = 0, name = 0, type = 0;
  if (!read_index_value(r, 0x16, &mh) || !read_index_value(r, 0x17, &name) ||
      !read_index_value(r, 0x15, &type)) {
    return error("call_site_item: expected method handle, name, method type", off);
  }
  cs.bootstrap = MethodHandleIdx(mh);
  cs.method_name = StringIdx(name);
  cs.method_type = ProtoIdx(type);
  cs.extra_args = n - 3;
  return cs;
}

Expected<TypeList> DexFile::type_list(uint32_t offset) const {
  if (offset == 0) return TypeList();
  if (!in_bounds(data_.size(), offset, 4)) return error("type_list offset out of bounds", offset);
  const uint32_t n = load_u32le(data_.data() + offset);
  bool ok = false;
  const ByteView entries = subview(data_, uint64_t{offset} + 4, uint64_t{n} * 2, &ok);
  if (!ok) return error("type_list runs past end of file", offset);
  return TypeList(entries);
}

Expected<TypeList> DexFile::proto_parameters(ProtoIdx idx) const {
  auto p = proto_id(idx);
  if (!p) return p.error();
  return type_list(p->parameters_off);
}

std::string_view DexFile::class_descriptor(const ClassDef& def) const {
  auto d = type_descriptor(def.class_type);
  return d ? *d : std::string_view{};
}

// ---------------------------------------------------------------------------------------------
// class_data_item.

ClassDataReader::ClassDataReader(ByteView file, uint32_t offset) : reader_(file, offset) {
  for (uint32_t& c : counts_) c = reader_.uleb128();
  // Each field takes at least 2 bytes, each method 3: reject counts the bytes cannot hold
  // (bounds the work a hostile header can cause).
  const uint64_t need =
      (uint64_t{counts_[0]} + counts_[1]) * 2 + (uint64_t{counts_[2]} + counts_[3]) * 3;
  if (!reader_.ok() || need > reader_.remaining()) {
    bad_ = true;
    counts_[0] = counts_[1] = counts_[2] = counts_[3] = 0;
  }
  remaining_ = counts_[0];
}

bool ClassDataReader::next(ClassMember& out) {
  if (bad_) return false;
  while (remaining_ == 0) {
    if (++section_ >= 4) return false;
    remaining_ = counts_[section_];
    prev_index_ = 0;
  }
  const uint32_t delta = reader_.uleb128();
  out.kind = static_cast<ClassMember::Kind>(section_);
  out.index = prev_index_ + delta;
  out.access_flags = reader_.uleb128();
  out.code_off = section_ >= 2 ? reader_.uleb128() : 0;
  if (!reader_.ok()) {
    bad_ = true;
    return false;
  }
  prev_index_ = out.index;
  --remaining_;
  return true;
}

Expected<ClassDataReader> DexFile::class_data_reader(const ClassDef& def) const {
  if (def.class_data_off == 0) return ClassDataReader();
  if (def.class_data_off >= data_.size()) {
    return error("class_data_off out of bounds", def.class_data_off);
  }
  ClassDataReader r(data_, def.class_data_off);
  if (!r.ok()) return error("class_data_item header invalid", def.class_data_off);
  return r;
}

Expected<ClassData> DexFile::class_data(const ClassDef& def) const {
  auto r = class_data_reader(def);
  if (!r) return r.error();
  ClassData cd;
  cd.static_fields.reserve(r->static_fields_size());
  cd.instance_fields.reserve(r->instance_fields_size());
  cd.direct_methods.reserve(r->direct_methods_size());
  cd.virtual_methods.reserve(r->virtual_methods_size());
  ClassMember m;
  while (r->next(m)) {
    switch (m.kind) {
      case ClassMember::Kind::kStaticField: cd.static_fields.push_back(m); break;
      case ClassMember::Kind::kInstanceField: cd.instance_fields.push_back(m); break;
      case ClassMember::Kind::kDirectMethod: cd.direct_methods.push_back(m); break;
      case ClassMember::Kind::kVirtualMethod: cd.virtual_methods.push_back(m); break;
    }
  }
  if (!r->ok()) return error("class_data_item truncated", def.class_data_off);
  return cd;
}

// ---------------------------------------------------------------------------------------------
// code_item, tries, handlers.

Expected<CodeItem> DexFile::code_item(uint32_t code_off) const {
  if (!in_bounds(data_.size(), code_off, sizeof(format::CodeItem))) {
    return error("code_off out of bounds", code_off);
  }
  const auto c = format::load<format::CodeItem>(data_.data() + code_off);
  if (c.insns_size > limits::kMaxCodeUnits) {
    return make_error_at(Errc::kLimit, "insns_size above limits::kMaxCodeUnits", name_, code_off);
  }
  CodeItem item;
  item.registers_size = c.registers_size;
  item.ins_size = c.ins_size;
  item.outs_size = c.outs_size;
  item.tries_size = c.tries_size;
  item.debug_info_off = c.debug_info_off;
  item.offset = code_off;
  const uint64_t insns_off = uint64_t{code_off} + sizeof(format::CodeItem);
  bool ok = false;
  const ByteView insns = subview(data_, insns_off, uint64_t{c.insns_size} * 2, &ok);
  if (!ok) return error("code_item insns run past end of file", code_off);
  item.insns = CodeUnits(insns);
  if (c.tries_size > 0) {
    uint64_t tries_off = insns_off + uint64_t{c.insns_size} * 2;
    if (c.insns_size % 2 != 0) tries_off += 2; // padding to 4-byte alignment
    item.tries = subview(data_, tries_off, uint64_t{c.tries_size} * 8, &ok);
    if (!ok) return error("code_item tries run past end of file", code_off);
    const uint64_t handlers_off = tries_off + uint64_t{c.tries_size} * 8;
    item.handlers = data_.subspan(static_cast<size_t>(handlers_off));
    if (item.handlers.empty()) return error("code_item has tries but no handlers", code_off);
  }
  return item;
}

TryItem CodeItem::try_item(uint32_t i) const {
  const auto t = format::load<format::TryItem>(tries.data() + 8u * i);
  return TryItem{t.start_addr, t.insn_count, t.handler_off};
}

Expected<uint32_t> CodeItem::catch_handler_list_size() const {
  if (handlers.empty()) return 0u;
  ByteReader r(handlers);
  const uint32_t n = r.uleb128();
  if (!r.ok()) return make_error(Errc::kTruncated, "encoded_catch_handler_list truncated");
  return n;
}

CatchHandlerReader::CatchHandlerReader(ByteView list, uint32_t handler_off)
    : reader_(list, handler_off) {
  const int32_t size = reader_.sleb128();
  has_catch_all_ = reader_.ok() && size <= 0; // a failed read is no catch-all
  typed_ = size < 0 ? 0u - static_cast<uint32_t>(size) : static_cast<uint32_t>(size);
  // A handler takes at least 2 bytes: reject sizes the remaining bytes cannot hold.
  if (uint64_t{typed_} * 2 > reader_.remaining()) {
    reader_.fail();
    typed_ = 0;
    has_catch_all_ = false;
  }
}

bool CatchHandlerReader::next(CatchHandler& out) {
  if (!reader_.ok()) return false;
  if (done_ < typed_) {
    out.type = TypeIdx(reader_.uleb128());
    out.address = reader_.uleb128();
    ++done_;
    return reader_.ok();
  }
  if (has_catch_all_ && !catch_all_done_) {
    out.type = TypeIdx();
    out.address = reader_.uleb128();
    catch_all_done_ = true;
    return reader_.ok();
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Pretty names.

std::string DexFile::proto_signature(ProtoIdx idx) const {
  std::string s = "(";
  auto p = proto_id(idx);
  if (!p) return "(<invalid>)<invalid>";
  auto params = type_list(p->parameters_off);
  if (params) {
    for (uint32_t i = 0; i < params->size(); ++i) {
      auto d = type_descriptor((*params)[i]);
      s += d ? *d : std::string_view("<invalid>");
    }
  } else {
    s += "<invalid>";
  }
  s += ')';
  auto r = type_descriptor(p->return_type);
  s += r ? *r : std::string_view("<invalid>");
  return s;
}

std::string DexFile::pretty_method(MethodIdx idx) const {
  auto m = method_id(idx);
  if (!m) return "<invalid method " + std::to_string(idx.value) + ">";
  auto cls = type_descriptor(m->class_type);
  auto name = string(m->name);
  std::string s(cls ? *cls : std::string_view("<invalid>"));
  s += "->";
  s += name ? *name : std::string_view("<invalid>");
  s += proto_signature(m->proto);
  return s;
}

std::string DexFile::pretty_field(FieldIdx idx) const {
  auto f = field_id(idx);
  if (!f) return "<invalid field " + std::to_string(idx.value) + ">";
  auto cls = type_descriptor(f->class_type);
  auto name = string(f->name);
  auto type = type_descriptor(f->type);
  std::string s(cls ? *cls : std::string_view("<invalid>"));
  s += "->";
  s += name ? *name : std::string_view("<invalid>");
  s += ':';
  s += type ? *type : std::string_view("<invalid>");
  return s;
}

std::string descriptor_to_java(std::string_view d) {
  size_t dims = 0;
  while (dims < d.size() && d[dims] == '[') ++dims;
  std::string_view base = d.substr(dims);
  std::string s;
  if (base.size() >= 2 && base.front() == 'L' && base.back() == ';') {
    s.assign(base.substr(1, base.size() - 2));
    std::replace(s.begin(), s.end(), '/', '.');
  } else if (base.size() == 1) {
    switch (base[0]) {
      case 'V': s = "void"; break;
      case 'Z': s = "boolean"; break;
      case 'B': s = "byte"; break;
      case 'S': s = "short"; break;
      case 'C': s = "char"; break;
      case 'I': s = "int"; break;
      case 'J': s = "long"; break;
      case 'F': s = "float"; break;
      case 'D': s = "double"; break;
      default: s.assign(base); break;
    }
  } else {
    s.assign(base);
  }
  for (size_t i = 0; i < dims; ++i) s += "[]";
  return s;
}

// ---------------------------------------------------------------------------------------------
// DexSet.

Status DexSet::add(std::string name, std::vector<uint8_t> bytes, Diagnostics* diags,
                   const OpenOptions& options) {
  buffers_.push_back(std::move(bytes));
  const ByteView view(buffers_.back());
  auto files = DexFile::open_container(view, name, diags, options);
  if (!files) {
    buffers_.pop_back();
    return files.error();
  }
  for (DexFile& f : *files) files_.push_back(std::move(f));
  return {};
}

Status DexSet::add_view(std::string name, ByteView bytes, Diagnostics* diags,
                        const OpenOptions& options) {
  auto files = DexFile::open_container(bytes, name, diags, options);
  if (!files) return files.error();
  for (DexFile& f : *files) files_.push_back(std::move(f));
  return {};
}

std::optional<uint32_t> classes_dex_rank(std::string_view name) {
  constexpr std::string_view kPrefix = "classes";
  constexpr std::string_view kSuffix = ".dex";
  if (name.size() < kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty()) return 1u;
  if (digits.size() > 9 || digits[0] == '0') return std::nullopt;
  uint32_t n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(ch - '0');
  }
  if (n < 2) return std::nullopt;
  return n;
}

} // namespace appaudit::dex
