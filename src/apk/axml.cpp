/*
 * Binary XML reader.
 *
 * Spec: AOSP frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h and
 * ResourceTypes.cpp. Layout (all little-endian):
 *   ResChunk_header      { u16 type; u16 headerSize; u32 size; }
 *   RES_XML_TYPE 0x0003  outer chunk; its header.size bounds the document (mDataEnd)
 *   RES_STRING_POOL_TYPE 0x0001 { header; u32 stringCount, styleCount, flags, stringsStart,
 *                                 stylesStart; u32 offsets[stringCount]; ... }
 *   RES_XML_RESOURCE_MAP_TYPE 0x0180 { header; u32 ids[] }  string index i -> resource id
 *   ResXMLTree_node      { header; u32 lineNumber; u32 comment; } followed (at headerSize) by
 *     START_NAMESPACE 0x0100 / END_NAMESPACE 0x0101: { u32 prefix, uri }
 *     START_ELEMENT 0x0102: ResXMLTree_attrExt { u32 ns, name; u16 attributeStart,
 *         attributeSize, attributeCount, idIndex, classIndex, styleIndex }, attributes at
 *         attrExt + attributeStart with stride attributeSize:
 *         ResXMLTree_attribute { u32 ns, name, rawValue; Res_value typedValue }
 *     END_ELEMENT 0x0103: { u32 ns, name }
 *     CDATA 0x0104: { u32 data; Res_value typedData }
 *   Res_value { u16 size; u8 res0; u8 dataType; u32 data }
 *
 * Like ResXMLTree::setTo, the first chunks are scanned for the string pool and resource map
 * until the first node; then nodes are walked by header.size (ResXMLParser::nextNode), unknown
 * chunk types are skipped. Where Android would stop with BAD_DOCUMENT (misaligned sizes, a size
 * running past the end) we record a diagnostic and recover when the node is still readable.
 */
#include "apk/axml.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

constexpr uint16_t kResStringPoolType = 0x0001;
constexpr uint16_t kResXmlResourceMapType = 0x0180;
constexpr uint16_t kResXmlFirstChunkType = 0x0100;
constexpr uint16_t kResXmlLastChunkType = 0x017f;
constexpr uint16_t kStartNamespace = 0x0100;
constexpr uint16_t kEndNamespace = 0x0101;
constexpr uint16_t kStartElement = 0x0102;
constexpr uint16_t kEndElement = 0x0103;
constexpr uint16_t kCdata = 0x0104;

constexpr uint32_t kChunkHeaderSize = 8;
constexpr uint32_t kStringPoolHeaderSize = 28;
constexpr uint32_t kNodeHeaderSize = 16;
constexpr uint32_t kAttrExtSize = 20;
constexpr uint32_t kAttributeSize = 20;
constexpr uint32_t kNoIndex = 0xffffffffu;
constexpr uint32_t kUtf8Flag = 1u << 8;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Values

std::string format_value(const ResValue& value) {
  char buf[64];
  switch (value.value_type()) {
    case ValueType::kNull: return value.data == 1 ? "@empty" : "";
    case ValueType::kReference:
    case ValueType::kDynamicReference:
      std::snprintf(buf, sizeof buf, "@0x%08x", value.data);
      return buf;
    case ValueType::kAttribute:
    case ValueType::kDynamicAttribute:
      std::snprintf(buf, sizeof buf, "?0x%08x", value.data);
      return buf;
    case ValueType::kFloat: {
      float f = 0;
      std::memcpy(&f, &value.data, sizeof f);
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
      return buf;
    }
    case ValueType::kDimension:
    case ValueType::kFraction: {
      static const char* const kDimUnits[] = {"px", "dip", "sp", "pt", "in", "mm", "", ""};
      static const char* const kFracUnits[] = {"%", "%p", "", "", "", "", "", ""};
      static const double kRadix[] = {1.0 / (1 << 8), 1.0 / (1 << 15), 1.0 / (1 << 23),
                                      1.0 / (1u << 31)};
      double v = static_cast<double>(static_cast<int32_t>(value.data & 0xffffff00u)) *
                 kRadix[(value.data >> 4) & 3];
      bool dim = value.value_type() == ValueType::kDimension;
      if (!dim) v *= 100;
      std::snprintf(buf, sizeof buf, "%g%s", v,
                    dim ? kDimUnits[value.data & 7] : kFracUnits[value.data & 7]);
      return buf;
    }
    case ValueType::kIntDec:
      std::snprintf(buf, sizeof buf, "%" PRId32, static_cast<int32_t>(value.data));
      return buf;
    case ValueType::kIntHex: return hex32(value.data);
    case ValueType::kIntBoolean: return value.data != 0 ? "true" : "false";
    case ValueType::kIntColorArgb8:
    case ValueType::kIntColorRgb8:
    case ValueType::kIntColorArgb4:
    case ValueType::kIntColorRgb4: std::snprintf(buf, sizeof buf, "#%08x", value.data); return buf;
    default:
      if (value.is_int()) {
        std::snprintf(buf, sizeof buf, "%" PRId32, static_cast<int32_t>(value.data));
      } else {
        std::snprintf(buf, sizeof buf, "<0x%02x>0x%08x", value.type, value.data);
      }
      return buf;
  }
}

