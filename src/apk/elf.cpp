/*
 * ELF header identification (System V gABI "ELF Header"; elf(5)).
 * e_ident: magic 0x7f 'E' 'L' 'F', EI_CLASS (1 = 32-bit, 2 = 64-bit), EI_DATA (1 = little,
 * 2 = big endian). e_type (offset 16) and e_machine (offset 18) follow the 16-byte e_ident
 * in both classes.
 */
#include "apk/elf.hpp"

namespace appaudit::apk {
namespace {

constexpr uint16_t kEm386 = 3;
constexpr uint16_t kEmMips = 8;
constexpr uint16_t kEmArm = 40;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint16_t kEmAarch64 = 183;
constexpr uint16_t kEmRiscv = 243;

} // namespace

Expected<ElfHeader> parse_elf_header(ByteView bytes) {
  if (bytes.size() < 4 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
    return make_error_at(bytes.size() < 4 ? Errc::kTruncated : Errc::kMalformed, "no ELF magic",
                         "elf", 0);
  if (bytes.size() < 20) return make_error_at(Errc::kTruncated, "ELF header truncated", "elf", 0);
  ElfHeader h;
  switch (bytes[4]) {
    case 1: h.elf_class = 32; break;
    case 2: h.elf_class = 64; break;
    default: return make_error_at(Errc::kMalformed, "bad EI_CLASS", "elf", 4);
  }
  switch (bytes[5]) {
    case 1: h.little_endian = true; break;
    case 2: h.little_endian = false; break;
    default: return make_error_at(Errc::kMalformed, "bad EI_DATA", "elf", 5);
  }
  auto u16 = [&](size_t off) -> uint16_t {
    return h.little_endian ? load_u16le(bytes.data() + off)
                           : static_cast<uint16_t>((bytes[off] << 8) | bytes[off + 1]);
  };
  h.type = u16(16);
  h.machine = u16(18);
  return h;
}

std::string_view elf_machine_name(const ElfHeader& header) {
  switch (header.machine) {
    case kEmArm: return "arm";
    case kEmAarch64: return "aarch64";
    case kEm386: return "x86";
    case kEmX86_64: return "x86_64";
    case kEmMips: return header.elf_class == 64 ? "mips64" : "mips";
    case kEmRiscv: return header.elf_class == 64 ? "riscv64" : "unknown";
    default: return "unknown";
  }
}

std::string_view machine_for_abi(std::string_view abi) {
  if (abi == "armeabi" || abi == "armeabi-v7a") return "arm";
  if (abi == "arm64-v8a") return "aarch64";
  if (abi == "x86") return "x86";
  if (abi == "x86_64") return "x86_64";
  if (abi == "mips") return "mips";
  if (abi == "mips64") return "mips64";
  if (abi == "riscv64") return "riscv64";
  return {};
}

} // namespace appaudit::apk
