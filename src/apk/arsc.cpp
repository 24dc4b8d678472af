/*
 * resources.arsc reader.
 *
 * Spec: AOSP frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h. Layout:
 *   ResTable_header (0x0002) { ResChunk_header; u32 packageCount }
 *     ResStringPool (0x0001)             global value strings
 *     ResTable_package (0x0200) { header; u32 id; char16 name[128]; u32 typeStrings,
 *         lastPublicType, keyStrings, lastPublicKey[, typeIdOffset] }
 *       type-name pool, key-name pool (at typeStrings/keyStrings from the package start)
 *       ResTable_typeSpec (0x0202, not needed for lookups) { header; u8 id, res0; u16 typesCount;
 * u32 entryCount; ... } ResTable_type (0x0201) { header; u8 id, flags, u16 reserved; u32
 * entryCount, entriesStart; ResTable_config config } then, at headerSize, the entry index: u32
 * offsets (NO_ENTRY 0xffffffff), or with FLAG_OFFSET16 (0x02) u16 offsets/4 (NO_ENTRY 0xffff), or
 * with FLAG_SPARSE (0x01) sorted {u16 idx; u16 offset/4}. ResTable_entry { u16 size; u16 flags; u32
 * key } + Res_value at entry+size; FLAG_COMPLEX (0x1): ResTable_map_entry (bag), FLAG_COMPACT
 * (0x8): key in `size`, dataType in flags>>8, data in the key field. ResTable_config { u32 size;
 * mcc, mnc; language[2], country[2]; orientation, touchscreen, u16 density; keyboard, navigation,
 * inputFlags, pad; u16 screenWidth, screenHeight; u16 sdkVersion, minorVersion; screenLayout,
 * uiMode, u16 smallestScreenWidthDp; u16 screenWidthDp, screenHeightDp; localeScript[4];
 * localeVariant[8]; screenLayout2, colorMode, ... }
 *
 * Selection follows ResTable_config::match and isBetterThan (ResourceTypes.cpp), simplified:
 * see docs/manifest.md.
 */
#include "apk/arsc.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

constexpr uint16_t kResTableType = 0x0002;
constexpr uint16_t kStringPoolType = 0x0001;
constexpr uint16_t kPackageType = 0x0200;
constexpr uint16_t kTypeType = 0x0201;

constexpr uint8_t kFlagSparse = 0x01;
constexpr uint8_t kFlagOffset16 = 0x02;
constexpr uint16_t kEntryComplex = 0x0001;
constexpr uint16_t kEntryCompact = 0x0008;

constexpr uint16_t kDensityDefault = 0;
constexpr uint16_t kDensityMedium = 160;
constexpr uint16_t kDensityAny = 0xfffe;

ResConfig read_config(ByteView b) {
  ResConfig c;
  auto u8 = [&](size_t off) -> uint8_t { return off < b.size() ? b[off] : 0; };
  auto u16 = [&](size_t off) -> uint16_t {
    return static_cast<uint16_t>(u8(off) | (u8(off + 1) << 8));
  };
  c.mcc = u16(4);
  c.mnc = u16(6);
  c.language[0] = static_cast<char>(u8(8));
  c.language[1] = static_cast<char>(u8(9));
  c.country[0] = static_cast<char>(u8(10));
  c.country[1] = static_cast<char>(u8(11));
  c.orientation = u8(12);
  c.touchscreen = u8(13);
  c.density = u16(14);
  c.keyboard = u8(16);
  c.navigation = u8(17);
  c.input_flags = u8(18);
  c.screen_width = u16(20);
  c.screen_height = u16(22);
  c.sdk_version = u16(24);
  c.minor_version = u16(26);
  c.screen_layout = u8(28);
  c.ui_mode = u8(29);
  c.smallest_screen_width_dp = u16(30);
  c.screen_width_dp = u16(32);
  c.screen_height_dp = u16(34);
  for (int i = 0; i < 4; ++i) c.locale_script[i] = static_cast<char>(u8(36 + i));
  c.screen_layout2 = u8(48);
  c.color_mode = u8(49);
  return c;
}

