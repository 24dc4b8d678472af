#pragma once
/// Android binary XML (AXML), as found in AndroidManifest.xml and compiled res/*.xml.
///
/// Spec: AOSP frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h
/// (ResChunk_header, ResStringPool_header, ResXMLTree_header, ResXMLTree_node,
/// ResXMLTree_attrExt, ResXMLTree_attribute, Res_value, RES_XML_RESOURCE_MAP_TYPE) and the
/// reader in ResourceTypes.cpp (ResXMLTree::setTo, ResXMLParser::nextNode, validateNode).
///
/// The reader is as lenient as Android's: unknown chunks are skipped, attributes are read with
/// the declared attributeStart/attributeSize stride, attribute resource ids come from the
/// resource map, and oddities used by packers and anti-analysis tools (masking or repeated
/// namespaces, wrong outer sizes, bad string lengths, text chunks, junk bytes) become
/// diagnostics instead of failures. Limits: core/limits.hpp (depth, nodes, strings).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

/// Res_value::dataType values (ResourceTypes.h).
enum class ValueType : uint8_t {
  kNull = 0x00,
  kReference = 0x01,
  kAttribute = 0x02,
  kString = 0x03,
  kFloat = 0x04,
  kDimension = 0x05,
  kFraction = 0x06,
  kDynamicReference = 0x07,
  kDynamicAttribute = 0x08,
  kIntDec = 0x10,
  kIntHex = 0x11,
  kIntBoolean = 0x12,
  kIntColorArgb8 = 0x1c,
  kIntColorRgb8 = 0x1d,
  kIntColorArgb4 = 0x1e,
  kIntColorRgb4 = 0x1f,
};

/// A typed value (Res_value without its size/res0 bytes).
struct ResValue {
  uint8_t type = 0; ///< a ValueType, kept raw: unknown types are preserved
  uint32_t data = 0;

  ValueType value_type() const { return static_cast<ValueType>(type); }
  /// TYPE_FIRST_INT (0x10) .. TYPE_LAST_INT (0x1f).
  bool is_int() const { return type >= 0x10 && type <= 0x1f; }
  /// TYPE_REFERENCE or TYPE_DYNAMIC_REFERENCE.
  bool is_reference() const { return type == 0x01 || type == 0x07; }
};

/// Formats a non-string value like aapt/androguard print it: decimal ints, 0x%08x hex ints,
/// "true"/"false", "#aarrggbb" colours, "@0x7f010000" references, floats, dimensions.
std::string format_value(const ResValue& value);

/// ResStringPool: UTF-8 or UTF-16 strings; decoded on demand into UTF-8. Views `bytes`, which
/// must outlive the pool. Invalid entries decode to "" (with `valid()` false for that index).
class StringPool {
 public:
  StringPool() = default;
  /// Parses a RES_STRING_POOL_TYPE chunk (`chunk` starts at its ResChunk_header). Lenient:
  /// counts beyond the chunk are clamped with a diagnostic; errors only when the header itself
  /// is unreadable. `base_offset` is the chunk's offset in the file, for diagnostics.
  static Expected<StringPool> parse(ByteView chunk, Diagnostics& diags, std::string_view where,
                                    uint64_t base_offset = 0);

  uint32_t size() const { return static_cast<uint32_t>(offsets_.size()); }
  bool is_utf8() const { return utf8_; }
  /// String `index` in UTF-8; "" when out of range or undecodable.
  std::string get(uint32_t index) const;
  /// False when `index` is out of range or its length runs past the pool.
  bool valid(uint32_t index) const;

 private:
  ByteView strings_; ///< from stringsStart to the end of the chunk
  std::vector<uint32_t> offsets_;
  bool utf8_ = false;
};

/// One attribute of an element.
struct XmlAttribute {
  std::string ns;           ///< namespace URI, "" when none
  std::string name;         ///< local name from the string pool
  uint32_t resource_id = 0; ///< from the resource map (e.g. 0x01010003 android:name), 0 if none
  ResValue value;           ///< typedValue
  /// rawValue string (what Android's getAttributeStringValue returns), when the index is valid.
  std::optional<std::string> raw;
  /// Text form: `raw` when present, else the pool string for TYPE_STRING, else format_value().
  std::string text() const;
  /// True when the typed value is a string (TYPE_STRING).
  bool is_string() const { return value.type == static_cast<uint8_t>(ValueType::kString); }
};

/// One element with its attributes and children, in document order.
struct XmlElement {
  std::string ns;      ///< namespace URI, "" when none
  std::string name;    ///< local name
  uint32_t line = 0;   ///< lineNumber of the start node
  uint64_t offset = 0; ///< byte offset of the start node
  std::vector<XmlAttribute> attributes;
  std::vector<XmlElement> children;
  std::string text; ///< concatenated CDATA directly inside this element

  /// First attribute whose resource id is `resource_id` (Android's way for android: attrs).
  const XmlAttribute* find_by_id(uint32_t resource_id) const;
  /// First attribute named `attr_name` in namespace `attr_ns` ("" = no namespace).
  const XmlAttribute* find_by_name(std::string_view attr_ns, std::string_view attr_name) const;
  /// By resource id; when no attribute has that id, an android-namespace attribute (or one
  /// without namespace) named `name` that has no resource id.
  const XmlAttribute* find_android(uint32_t resource_id, std::string_view attr_name) const;
};

/// A namespace declaration (RES_XML_START_NAMESPACE_TYPE).
struct XmlNamespace {
  std::string prefix;
  std::string uri;
};

/// A parsed binary XML document.
struct XmlDocument {
  /// Top-level elements (normally exactly one).
  std::vector<XmlElement> roots;
  std::vector<XmlNamespace> namespaces;
  uint32_t string_count = 0;
  bool utf8_strings = false;
  uint32_t resource_map_size = 0;

  /// The first top-level element, or nullptr.
  const XmlElement* root() const { return roots.empty() ? nullptr : &roots.front(); }
};

/// The android: namespace URI.
inline constexpr std::string_view kAndroidNs = "http://schemas.android.com/apk/res/android";

/// Parses binary XML. Fails (kMalformed/kTruncated) only when no string pool or no element can
/// be found at all; everything else odd is recorded in `diags` under `where`. Limits
/// (kMaxXmlDepth, kMaxXmlNodes, kMaxStringPoolStrings) stop reading with a diagnostic.
Expected<XmlDocument> parse_axml(ByteView bytes, Diagnostics& diags,
                                 std::string_view where = "AndroidManifest.xml");

/// Renders a document as indented text XML (for debugging and tests). Namespaced attributes use
/// the declared prefix, or "android" for kAndroidNs.
std::string to_xml_string(const XmlDocument& doc);

} // namespace appaudit::apk
