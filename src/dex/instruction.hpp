#pragma once
/// Dalvik bytecode decoding.
///
/// Spec: source.android.com/docs/core/runtime/dalvik-bytecode (opcode table, payload formats)
/// and .../instruction-formats (format IDs such as 35c, operand layouts). Names are the spec's
/// mnemonics ("invoke-virtual/range"); unused opcodes are named "unused-XX" and decode as
/// invalid (1 code unit), like AOSP dexdump.
///
/// Decoding is allocation-free: `Instruction` is a plain struct filled from the code units,
/// payload tables stay views into the DEX. `InstructionIterator` sweeps a method linearly,
/// decoding switch / fill-array-data payloads where they appear, and never reads past the end
/// of the code: a truncated instruction stops the sweep with a status.

#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "dex/dex_file.hpp"

namespace appaudit::dex {

/// Instruction formats ("instruction-formats"), plus the three payload pseudo-formats.
enum class Format : uint8_t {
  k10x,
  k12x,
  k11n,
  k11x,
  k10t,
  k20t,
  k20bc,
  k22x,
  k21t,
  k21s,
  k21h,
  k21c,
  k23x,
  k22b,
  k22t,
  k22s,
  k22c,
  k22cs,
  k30t,
  k32x,
  k31i,
  k31t,
  k31c,
  k35c,
  k35ms,
  k35mi,
  k3rc,
  k3rms,
  k3rmi,
  k45cc,
  k4rcc,
  k51l,
  kPackedSwitchPayload,
  kSparseSwitchPayload,
  kFillArrayDataPayload,
};

/// What an instruction's index operand refers to.
enum class IndexKind : uint8_t {
  kNone,
  kString,
  kType,
  kField,
  kMethod,
  kProto,          ///< const-method-type
  kCallSite,       ///< invoke-custom
  kMethodHandle,   ///< const-method-handle
  kMethodAndProto, ///< invoke-polymorphic: index = method, index2 = proto
  kVtableOffset,   ///< 35ms / 3rms (odex)
  kFieldOffset,    ///< 22cs (odex)
  kInlineMethod,   ///< 35mi / 3rmi (odex)
  kVerifyError,    ///< 20bc (odex): index is a type/field/method per vA
};

/// Opcode properties, useful to analyses (control flow and invokes).
enum OpcodeFlags : uint8_t {
  kFlagContinue = 0x01, ///< may fall through to the next instruction
  kFlagBranch = 0x02,   ///< has a branch target (goto, if-*)
  kFlagSwitch = 0x04,   ///< packed/sparse-switch
  kFlagThrow = 0x08,    ///< may throw
  kFlagReturn = 0x10,   ///< return*
  kFlagInvoke = 0x20,   ///< invoke-*
  kFlagInvalid = 0x80,  ///< unused opcode
};

struct OpcodeInfo {
  std::string_view name;
  Format format;
  IndexKind index_kind;
  uint8_t flags;
};

/// Properties of opcode `op` (all 256 defined; unused ones carry kFlagInvalid).
const OpcodeInfo& opcode_info(uint8_t op);
/// "35c", "packed-switch-payload", ...
std::string_view to_string(Format format);
std::string_view to_string(IndexKind kind);
/// Size in code units of format `f` (0 for the variable-size payloads).
uint32_t format_size(Format f);

/// Outcome of decoding one instruction.
enum class DecodeStatus : uint8_t {
  kOk,
  kTruncated,      ///< the instruction or payload runs past the end of the code
  kInvalidOpcode,  ///< unused opcode (size 1 assumed)
  kInvalidOperand, ///< e.g. 35c with more than 5 arguments (size known, decoding may go on)
};
std::string_view to_string(DecodeStatus s);

/// One decoded instruction. Operand names follow the spec's format table: for 35c/35ms/35mi/45cc
/// `a` is the argument count and `args[0..a)` are vC..vG; for 3rc/3rms/3rmi/4rcc `a` is the count
/// and `c` the first register. `b`/`c` hold registers (or, for 22b/22s/11n, the literal lives in
/// `literal`). Payload pseudo-instructions fill the payload_* fields instead.
struct Instruction {
  uint32_t pc = 0;   ///< address in code units from the start of insns
  uint32_t size = 0; ///< in code units
  uint8_t opcode = 0;
  Format format = Format::k10x;
  IndexKind index_kind = IndexKind::kNone;
  uint32_t a = 0, b = 0, c = 0;
  uint8_t args[5] = {0, 0, 0, 0, 0};
  int64_t literal = 0; ///< sign-extended literal (11n/21s/21h/22b/22s/31i/51l)
  int32_t branch = 0;  ///< relative branch offset in code units (10t/20t/30t/21t/22t/31t)
  uint32_t index = 0;  ///< string/type/field/method/... index
  uint32_t index2 = 0; ///< proto index of 45cc/4rcc
  // Payloads (format k*Payload). Switch targets are relative to the switch instruction.
  uint32_t payload_count = 0; ///< switch entries, or array elements
  int32_t first_key = 0;      ///< packed-switch
  uint16_t element_width = 0; ///< fill-array-data
  ByteView keys;              ///< sparse-switch: int32 keys
  ByteView targets;           ///< switches: int32 relative targets
  ByteView array_data;        ///< fill-array-data: element_width * payload_count bytes