/// Unpacks a 2-byte language/region code (ResTable_config::unpackLanguageOrRegion).
std::string unpack_code(const char in[2], char base) {
  if ((static_cast<uint8_t>(in[0]) & 0x80) != 0) {
    const uint8_t b0 = static_cast<uint8_t>(in[0]);
    const uint8_t b1 = static_cast<uint8_t>(in[1]);
    std::string out(3, ' ');
    out[0] = static_cast<char>(base + (b1 & 0x1f));
    out[1] = static_cast<char>(base + (((b1 & 0xe0) >> 5) + ((b0 & 0x03) << 3)));
    out[2] = static_cast<char>(base + ((b0 & 0x7c) >> 2));
    return out;
  }
  std::string out;
  if (in[0] != 0) out.push_back(in[0]);
  if (in[1] != 0) out.push_back(in[1]);
  return out;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Configurations

std::string ResConfig::locale() const {
  std::string lang = unpack_code(language, 'a');
  std::string region = unpack_code(country, '0');
  std::string script;
  for (char ch : locale_script) {
    if (ch != 0) script.push_back(ch);
  }
  std::string out = lang;
  if (!script.empty()) out += (out.empty() ? "" : "-") + script;
  if (!region.empty()) out += (out.empty() ? "" : "-") + region;
  return out;
}

std::string ResConfig::to_string() const {
  std::vector<std::string> parts;
  auto num = [](const char* fmt, unsigned v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    return std::string(buf);
  };
  if (mcc != 0) parts.push_back(num("mcc%u", mcc));
  if (mnc != 0) parts.push_back(num("mnc%u", mnc));
  if (language[0] != 0) {
    std::string l = unpack_code(language, 'a');
    if (country[0] != 0) l += "-r" + unpack_code(country, '0');
    parts.push_back(l);
  }
  if (smallest_screen_width_dp != 0) parts.push_back(num("sw%udp", smallest_screen_width_dp));
  if (screen_width_dp != 0) parts.push_back(num("w%udp", screen_width_dp));
  if (screen_height_dp != 0) parts.push_back(num("h%udp", screen_height_dp));
  switch (screen_layout & 0x0f) {
    case 1: parts.push_back("small"); break;
    case 2: parts.push_back("normal"); break;
    case 3: parts.push_back("large"); break;
    case 4: parts.push_back("xlarge"); break;
    default: break;
  }
  if (orientation == 1) parts.push_back("port");
  if (orientation == 2) parts.push_back("land");
  switch (ui_mode & 0x0f) {
    case 2: parts.push_back("desk"); break;
    case 3: parts.push_back("car"); break;
    case 4: parts.push_back("television"); break;
    case 5: parts.push_back("appliance"); break;
    case 6: parts.push_back("watch"); break;
    case 7: parts.push_back("vrheadset"); break;
    default: break;
  }
  if ((ui_mode & 0x30) == 0x10) parts.push_back("notnight");
  if ((ui_mode & 0x30) == 0x20) parts.push_back("night");
  switch (density) {
    case 0: break;
    case 120: parts.push_back("ldpi"); break;
    case 160: parts.push_back("mdpi"); break;
    case 213: parts.push_back("tvdpi"); break;
    case 240: parts.push_back("hdpi"); break;
    case 320: parts.push_back("xhdpi"); break;
    case 480: parts.push_back("xxhdpi"); break;
    case 640: parts.push_back("xxxhdpi"); break;
    case 0xfffe: parts.push_back("anydpi"); break;
    case 0xffff: parts.push_back("nodpi"); break;
    default: parts.push_back(num("%udpi", density));
  }
  if (sdk_version != 0) parts.push_back(num("v%u", sdk_version));
  if (parts.empty()) return "default";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "-") + p;
  return out;
}

