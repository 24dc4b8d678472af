#pragma once
/// An inventory of an APK container: every file with its kind, the DEX files Android would
/// load, native libraries with their ELF machine, and assets. No manifest, resource,
/// signature or DEX parsing happens here (other modules do those).

#include <cstdint>
#include <string>
#include <vector>

#include "apk/zip.hpp"
#include "core/diagnostics.hpp"

namespace appaudit::apk {

/// One zip entry, classified.
struct FileInfo {
  std::string path;  ///< raw entry name
  uint64_t size = 0; ///< uncompressed size (central directory)
  uint64_t compressed_size = 0;
  uint16_t method = 0; ///< 0 stored, 8 deflated
  /// "manifest", "resources", "dex", "native_lib", "asset", "res", "meta_inf" or "other".
  std::string kind;
};

/// A native library the package installer would extract: `lib/<abi>/<name>.so`.
struct NativeLib {
  std::string path; ///< full entry name
  std::string abi;  ///< directory name, e.g. "arm64-v8a"
  std::string name; ///< file name, e.g. "libfoo.so"
  uint64_t size = 0;
  /// "arm", "aarch64", "x86", "x86_64", "mips", "mips64", "riscv64"; "unknown" for another
  /// ELF machine; "not_elf" when the header is not ELF or cannot be read.
  std::string elf_machine;
  uint8_t elf_class = 0; ///< 32 or 64; 0 when not ELF
};

struct ApkInventory {
  std::vector<FileInfo> files;        ///< central-directory order
  std::vector<NativeLib> native_libs; ///< central-directory order
  /// classes.dex, classes2.dex, ... in the order Android loads them (stops at the first gap).
  std::vector<std::string> dex_entries;
  std::vector<std::string> assets; ///< entries under assets/ (directories excluded)
  /// Method names given as android:onClick in the compiled XML under res/ (layouts, menus),
  /// sorted and unique: click handlers the framework calls by name on the activity.
  std::vector<std::string> xml_click_handlers;
  /// android:id resource ids of input fields the same XML marks as passwords
  /// (android:inputType textPassword / textVisiblePassword / textWebPassword / numberPassword,
  /// or android:password="true"), sorted and unique.
  std::vector<uint32_t> password_view_ids;
  /// Classes the same XML makes the framework instantiate: custom views (elements named by a
  /// fully-qualified class) and fragments (<fragment android:name|class>), sorted and unique.
  std::vector<std::string> xml_classes;
};

/// Builds the inventory; reads only the first 64 bytes of each native library, and parses the
/// compiled XML under res/ for android:onClick handlers (bounded: see limits.hpp).
/// Oddities (DEX numbering gaps, ELF machine not matching its ABI directory, unreadable
/// libraries) go to `diags`.
ApkInventory inventory(const ZipArchive& zip, Diagnostics& diags);

} // namespace appaudit::apk