// ---------------------------------------------------------------------------------------------
// String pool (ResStringPool::setTo / stringAt)

Expected<StringPool> StringPool::parse(ByteView chunk, Diagnostics& diags, std::string_view where,
                                       uint64_t base_offset) {
  const std::string w(where);
  if (chunk.size() < kStringPoolHeaderSize) {
    return make_error_at(Errc::kTruncated, "string pool header truncated", w, base_offset);
  }
  const uint8_t* p = chunk.data();
  uint32_t header_size = load_u16le(p + 2);
  uint64_t size = load_u32le(p + 4);
  uint32_t string_count = load_u32le(p + 8);
  uint32_t style_count = load_u32le(p + 12);
  uint32_t flags = load_u32le(p + 16);
  uint32_t strings_start = load_u32le(p + 20);
  uint32_t styles_start = load_u32le(p + 24);
  if (size > chunk.size()) {
    diags.add_at(Severity::kWarning, "axml.string_pool_size", w,
                 "string pool size runs past its container; clamped", base_offset);
    size = chunk.size();
  }
  if (header_size < kStringPoolHeaderSize || header_size > size) {
    diags.add_at(Severity::kWarning, "axml.string_pool_header", w,
                 "string pool header size " + std::to_string(header_size) + " is odd; using 28",
                 base_offset);
    header_size = kStringPoolHeaderSize;
  }
  StringPool pool;
  pool.utf8_ = (flags & kUtf8Flag) != 0;
  uint64_t max_count = (size - header_size) / 4;
  if (string_count > max_count) {
    diags.add_at(Severity::kWarning, "axml.string_pool_count", w,
                 "string count " + std::to_string(string_count) +
                     " exceeds the chunk; clamped to " + std::to_string(max_count),
                 base_offset);
    string_count = static_cast<uint32_t>(max_count);
  }
  if (string_count > limits::kMaxStringPoolStrings) {
    diags.add_at(Severity::kError, "axml.string_pool_limit", w,
                 "string count above kMaxStringPoolStrings; truncated", base_offset);
    string_count = static_cast<uint32_t>(limits::kMaxStringPoolStrings);
  }
  uint64_t strings_end = size;
  if (style_count != 0 && styles_start > strings_start && styles_start <= size) {
    strings_end = styles_start;
  }
  if (string_count > 0) {
    if (strings_start >= size || strings_start < header_size) {
      diags.add_at(Severity::kWarning, "axml.string_pool_start", w,
                   "stringsStart " + std::to_string(strings_start) + " outside the pool",
                   base_offset);
      if (strings_start >= size) strings_start = static_cast<uint32_t>(size);
    }
    pool.strings_ = chunk.subspan(strings_start, static_cast<size_t>(strings_end - strings_start));
  }
  pool.offsets_.resize(string_count);
  for (uint32_t i = 0; i < string_count; ++i) {
    pool.offsets_[i] = load_u32le(p + header_size + 4ull * i);
  }
  return pool;
}