ResConfig ResConfig::device(std::string_view locale) {
  ResConfig c;
  c.orientation = 1; // ORIENTATION_PORT
  c.density = kDensityMedium;
  c.sdk_version = 10000;
  c.screen_width_dp = 320;
  c.screen_height_dp = 480;
  c.smallest_screen_width_dp = 320;
  c.screen_layout = 0x02; // SCREENSIZE_NORMAL
  const size_t dash = locale.find('-');
  std::string_view lang = locale.substr(0, dash);
  std::string_view region = dash == std::string_view::npos ? "" : locale.substr(dash + 1);
  if (lang.size() == 2) {
    c.language[0] = lang[0];
    c.language[1] = lang[1];
  }
  if (region.size() == 2) {
    c.country[0] = region[0];
    c.country[1] = region[1];
  }
  return c;
}

bool ResConfig::matches(const ResConfig& r) const {
  if (mcc != 0 && mcc != r.mcc) return false;
  if (mnc != 0 && mnc != r.mnc) return false;
  if (language[0] != 0 || language[1] != 0) {
    if (language[0] != r.language[0] || language[1] != r.language[1]) return false;
  }
  if (country[0] != 0 || country[1] != 0) {
    if (country[0] != r.country[0] || country[1] != r.country[1]) return false;
  }
  if ((screen_layout & 0xc0) != 0 && (screen_layout & 0xc0) != (r.screen_layout & 0xc0)) {
    return false; // layout direction
  }
  if ((screen_layout & 0x0f) != 0 && (screen_layout & 0x0f) > (r.screen_layout & 0x0f)) {
    return false; // screen size
  }
  if ((screen_layout & 0x30) != 0 && (screen_layout & 0x30) != (r.screen_layout & 0x30)) {
    return false; // screen long
  }
  if ((ui_mode & 0x0f) != 0 && (ui_mode & 0x0f) != (r.ui_mode & 0x0f)) return false;
  if ((ui_mode & 0x30) != 0 && (ui_mode & 0x30) != (r.ui_mode & 0x30)) return false;
  if (smallest_screen_width_dp != 0 && smallest_screen_width_dp > r.smallest_screen_width_dp) {
    return false;
  }
  if (screen_width_dp != 0 && screen_width_dp > r.screen_width_dp) return false;
  if (screen_height_dp != 0 && screen_height_dp > r.screen_height_dp) return false;
  if ((screen_layout2 & 0x03) != 0 && (screen_layout2 & 0x03) != (r.screen_layout2 & 0x03)) {
    return false; // round
  }
  if ((color_mode & 0x03) != 0 && (color_mode & 0x03) != (r.color_mode & 0x03)) return false;
  if ((color_mode & 0x0c) != 0 && (color_mode & 0x0c) != (r.color_mode & 0x0c)) return false;
  if (orientation != 0 && orientation != r.orientation) return false;
  if (touchscreen != 0 && touchscreen != r.touchscreen) return false;
  if ((input_flags & 0x03) != 0 && (input_flags & 0x03) != (r.input_flags & 0x03)) return false;
  if ((input_flags & 0x0c) != 0 && (input_flags & 0x0c) != (r.input_flags & 0x0c)) return false;
  if (keyboard != 0 && keyboard != r.keyboard) return false;
  if (navigation != 0 && navigation != r.navigation) return false;
  if (screen_width != 0 && screen_width > r.screen_width) return false;
  if (screen_height != 0 && screen_height > r.screen_height) return false;
  if (sdk_version != 0 && sdk_version > r.sdk_version) return false;
  if (minor_version != 0 && minor_version != r.minor_version) return false;
  return true;
}