  const OpcodeInfo& info() const { return opcode_info(opcode); }
  std::string_view name() const;
  bool is_payload() const { return format >= Format::kPackedSwitchPayload; }
  /// Absolute branch target (pc + branch) for branch formats.
  int64_t target() const { return static_cast<int64_t>(pc) + branch; }
  int32_t switch_key(uint32_t i) const; ///< sparse: keys[i]; packed: first_key + i
  int32_t switch_target(uint32_t i) const;
  /// Number of register operands for invoke-like formats (35c.. / 3rc..), else 0.
  uint32_t register_count() const;
  /// i-th register operand of an invoke-like instruction (35c: args[i], 3rc: c + i).
  uint32_t register_at(uint32_t i) const;
};

/// Decodes the instruction at `pc`. Never reads outside `code`.
DecodeStatus decode_instruction(CodeUnits code, uint32_t pc, Instruction& out);
/// Decodes the units at `pc` as format `f`, whatever the opcode says (for odex formats such as
/// 22cs/35ms/35mi/20bc that no current opcode uses, and for tests).
DecodeStatus decode_format(Format f, CodeUnits code, uint32_t pc, Instruction& out);

/// Linear sweep over a method's code units. Usage:
///   for (InstructionIterator it(code); it.next(insn);) { ... }
///   if (it.status() != DecodeStatus::kOk) ...
/// Invalid opcodes are reported through `invalid_count()` and skipped one unit at a time (like
/// dexdump); a truncated instruction stops the sweep.
class InstructionIterator {
 public:
  explicit InstructionIterator(CodeUnits code) : code_(code) {}
  bool next(Instruction& out);
  /// kOk, or kTruncated when the sweep stopped early.
  DecodeStatus status() const { return status_; }
  uint32_t invalid_count() const { return invalid_; }
  uint32_t first_invalid_pc() const { return first_invalid_pc_; }
  uint32_t pc() const { return pc_; }
  /// Status of the instruction last returned by next() (kInvalidOpcode / kInvalidOperand
  /// instructions are returned, then skipped).
  DecodeStatus last_status() const { return last_; }

 private:
  CodeUnits code_;
  uint32_t pc_ = 0;
  uint32_t invalid_ = 0;
  uint32_t first_invalid_pc_ = 0;
  DecodeStatus status_ = DecodeStatus::kOk;
  DecodeStatus last_ = DecodeStatus::kOk;
};

} // namespace appaudit::dex
