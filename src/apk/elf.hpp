#pragma once
/// A tiny ELF identification/header reader for native libraries inside an APK.
///
/// Spec: System V ABI, "ELF Header" (gABI ch. 4) and elf(5): e_ident[EI_CLASS] at 4,
/// e_ident[EI_DATA] at 5, e_type at 16, e_machine at 18 (same place for 32 and 64 bit).

#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

/// Fields of the ELF header that matter for an inventory.
struct ElfHeader {
  uint8_t elf_class = 0; ///< 32 or 64
  bool little_endian = true;
  uint16_t type = 0;    ///< e_type (3 = ET_DYN for shared objects)
  uint16_t machine = 0; ///< e_machine (EM_ARM 40, EM_AARCH64 183, ...)
};

/// Bytes needed to read an ElfHeader (the 64-bit header size covers both classes).
inline constexpr uint64_t kElfHeaderPrefix = 64;

/// Parses the start of an ELF file. Errors: kTruncated (too short), kMalformed (no ELF
/// magic, or a bad class/data byte).
Expected<ElfHeader> parse_elf_header(ByteView bytes);

/// "arm", "aarch64", "x86", "x86_64", "mips", "mips64", "riscv64", or "unknown".
std::string_view elf_machine_name(const ElfHeader& header);

/// The machine name expected for an Android ABI directory name ("arm64-v8a" -> "aarch64"),
/// or an empty view for an ABI Android does not know.
std::string_view machine_for_abi(std::string_view abi);

} // namespace appaudit::apk