bool ResConfig::is_better_than(const ResConfig& o, const ResConfig& r) const {
  // Returns at the first qualifier (in Android's precedence order) where the two differ.
  auto set_wins = [](bool mine, bool theirs, int& decided) {
    if (mine != theirs) decided = mine ? 1 : -1;
  };
  int d = 0;
  set_wins(mcc != 0, o.mcc != 0, d);
  if (d == 0) set_wins(mnc != 0, o.mnc != 0, d);
  if (d == 0 && r.language[0] != 0) {
    set_wins(language[0] != 0, o.language[0] != 0, d);
    if (d == 0 && r.country[0] != 0) set_wins(country[0] != 0, o.country[0] != 0, d);
  }
  if (d == 0) set_wins((screen_layout & 0xc0) != 0, (o.screen_layout & 0xc0) != 0, d);
  if (d == 0 && smallest_screen_width_dp != o.smallest_screen_width_dp) {
    d = smallest_screen_width_dp > o.smallest_screen_width_dp ? 1 : -1;
  }
  if (d == 0 && screen_width_dp != o.screen_width_dp) {
    d = screen_width_dp > o.screen_width_dp ? 1 : -1;
  }
  if (d == 0 && screen_height_dp != o.screen_height_dp) {
    d = screen_height_dp > o.screen_height_dp ? 1 : -1;
  }
  if (d == 0 && (screen_layout & 0x0f) != (o.screen_layout & 0x0f)) {
    d = (screen_layout & 0x0f) > (o.screen_layout & 0x0f) ? 1 : -1;
  }
  if (d == 0) set_wins((screen_layout & 0x30) != 0, (o.screen_layout & 0x30) != 0, d);
  if (d == 0) set_wins((screen_layout2 & 0x03) != 0, (o.screen_layout2 & 0x03) != 0, d);
  if (d == 0) set_wins(color_mode != 0, o.color_mode != 0, d);
  if (d == 0) set_wins(orientation != 0, o.orientation != 0, d);
  if (d == 0) set_wins((ui_mode & 0x0f) != 0, (o.ui_mode & 0x0f) != 0, d);
  if (d == 0) set_wins((ui_mode & 0x30) != 0, (o.ui_mode & 0x30) != 0, d);
  if (d == 0 && density != o.density) {
    // ResTable_config::isBetterThan density rule: closest to the request, preferring higher.
    int req = r.density == kDensityDefault ? kDensityMedium : r.density;
    int h = density == kDensityDefault ? kDensityMedium : density;
    int l = o.density == kDensityDefault ? kDensityMedium : o.density;
    if (density == kDensityAny) return true;
    if (o.density == kDensityAny) return false;
    bool i_am_bigger = true;
    if (l > h) {
      std::swap(l, h);
      i_am_bigger = false;
    }
    if (h != l) {
      if (req >= h) return i_am_bigger;
      if (l >= req) return !i_am_bigger;
      if ((2 * l - req) * h > req * req) return !i_am_bigger;
      return i_am_bigger;
    }
  }
  if (d == 0) set_wins(touchscreen != 0, o.touchscreen != 0, d);
  if (d == 0) set_wins(keyboard != 0, o.keyboard != 0, d);
  if (d == 0) set_wins(navigation != 0, o.navigation != 0, d);
  if (d == 0 && screen_width != o.screen_width) d = screen_width > o.screen_width ? 1 : -1;
  if (d == 0 && screen_height != o.screen_height) d = screen_height > o.screen_height ? 1 : -1;
  if (d == 0 && sdk_version != o.sdk_version) d = sdk_version > o.sdk_version ? 1 : -1;
  return d > 0;
}

// ---------------------------------------------------------------------------------------------
// Table