bool StringPool::valid(uint32_t index) const {
  if (index >= offsets_.size()) return false;
  // Decoding performs the bounds checks; an invalid string decodes to "" and reports false.
  const uint64_t off = offsets_[index];
  const uint64_t n = strings_.size();
  if (utf8_) {
    if (off + 2 > n) return false;
    uint64_t pos = off;
    auto len8 = [&](uint64_t& q) -> uint64_t {
      uint64_t l = strings_[q++];
      if ((l & 0x80) != 0) {
        if (q >= n) return ~0ull;
        l = ((l & 0x7f) << 8) | strings_[q++];
      }
      return l;
    };
    if (len8(pos) == ~0ull || pos >= n) return false;
    uint64_t bytes = len8(pos);
    return bytes != ~0ull && pos + bytes <= n;
  }
  uint64_t pos = (off / 2) * 2; // Android divides the byte offset by sizeof(char16_t)
  if (pos + 2 > n) return false;
  uint64_t len = load_u16le(strings_.data() + pos);
  pos += 2;
  if ((len & 0x8000) != 0) {
    if (pos + 2 > n) return false;
    len = ((len & 0x7fff) << 16) | load_u16le(strings_.data() + pos);
    pos += 2;
  }
  return pos + 2 * len <= n;
}

std::string StringPool::get(uint32_t index) const {
  if (!valid(index)) return {};
  const uint64_t off = offsets_[index];
  std::string out;
  if (utf8_) {
    uint64_t pos = off;
    auto len8 = [&]() -> uint64_t {
      uint64_t l = strings_[pos++];
      if ((l & 0x80) != 0) l = ((l & 0x7f) << 8) | strings_[pos++];
      return l;
    };
    len8(); // UTF-16 length, unused
    uint64_t bytes = len8();
    out.assign(reinterpret_cast<const char*>(strings_.data() + pos), static_cast<size_t>(bytes));
    return out;
  }
  uint64_t pos = (off / 2) * 2;
  uint64_t len = load_u16le(strings_.data() + pos);
  pos += 2;
  if ((len & 0x8000) != 0) {
    len = ((len & 0x7fff) << 16) | load_u16le(strings_.data() + pos);
    pos += 2;
  }
  out.reserve(static_cast<size_t>(len));
  for (uint64_t i = 0; i < len; ++i) {
    uint32_t c = load_u16le(strings_.data() + pos + 2 * i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < len) {
      uint32_t d = load_u16le(strings_.data() + pos + 2 * (i + 1));
      if (d >= 0xdc00 && d < 0xe000) {
        append_utf8(out, 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        ++i;
        continue;
      }
    }
    append_utf8(out, c); // lone surrogates are kept as 3-byte sequences (WTF-8)
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Elements

std::string XmlAttribute::text() const {
  if (raw) return *raw;
  return format_value(value);
}

const XmlAttribute* XmlElement::find_by_id(uint32_t resource_id) const {
  for (const auto& a : attributes) {
    if (a.resource_id == resource_id) return &a;
  }
  return nullptr;
}

const XmlAttribute* XmlElement::find_by_name(std::string_view attr_ns,
                                             std::string_view attr_name) const {
  for (const auto& a : attributes) {
    if (a.ns == attr_ns && a.name == attr_name) return &a;
  }
  return nullptr;
}

const XmlAttribute* XmlElement::find_android(uint32_t resource_id,
                                             std::string_view attr_name) const {
  if (const XmlAttribute* a = find_by_id(resource_id)) return a;
  for (const auto& a : attributes) {
    if (a.resource_id == 0 && a.name == attr_name && (a.ns == kAndroidNs || a.ns.empty()))
      return &a;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Document

namespace {

class AxmlParser {
 public:
  AxmlParser(ByteView bytes, Diagnostics& diags, std::string_view where)
      : bytes_(bytes), diags_(diags), where_(where) {}

  Expected<XmlDocument> run();

 private:
  void warn(const char* code, std::string message, uint64_t offset) {
    if (warnings_++ < 200)
      diags_.add_at(Severity::kWarning, code, where_, std::move(message), offset);
  }
  std::string str(uint32_t index) const {
    return index == kNoIndex ? std::string() : pool_.get(index);
  }
  std::string ns_uri(uint32_t index) const { return str(index); }
  uint32_t res_id(uint32_t name_index) const {
    return name_index < res_ids_.size() ? res_ids_[name_index] : 0;
  }
  void handle_node(uint16_t type, uint64_t pos, uint64_t size, uint32_t header_size);
  XmlElement* current() { return stack_.empty() ? nullptr : stack_.back(); }

  ByteView bytes_;
  Diagnostics& diags_;
  std::string where_;
  StringPool pool_;
  bool have_pool_ = false;
  std::vector<uint32_t> res_ids_;
  XmlDocument doc_;
  std::vector<XmlElement*> stack_;
  uint64_t nodes_ = 0;
  uint64_t warnings_ = 0;
  bool stop_ = false;
};

Expected<XmlDocument> AxmlParser::run() {
  if (bytes_.size() < kChunkHeaderSize) {
    return make_error_at(Errc::kTruncated, "binary XML shorter than a chunk header", where_, 0);
  }
  const uint16_t outer_type = load_u16le(bytes_.data());
  uint32_t outer_header = load_u16le(bytes_.data() + 2);
  uint64_t end = load_u32le(bytes_.data() + 4);
  if (outer_type != 0x0003) {
    warn("axml.outer_type", "outer chunk type " + hex32(outer_type) + " is not RES_XML_TYPE", 0);
  }
  if (end > bytes_.size()) {
    warn("axml.outer_size",
         "document size " + std::to_string(end) + " larger than the data (" +
             std::to_string(bytes_.size()) + "); clamped",
         0);
    end = bytes_.size();
  } else if (end < kChunkHeaderSize * 2) {
    warn("axml.outer_size", "document size " + std::to_string(end) + " too small; using the data",
         0);
    end = bytes_.size();
  } else if (end < bytes_.size()) {
    warn("axml.trailing_data", std::to_string(bytes_.size() - end) + " bytes after the document",
         end);
  }
  if (outer_header < kChunkHeaderSize || outer_header > end) {
    warn("axml.outer_header", "outer header size odd; using 8", 0);
    outer_header = kChunkHeaderSize;
  }

  uint64_t pos = outer_header;
  while (!stop_ && pos + kChunkHeaderSize <= end) {
    const uint8_t* p = bytes_.data() + pos;
    const uint16_t type = load_u16le(p);
    uint32_t header_size = load_u16le(p + 2);
    uint64_t size = load_u32le(p + 4);
    const bool is_node = type >= kResXmlFirstChunkType && type <= kResXmlLastChunkType;
    const uint64_t remaining = end - pos;
    bool size_ok = size >= kChunkHeaderSize && size <= remaining && header_size <= size &&
                   header_size >= kChunkHeaderSize;
    if (size_ok && ((header_size | size) & 3) != 0) {
      warn("axml.chunk_misaligned",
           "chunk type " + hex32(type) + " has a size not a multiple of 4 (Android rejects this)",
           pos);
    }
    if (!size_ok) {
      // Recover: node chunks have a fixed minimum layout; anything else ends the walk.
      if (!is_node) {
        warn("axml.bad_chunk",
             "chunk type " + hex32(type) + " size " + std::to_string(size) + " invalid; stopping",
             pos);
        break;
      }
      if (header_size < kNodeHeaderSize || header_size > remaining) header_size = kNodeHeaderSize;
      uint64_t need = header_size + (type == kStartElement ? kAttrExtSize : 8);
      if (type == kStartElement && header_size + kAttrExtSize <= remaining) {
        const uint8_t* ext = p + header_size;
        need = header_size + static_cast<uint64_t>(load_u16le(ext + 8)) +
               static_cast<uint64_t>(load_u16le(ext + 10)) * load_u16le(ext + 12);
        if (need < header_size + kAttrExtSize) need = header_size + kAttrExtSize;
      } else if (type == kCdata) {
        need = header_size + 12;
      }
      warn("axml.bad_chunk_size",
           "node chunk type " + hex32(type) + " declares size " + std::to_string(size) +
               "; using " + std::to_string(need),
           pos);
      if (need > remaining) {
        warn("axml.truncated", "node runs past the end of the document", pos);
        break;
      }
      size = need;
    }
    if (type == kResStringPoolType) {
      if (!have_pool_ || nodes_ == 0) {
        if (have_pool_)
          warn("axml.extra_string_pool", "second string pool replaces the first", pos);
        auto pool = StringPool::parse(bytes_.subspan(pos, size), diags_, where_, pos);
        if (pool) {
          pool_ = std::move(*pool);
          have_pool_ = true;
        } else {
          warn("axml.bad_string_pool", pool.error().message, pos);
        }
      } else {
        warn("axml.late_string_pool", "string pool after the first node ignored", pos);
      }
    } else if (type == kResXmlResourceMapType) {
      if (nodes_ == 0) {
        uint64_t n = (size - header_size) / 4;
        res_ids_.resize(n);
        for (uint64_t i = 0; i < n; ++i) res_ids_[i] = load_u32le(p + header_size + 4 * i);
      } else {
        warn("axml.late_resource_map", "resource map after the first node ignored", pos);
      }
    } else if (is_node) {
      if (!have_pool_) {
        return make_error_at(Errc::kMalformed, "XML node before any string pool", where_, pos);
      }
      if (header_size < kNodeHeaderSize) {
        warn("axml.node_header", "node header size " + std::to_string(header_size) + " too small",
             pos);
        if (kNodeHeaderSize > size) {
          pos += size;
          continue;
        }
        header_size = kNodeHeaderSize;
      }
      handle_node(type, pos, size, header_size);
    } else {
      warn("axml.unknown_chunk", "unknown chunk type " + hex32(type) + " skipped", pos);
    }
    pos += size;
  }
  if (!have_pool_) return make_error_at(Errc::kMalformed, "no string pool found", where_, 0);
  if (doc_.roots.empty()) return make_error_at(Errc::kMalformed, "no element found", where_, 0);
  if (!stack_.empty()) {
    warn("axml.unclosed", std::to_string(stack_.size()) + " element(s) not closed", end);
  }
  doc_.string_count = pool_.size();
  doc_.utf8_strings = pool_.is_utf8();
  doc_.resource_map_size = static_cast<uint32_t>(res_ids_.size());
  return std::move(doc_);
}

void AxmlParser::handle_node(uint16_t type, uint64_t pos, uint64_t size, uint32_t header_size) {
  if (++nodes_ > limits::kMaxXmlNodes) {
    diags_.add_at(Severity::kError, "axml.node_limit", where_, "more than kMaxXmlNodes nodes", pos);
    stop_ = true;
    return;
  }
  const uint8_t* p = bytes_.data() + pos;
  const uint32_t line = load_u32le(p + 8);
  const uint64_t ext_size = size - header_size;
  const uint8_t* ext = p + header_size;
  switch (type) {
    case kStartNamespace:
    case kEndNamespace: {
      if (ext_size < 8) {
        warn("axml.short_node", "namespace node too short", pos);
        return;
      }
      if (type == kStartNamespace) {
        doc_.namespaces.push_back({str(load_u32le(ext)), str(load_u32le(ext + 4))});
      }
      return;
    }
    case kStartElement: {
      if (ext_size < kAttrExtSize) {
        warn("axml.short_node", "start element too short", pos);
        return;
      }
      if (stack_.size() >= limits::kMaxXmlDepth) {
        diags_.add_at(Severity::kError, "axml.depth_limit", where_, "nesting above kMaxXmlDepth",
                      pos);
        stop_ = true;
        return;
      }
      XmlElement el;
      el.ns = ns_uri(load_u32le(ext));
      el.name = str(load_u32le(ext + 4));
      el.line = line;
      el.offset = pos;
      const uint32_t attr_start = load_u16le(ext + 8);
      uint32_t attr_size = load_u16le(ext + 10);
      uint32_t attr_count = load_u16le(ext + 12);
      if (attr_size < kAttributeSize && attr_count > 0) {
        warn("axml.attribute_size", "attributeSize " + std::to_string(attr_size) + " below 20",
             pos);
        attr_size = kAttributeSize;
      }
      if (attr_start + static_cast<uint64_t>(attr_size) * attr_count > ext_size) {
        uint64_t fit = attr_start >= ext_size ? 0 : (ext_size - attr_start) / attr_size;
        warn("axml.attribute_overflow",
             "attributes run past the node; reading " + std::to_string(fit) + " of " +
                 std::to_string(attr_count),
             pos);
        attr_count = static_cast<uint32_t>(fit);
      }
      el.attributes.reserve(attr_count);
      for (uint32_t i = 0; i < attr_count; ++i) {
        const uint8_t* a = ext + attr_start + static_cast<uint64_t>(attr_size) * i;
        XmlAttribute attr;
        attr.ns = ns_uri(load_u32le(a));
        const uint32_t name_index = load_u32le(a + 4);
        attr.name = str(name_index);
        attr.resource_id = res_id(name_index);
        const uint32_t raw = load_u32le(a + 8);
        attr.value.type = a[15];
        attr.value.data = load_u32le(a + 16);
        if (raw != kNoIndex && pool_.valid(raw)) {
          attr.raw = pool_.get(raw);
        } else if (attr.is_string()) {
          if (pool_.valid(attr.value.data)) {
            attr.raw = pool_.get(attr.value.data);
          } else {
            warn("axml.bad_string_ref", "string attribute '" + attr.name + "' with invalid index",
                 pos);
          }
        }
        el.attributes.push_back(std::move(attr));
      }
      std::vector<XmlElement>& siblings = stack_.empty() ? doc_.roots : stack_.back()->children;
      if (stack_.empty() && !doc_.roots.empty()) {
        warn("axml.multiple_roots", "more than one top-level element", pos);
      }
      siblings.push_back(std::move(el));
      stack_.push_back(&siblings.back());
      return;
    }
    case kEndElement: {
      if (stack_.empty()) {
        warn("axml.unbalanced_end", "end element without a start", pos);
        return;
      }
      if (ext_size >= 8) {
        std::string name = str(load_u32le(ext + 4));
        if (name != stack_.back()->name) {
          warn("axml.mismatched_end",
               "end element '" + name + "' closes '" + stack_.back()->name + "'", pos);
        }
      }
      stack_.pop_back();
      return;
    }
    case kCdata: {
      if (ext_size < 4) return;
      if (XmlElement* cur = current()) cur->text += str(load_u32le(ext));
      return;
    }
    default:
      warn("axml.unknown_node", "unknown XML node type " + hex32(type) + " skipped", pos);
      return;
  }
}

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
}

void render(const XmlDocument& doc, const XmlElement& el, int depth, std::string& out) {
  auto prefix_of = [&](const std::string& uri) -> std::string {
    if (uri.empty()) return {};
    for (const auto& n : doc.namespaces) {
      if (n.uri == uri && !n.prefix.empty()) return n.prefix + ":";
    }
    if (uri == kAndroidNs) return "android:";
    return "ns:";
  };
  out.append(static_cast<size_t>(depth) * 2, ' ');
  out += "<" + el.name;
  if (depth == 0) {
    for (const auto& n : doc.namespaces) {
      out += " xmlns:" + n.prefix + "=\"";
      escape_into(out, n.uri);
      out += "\"";
    }
  }
  for (const auto& a : el.attributes) {
    out += " " + prefix_of(a.ns) + a.name + "=\"";
    escape_into(out, a.text());
    out += "\"";
  }
  if (el.children.empty() && el.text.empty()) {
    out += "/>\n";
    return;
  }
  out += ">";
  escape_into(out, el.text);
  out += "\n";
  for (const auto& c : el.children) render(doc, c, depth + 1, out);
  out.append(static_cast<size_t>(depth) * 2, ' ');
  out += "</" + el.name + ">\n";
}

} // namespace

Expected<XmlDocument> parse_axml(ByteView bytes, Diagnostics& diags, std::string_view where) {
  return AxmlParser(bytes, diags, where).run();
}

std::string to_xml_string(const XmlDocument& doc) {
  std::string out;
  for (const auto& r : doc.roots) render(doc, r, 0, out);
  return out;
}

} // namespace appaudit::apk