namespace {

struct TypeChunk {
  ResConfig config;
  ByteView chunk; ///< the whole ResTable_type chunk
  uint32_t header_size = 0;
  uint32_t entry_count = 0;
  uint32_t entries_start = 0;
  uint8_t flags = 0;
};

struct Package {
  uint32_t id = 0;
  std::string name;
  StringPool type_names;
  StringPool key_names;
  uint32_t type_id_offset = 0;
  std::map<uint8_t, std::vector<TypeChunk>> types;
};

/// One entry of one type chunk.
struct RawEntry {
  bool present = false;
  bool complex = false;
  uint32_t key = 0;
  ResValue value;
};

RawEntry read_entry(const TypeChunk& t, uint32_t index) {
  RawEntry e;
  ByteView c = t.chunk;
  uint64_t offset = 0;
  const uint64_t index_start = t.header_size;
  if ((t.flags & kFlagSparse) != 0) {
    // Sorted {u16 idx, u16 offset/4}: binary search.
    uint64_t lo = 0;
    uint64_t hi = t.entry_count;
    bool found = false;
    while (lo < hi) {
      uint64_t mid = (lo + hi) / 2;
      uint64_t at = index_start + 4 * mid;
      if (!in_bounds(c.size(), at, 4)) return e;
      uint32_t idx = load_u16le(c.data() + at);
      if (idx == index) {
        offset = static_cast<uint64_t>(load_u16le(c.data() + at + 2)) * 4;
        found = true;
        break;
      }
      if (idx < index) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (!found) return e;
  } else {
    if (index >= t.entry_count) return e;
    if ((t.flags & kFlagOffset16) != 0) {
      uint64_t at = index_start + 2ull * index;
      if (!in_bounds(c.size(), at, 2)) return e;
      uint32_t v = load_u16le(c.data() + at);
      if (v == 0xffff) return e;
      offset = static_cast<uint64_t>(v) * 4;
    } else {
      uint64_t at = index_start + 4ull * index;
      if (!in_bounds(c.size(), at, 4)) return e;
      uint32_t v = load_u32le(c.data() + at);
      if (v == 0xffffffffu) return e;
      offset = v;
    }
  }
  const uint64_t at = static_cast<uint64_t>(t.entries_start) + offset;
  if (!in_bounds(c.size(), at, 8)) return e;
  const uint8_t* p = c.data() + at;
  const uint16_t size = load_u16le(p);
  const uint16_t flags = load_u16le(p + 2);
  if ((flags & kEntryCompact) != 0) {
    e.present = true;
    e.key = size;
    e.value.type = static_cast<uint8_t>(flags >> 8);
    e.value.data = load_u32le(p + 4);
    return e;
  }
  e.key = load_u32le(p + 4);
  if ((flags & kEntryComplex) != 0) {
    e.present = true;
    e.complex = true;
    return e;
  }
  if (size < 8 || !in_bounds(c.size(), at + size, 8)) return e;
  e.present = true;
  e.value.type = c[at + size + 3];
  e.value.data = load_u32le(c.data() + at + size + 4);
  return e;
}

} // namespace

struct ResourceTable::Impl {
  StringPool strings;
  std::vector<Package> packages;

  const Package* package_for(uint32_t id) const {
    uint32_t pid = id >> 24;
    for (const auto& p : packages) {
      if (p.id == pid) return &p;
    }
    if (pid == 0 && !packages.empty()) return &packages.front(); // shared-library reference
    return nullptr;
  }

  /// Best-matching entry for `id` and `config`.
  std::optional<RawEntry> best(uint32_t id, const ResConfig& config) const {
    const Package* p = package_for(id);
    if (p == nullptr) return std::nullopt;
    const uint32_t type = (id >> 16) & 0xff;
    auto it = p->types.find(static_cast<uint8_t>(type));
    if (it == p->types.end()) return std::nullopt;
    const uint32_t entry = id & 0xffff;
    const TypeChunk* best_chunk = nullptr;
    RawEntry best_entry;
    for (const auto& t : it->second) {
      if (!t.config.matches(config)) continue;
      if (best_chunk != nullptr && !t.config.is_better_than(best_chunk->config, config)) continue;
      RawEntry e = read_entry(t, entry);
      if (!e.present) continue;
      best_chunk = &t;
      best_entry = e;
    }
    if (best_chunk == nullptr) return std::nullopt;
    return best_entry;
  }
};

ResourceTable::ResourceTable() : impl_(std::make_unique<Impl>()) {}
ResourceTable::~ResourceTable() = default;
ResourceTable::ResourceTable(ResourceTable&&) noexcept = default;
ResourceTable& ResourceTable::operator=(ResourceTable&&) noexcept = default;

Expected<ResourceTable> ResourceTable::parse(ByteView bytes, Diagnostics& diags,
                                             std::string_view where) {
  const std::string w(where);
  if (bytes.size() < 12) return make_error_at(Errc::kTruncated, "resource table header", w, 0);
  const uint16_t type = load_u16le(bytes.data());
  uint32_t header_size = load_u16le(bytes.data() + 2);
  uint64_t end = load_u32le(bytes.data() + 4);
  if (type != kResTableType) {
    diags.add_at(Severity::kWarning, "arsc.outer_type", w, "outer chunk is not RES_TABLE_TYPE", 0);
  }
  if (end > bytes.size() || end < 12) {
    diags.add_at(Severity::kWarning, "arsc.outer_size", w,
                 "table size " + std::to_string(end) + " does not fit the data; using the data", 0);
    end = bytes.size();
  }
  if (header_size < 12 || header_size > end) header_size = 12;

  ResourceTable table;
  Impl& impl = *table.impl_;
  bool have_pool = false;
  uint64_t pos = header_size;
  int bad = 0;
  while (pos + 8 <= end) {
    const uint8_t* p = bytes.data() + pos;
    const uint16_t ctype = load_u16le(p);
    const uint32_t chdr = load_u16le(p + 2);
    const uint64_t csize = load_u32le(p + 4);
    if (csize < 8 || csize > end - pos || chdr > csize) {
      diags.add_at(Severity::kWarning, "arsc.bad_chunk", w,
                   "chunk size " + std::to_string(csize) + " invalid; stopping", pos);
      break;
    }
    ByteView chunk = bytes.subspan(pos, csize);
    if (ctype == kStringPoolType && !have_pool) {
      auto pool = StringPool::parse(chunk, diags, w, pos);
      if (pool) {
        impl.strings = std::move(*pool);
        have_pool = true;
      }
    } else if (ctype == kPackageType) {
      Package pkg;
      if (chdr < 8 + 4 + 256 + 16 || csize < chdr) {
        diags.add_at(Severity::kWarning, "arsc.bad_package", w, "package header too small", pos);
        pos += csize;
        continue;
      }
      pkg.id = load_u32le(chunk.data() + 8);
      std::string name;
      for (int i = 0; i < 128; ++i) {
        uint16_t ch = load_u16le(chunk.data() + 12 + 2 * i);
        if (ch == 0) break;
        if (ch < 0x80)
          name.push_back(static_cast<char>(ch));
        else
          name.push_back('?');
      }
      pkg.name = name;
      const uint32_t type_strings = load_u32le(chunk.data() + 268);
      const uint32_t key_strings = load_u32le(chunk.data() + 276);
      if (chdr >= 288) pkg.type_id_offset = load_u32le(chunk.data() + 284);
      auto sub_pool = [&](uint32_t off) -> StringPool {
        if (off < 8 || off + 8ull > csize) return {};
        uint64_t sz = load_u32le(chunk.data() + off + 4);
        if (sz > csize - off) sz = csize - off;
        auto sp = StringPool::parse(chunk.subspan(off, sz), diags, w, pos + off);
        return sp ? std::move(*sp) : StringPool{};
      };
      pkg.type_names = sub_pool(type_strings);
      pkg.key_names = sub_pool(key_strings);
      // Walk the package's chunks after its header.
      uint64_t q = chdr;
      while (q + 8 <= csize) {
        const uint8_t* s = chunk.data() + q;
        const uint16_t stype = load_u16le(s);
        const uint32_t shdr = load_u16le(s + 2);
        const uint64_t ssize = load_u32le(s + 4);
        if (ssize < 8 || ssize > csize - q || shdr > ssize) {
          if (bad++ < 20) {
            diags.add_at(Severity::kWarning, "arsc.bad_chunk", w,
                         "package chunk size invalid; rest of package skipped", pos + q);
          }
          break;
        }
        if (stype == kTypeType && shdr >= 20) {
          TypeChunk t;
          t.chunk = chunk.subspan(q, ssize);
          t.header_size = shdr;
          const uint8_t id = s[8];
          t.flags = s[9];
          t.entry_count = load_u32le(s + 12);
          t.entries_start = load_u32le(s + 16);
          uint32_t cfg_size = shdr >= 24 ? load_u32le(s + 20) : 0;
          uint64_t cfg_avail = shdr > 20 ? shdr - 20 : 0;
          if (cfg_size > cfg_avail) cfg_size = static_cast<uint32_t>(cfg_avail);
          t.config = read_config(chunk.subspan(q + 20, cfg_size));
          if (id == 0) {
            diags.add_at(Severity::kWarning, "arsc.type_id_zero", w, "type id 0", pos + q);
          } else {
            pkg.types[id].push_back(t);
          }
        }
        q += ssize;
      }
      impl.packages.push_back(std::move(pkg));
    }
    pos += csize;
  }
  if (!have_pool) {
    diags.add(Severity::kWarning, "arsc.no_string_pool", w, "no global string pool");
  }
  if (impl.packages.empty()) {
    return make_error(Errc::kMalformed, "no package chunk in resource table", w);
  }
  return table;
}

std::optional<ResValue> ResourceTable::lookup(uint32_t id, const ResConfig& config) const {
  auto e = impl_->best(id, config);
  if (!e || e->complex) return std::nullopt;
  return e->value;
}

std::optional<ResolvedValue> ResourceTable::resolve(const ResValue& value,
                                                    const ResConfig& config) const {
  ResolvedValue out;
  out.value = value;
  for (uint32_t depth = 0; out.value.is_reference(); ++depth) {
    if (depth >= limits::kMaxResourceRefDepth || out.value.data == 0) return std::nullopt;
    auto next = lookup(out.value.data, config);
    if (!next) return std::nullopt;
    out.resource_id = out.value.data;
    out.value = *next;
  }
  if (out.value.value_type() == ValueType::kString) {
    out.string = impl_->strings.get(out.value.data);
  }
  return out;
}

std::optional<std::string> ResourceTable::resolve_string(uint32_t id,
                                                         const ResConfig& config) const {
  auto r = resolve(ResValue{static_cast<uint8_t>(ValueType::kReference), id}, config);
  if (!r || r->value.value_type() != ValueType::kString) return std::nullopt;
  return r->string;
}

std::string ResourceTable::global_string(uint32_t index) const { return impl_->strings.get(index); }

uint32_t ResourceTable::global_string_count() const { return impl_->strings.size(); }

std::optional<std::string> ResourceTable::name_of(uint32_t id) const {
  const Package* p = impl_->package_for(id);
  if (p == nullptr) return std::nullopt;
  const uint32_t type = (id >> 16) & 0xff;
  auto it = p->types.find(static_cast<uint8_t>(type));
  if (it == p->types.end()) return std::nullopt;
  for (const auto& t : it->second) {
    RawEntry e = read_entry(t, id & 0xffff);
    if (!e.present) continue;
    const uint32_t type_index = type - 1 - p->type_id_offset;
    if (type < 1 + p->type_id_offset || !p->type_names.valid(type_index)) return std::nullopt;
    return p->type_names.get(type_index) + "/" + p->key_names.get(e.key);
  }
  return std::nullopt;
}

std::vector<std::string> ResourceTable::locales() const {
  std::set<std::string> out;
  for (const auto& p : impl_->packages) {
    for (const auto& [id, chunks] : p.types) {
      for (const auto& t : chunks) out.insert(t.config.locale());
    }
  }
  return {out.begin(), out.end()};
}

std::vector<std::pair<uint32_t, std::string>> ResourceTable::packages() const {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const auto& p : impl_->packages) out.emplace_back(p.id, p.name);
  return out;
}

} // namespace appaudit::apk
