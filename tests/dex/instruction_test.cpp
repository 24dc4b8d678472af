// Instruction decoding: every format and operand of the smali fixture at known addresses,
// the odex-only formats on hand-made code units, truncation and invalid opcodes, and the
// opcode sequence of every method of every corpus DEX against AOSP `dexdump -d`.
#include "dex/instruction.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "dex/dex_file.hpp"
#include "support/test_support.hpp"

namespace appaudit::dex {
namespace {

/// Code units as a byte buffer the CodeUnits view can point at.
struct Units {
  std::vector<uint8_t> bytes;
  explicit Units(std::initializer_list<uint16_t> u) {
    for (uint16_t x : u) {
      bytes.push_back(static_cast<uint8_t>(x));
      bytes.push_back(static_cast<uint8_t>(x >> 8));
    }
  }
  CodeUnits view() const { return CodeUnits(bytes); }
};

class FixtureCode : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = test::read_file(test::fixtures_dir() + "/dex/dex_formats.dex");
    ASSERT_FALSE(bytes_.empty()) << "run tests/fixtures/build_fixtures.sh";
    auto d = DexFile::open(bytes_, "dex_formats.dex");
    ASSERT_TRUE(d) << d.error().to_string();
    dex_.emplace(std::move(*d));
  }

  /// Decodes the named LFormats; method into pc → Instruction.
  std::map<uint32_t, Instruction> decode(std::string_view method) {
    std::map<uint32_t, Instruction> out;
    auto def = dex_->class_def(ClassDefIdx(0));
    auto r = dex_->class_data_reader(*def);
    ClassMember m;
    while (r->next(m)) {
      if (!m.is_method()) continue;
      if (dex_->string(dex_->method_id(m.method())->name).value() != method) continue;
      auto code = dex_->code_item(m.code_off);
      EXPECT_TRUE(code);
      Instruction insn;
      InstructionIterator it(code->insns);
      while (it.next(insn)) {
        EXPECT_EQ(it.last_status(), DecodeStatus::kOk) << method << " @" << insn.pc;
        out[insn.pc] = insn;
      }
      EXPECT_EQ(it.status(), DecodeStatus::kOk);
      EXPECT_EQ(it.invalid_count(), 0u);
    }
    return out;
  }

  std::string str(uint32_t i) { return std::string(dex_->string(StringIdx(i)).value()); }
  std::string type(uint32_t i) { return std::string(dex_->type_descriptor(TypeIdx(i)).value()); }

  std::vector<uint8_t> bytes_;
  std::optional<DexFile> dex_;
};

TEST_F(FixtureCode, EveryFormatDecodesWithOperands) {
  auto c = decode("formats");
  ASSERT_EQ(c.size(), 37u);
  auto at = [&](uint32_t pc, std::string_view name, Format f) -> const Instruction& {
    EXPECT_TRUE(c.count(pc)) << pc;
    const Instruction& i = c[pc];
    EXPECT_EQ(i.name(), name) << "at " << pc;
    EXPECT_EQ(i.format, f) << "at " << pc << " " << to_string(i.format);
    return i;
  };
  at(0x00, "nop", Format::k10x);
  {
    auto& i = at(0x01, "move", Format::k12x);
    EXPECT_EQ(i.a, 1u);
    EXPECT_EQ(i.b, 2u);
  }
  {
    auto& i = at(0x02, "move/from16", Format::k22x);
    EXPECT_EQ(i.a, 3u);
    EXPECT_EQ(i.b, 4u);
    EXPECT_EQ(i.size, 2u);
  }
  {
    auto& i = at(0x04, "move/16", Format::k32x);
    EXPECT_EQ(i.a, 5u);
    EXPECT_EQ(i.b, 6u);
  }
  EXPECT_EQ(at(0x07, "const/4", Format::k11n).literal, -3);
  EXPECT_EQ(at(0x08, "const/16", Format::k21s).literal, -1000);
  EXPECT_EQ(at(0x0a, "const/high16", Format::k21h).literal, 0x7f010000);
  EXPECT_EQ(at(0x0c, "const-wide/high16", Format::k21h).literal, 0x4000000000000000LL);
  EXPECT_EQ(at(0x0e, "const", Format::k31i).literal, 0x12345678);
  EXPECT_EQ(at(0x11, "const-wide", Format::k51l).literal, 0x123456789abcdef0LL);
  EXPECT_EQ(at(0x16, "const-wide/16", Format::k21s).literal, -2);
  EXPECT_EQ(at(0x18, "const-wide/32", Format::k31i).literal, -100000);
  {
    auto& i = at(0x1b, "const-string", Format::k21c);
    EXPECT_EQ(i.index_kind, IndexKind::kString);
    EXPECT_EQ(str(i.index), "hello");
  }
  {
    auto& i = at(0x1d, "const-string/jumbo", Format::k31c);
    EXPECT_EQ(str(i.index), "jumbo");
  }
  EXPECT_EQ(type(at(0x20, "const-class", Format::k21c).index), "Ljava/lang/String;");
  {
    auto& i = at(0x22, "cmp-long", Format::k23x);
    EXPECT_EQ(i.a, 0u);
    EXPECT_EQ(i.b, 2u);
    EXPECT_EQ(i.c, 4u);
  }
  {
    auto& i = at(0x24, "add-int/lit8", Format::k22b);
    EXPECT_EQ(i.b, 1u);
    EXPECT_EQ(i.literal, -5);
  }
  {
    auto& i = at(0x26, "add-int/lit16", Format::k22s);
    EXPECT_EQ(i.b, 1u);
    EXPECT_EQ(i.literal, 1000);
  }
  {
    auto& i = at(0x28, "instance-of", Format::k22c);
    EXPECT_EQ(i.index_kind, IndexKind::kType);
    EXPECT_EQ(type(i.index), "Ljava/lang/String;");
  }
  {
    auto& i = at(0x2a, "iget-wide", Format::k22c);
    EXPECT_EQ(i.a, 2u);
    EXPECT_EQ(i.b, 1u);
    EXPECT_EQ(i.index_kind, IndexKind::kField);
    EXPECT_EQ(dex_->pretty_field(FieldIdx(i.index)), "LFormats;->f:J");
  }
  EXPECT_EQ(dex_->pretty_field(FieldIdx(at(0x2c, "sget", Format::k21c).index)), "LFormats;->sf:I");
  {
    auto& i = at(0x2e, "filled-new-array", Format::k35c);
    EXPECT_EQ(i.register_count(), 3u);
    EXPECT_EQ(i.register_at(0), 1u);
    EXPECT_EQ(i.register_at(2), 3u);
    EXPECT_EQ(type(i.index), "[I");
  }
  {
    auto& i = at(0x31, "filled-new-array/range", Format::k3rc);
    EXPECT_EQ(i.register_count(), 3u);
    EXPECT_EQ(i.c, 1u);
    EXPECT_EQ(i.register_at(2), 3u);
  }
  {
    auto& i = at(0x34, "invoke-static", Format::k35c);
    EXPECT_EQ(i.a, 5u);
    for (uint32_t k = 0; k < 5; ++k) EXPECT_EQ(i.args[k], k + 1);
    EXPECT_EQ(i.index_kind, IndexKind::kMethod);
    EXPECT_EQ(dex_->pretty_method(MethodIdx(i.index)), "LFormats;->five(IIIII)V");
    EXPECT_TRUE(i.info().flags & kFlagInvoke);
  }
  {
    auto& i = at(0x37, "invoke-static/range", Format::k3rc);
    EXPECT_EQ(i.a, 6u);
    EXPECT_EQ(i.c, 0u);
    EXPECT_EQ(dex_->pretty_method(MethodIdx(i.index)), "LFormats;->six(IIIIII)V");
  }
  EXPECT_EQ(at(0x3a, "if-eq", Format::k22t).target(), 0x4d);
  EXPECT_EQ(at(0x3c, "if-nez", Format::k21t).target(), 0x4d);
  EXPECT_EQ(at(0x3e, "goto", Format::k10t).target(), 0x4d);
  EXPECT_EQ(at(0x3f, "goto/16", Format::k20t).target(), 0x4d);
  EXPECT_EQ(at(0x41, "goto/32", Format::k30t).branch, 0xc);
  EXPECT_EQ(at(0x44, "packed-switch", Format::k31t).target(), 0x4e);
  EXPECT_EQ(at(0x47, "sparse-switch", Format::k31t).target(), 0x56);
  EXPECT_EQ(at(0x4a, "fill-array-data", Format::k31t).target(), 0x60);
  EXPECT_EQ(at(0x4d, "return-wide", Format::k11x).info().flags & kFlagReturn, kFlagReturn);
  {
    auto& i = at(0x4e, "packed-switch-payload", Format::kPackedSwitchPayload);
    EXPECT_EQ(i.size, 8u);
    ASSERT_EQ(i.payload_count, 2u);
    EXPECT_EQ(i.first_key, 10);
    EXPECT_EQ(i.switch_key(1), 11);
    EXPECT_EQ(i.switch_target(0), 0x4d - 0x44); // relative to the switch
    EXPECT_EQ(i.switch_target(1), 0x4d - 0x44);
  }
  {
    auto& i = at(0x56, "sparse-switch-payload", Format::kSparseSwitchPayload);
    EXPECT_EQ(i.size, 10u);
    ASSERT_EQ(i.payload_count, 2u);
    EXPECT_EQ(i.switch_key(0), -5);
    EXPECT_EQ(i.switch_key(1), 100);
    EXPECT_EQ(i.switch_target(1), 0x4d - 0x47);
  }
  {
    auto& i = at(0x60, "fill-array-data-payload", Format::kFillArrayDataPayload);
    EXPECT_EQ(i.size, 10u);
    EXPECT_EQ(i.element_width, 4);
    ASSERT_EQ(i.payload_count, 3u);
    ASSERT_EQ(i.array_data.size(), 12u);
    EXPECT_EQ(load_u32le(i.array_data.data() + 8), 3u);
  }
}

TEST_F(FixtureCode, MethodHandlesPolymorphicAndCustomInvokes) {
  auto c = decode("handles");
  ASSERT_EQ(c.size(), 7u);
  {
    auto& i = c[0x00];
    EXPECT_EQ(i.name(), "const-method-handle");
    EXPECT_EQ(i.index_kind, IndexKind::kMethodHandle);
    auto mh = dex_->method_handle(MethodHandleIdx(i.index));
    ASSERT_TRUE(mh);
    EXPECT_EQ(dex_->pretty_method(MethodIdx(mh->field_or_method)),
              "Ljava/lang/Integer;->toString(I)Ljava/lang/String;");
  }
  {
    auto& i = c[0x02];
    EXPECT_EQ(i.name(), "const-method-type");
    EXPECT_EQ(i.index_kind, IndexKind::kProto);
    EXPECT_EQ(dex_->proto_signature(ProtoIdx(i.index)), "(II)I");
  }
  {
    auto& i = c[0x04];
    EXPECT_EQ(i.name(), "invoke-polymorphic");
    EXPECT_EQ(i.format, Format::k45cc);
    EXPECT_EQ(i.size, 4u);
    EXPECT_EQ(i.a, 3u);
    EXPECT_EQ(i.args[0], 7);
    EXPECT_EQ(i.args[1], 1);
    EXPECT_EQ(i.args[2], 2);
    EXPECT_EQ(dex_->pretty_method(MethodIdx(i.index)),
              "Ljava/lang/invoke/MethodHandle;->invoke([Ljava/lang/Object;)Ljava/lang/Object;");
    EXPECT_EQ(dex_->proto_signature(ProtoIdx(i.index2)), "(II)V");
  }
  {
    auto& i = c[0x08];
    EXPECT_EQ(i.name(), "invoke-polymorphic/range");
    EXPECT_EQ(i.format, Format::k4rcc);
    EXPECT_EQ(i.a, 4u);
    EXPECT_EQ(i.c, 1u);
    EXPECT_EQ(dex_->proto_signature(ProtoIdx(i.index2)), "(JI)V");
  }
  {
    auto& i = c[0x0c];
    EXPECT_EQ(i.name(), "invoke-custom");
    EXPECT_EQ(i.index_kind, IndexKind::kCallSite);
    EXPECT_EQ(i.index, 0u);
    EXPECT_EQ(i.a, 1u);
  }
  {
    auto& i = c[0x0f];
    EXPECT_EQ(i.name(), "invoke-custom/range");
    EXPECT_EQ(i.format, Format::k3rc);
    EXPECT_EQ(i.index, 1u);
    EXPECT_EQ(i.a, 2u);
  }
  EXPECT_EQ(c[0x12].name(), "return-void");
}

TEST(Instruction, OdexOnlyFormatsDecodeFromUnits) {
  Instruction i;
  {
    Units u{0x01ed, 0x1234};
    ASSERT_EQ(decode_format(Format::k20bc, u.view(), 0, i), DecodeStatus::kOk);
    EXPECT_EQ(i.a, 1u);
    EXPECT_EQ(i.index, 0x1234u);
    EXPECT_EQ(i.size, 2u);
  }
  {
    Units u{0x21f2, 0x0010};
    ASSERT_EQ(decode_format(Format::k22cs, u.view(), 0, i), DecodeStatus::kOk);
    EXPECT_EQ(i.a, 1u);
    EXPECT_EQ(i.b, 2u);
    EXPECT_EQ(i.index, 0x10u);
  }
  for (Format f : {Format::k35ms, Format::k35mi}) {
    Units u{0x30f8, 0x0007, 0x0321};
    ASSERT_EQ(decode_format(f, u.view(), 0, i), DecodeStatus::kOk);
    EXPECT_EQ(i.a, 3u);
    EXPECT_EQ(i.args[0], 1);
    EXPECT_EQ(i.args[1], 2);
    EXPECT_EQ(i.args[2], 3);
    EXPECT_EQ(i.index, 7u);
    EXPECT_EQ(i.size, 3u);
  }
  for (Format f : {Format::k3rms, Format::k3rmi}) {
    Units u{0x05f9, 0x0009, 0x0010};
    ASSERT_EQ(decode_format(f, u.view(), 0, i), DecodeStatus::kOk);
    EXPECT_EQ(i.a, 5u);
    EXPECT_EQ(i.index, 9u);
    EXPECT_EQ(i.c, 0x10u);
    EXPECT_EQ(i.register_at(4), 0x14u);
  }
  EXPECT_EQ(to_string(Format::k45cc), "45cc");
  EXPECT_EQ(format_size(Format::k51l), 5u);
}

TEST(Instruction, OpcodeTableMatchesSpec) {
  int unused = 0;
  for (int op = 0; op < 256; ++op) {
    const OpcodeInfo& info = opcode_info(static_cast<uint8_t>(op));
    EXPECT_FALSE(info.name.empty());
    if (info.flags & kFlagInvalid) ++unused;
  }
  EXPECT_EQ(unused, 32); // 3e-43, 73, 79-7a, e3-f9
  EXPECT_EQ(opcode_info(0x6e).name, "invoke-virtual");
  EXPECT_EQ(opcode_info(0x78).name, "invoke-interface/range");
  EXPECT_EQ(opcode_info(0xd1).name, "rsub-int");
  EXPECT_EQ(opcode_info(0xe2).name, "ushr-int/lit8");
  EXPECT_EQ(opcode_info(0xe3).name, "unused-e3");
  EXPECT_EQ(opcode_info(0xfa).format, Format::k45cc);
  EXPECT_EQ(opcode_info(0xff).index_kind, IndexKind::kProto);
  EXPECT_EQ(opcode_info(0x8f).name, "int-to-short");
  EXPECT_EQ(opcode_info(0xaf).name, "rem-double");
  EXPECT_EQ(opcode_info(0xcf).name, "rem-double/2addr");
}

TEST(Instruction, TruncationAndInvalidOpcodes) {
  Instruction i;
  {
    Units u{0x106e, 0x0001}; // invoke-virtual missing its third unit
    EXPECT_EQ(decode_instruction(u.view(), 0, i), DecodeStatus::kTruncated);
    InstructionIterator it(u.view());
    EXPECT_FALSE(it.next(i));
    EXPECT_EQ(it.status(), DecodeStatus::kTruncated);
  }
  {
    Units u{0x003e, 0x00e3, 0x000e}; // unused-3e, unused-e3, return-void
    InstructionIterator it(u.view());
    std::vector<std::string_view> names;
    while (it.next(i)) names.push_back(i.name());
    EXPECT_EQ(it.status(), DecodeStatus::kOk);
    EXPECT_EQ(it.invalid_count(), 2u);
    EXPECT_EQ(it.first_invalid_pc(), 0u);
    EXPECT_EQ(names, (std::vector<std::string_view>{"unused-3e", "unused-e3", "return-void"}));
  }
  {
    Units u{0x0100, 0x7fff, 0x0000, 0x0000}; // packed-switch payload claiming 32767 entries
    EXPECT_EQ(decode_instruction(u.view(), 0, i), DecodeStatus::kTruncated);
    Units s{0x0200, 0x0002, 0x0001};
    EXPECT_EQ(decode_instruction(s.view(), 0, i), DecodeStatus::kTruncated);
    Units f{0x0300, 0x0004, 0xffff, 0xffff};
    EXPECT_EQ(decode_instruction(f.view(), 0, i), DecodeStatus::kTruncated);
  }
  {
    Units u{0x706e, 0x0001, 0x0000}; // invoke-virtual with 7 arguments
    EXPECT_EQ(decode_instruction(u.view(), 0, i), DecodeStatus::kInvalidOperand);
    EXPECT_EQ(i.size, 3u);
  }
  {
    Units u{0x0500}; // nop with a stray high byte: plain nop
    EXPECT_EQ(decode_instruction(u.view(), 0, i), DecodeStatus::kOk);
    EXPECT_EQ(i.name(), "nop");
  }
  EXPECT_EQ(decode_instruction(CodeUnits(), 0, i), DecodeStatus::kTruncated);
}

// ---------------------------------------------------------------------------------------------
// Against dexdump -d: for every method of every standalone corpus DEX, the sequence of
// (address, mnemonic) must be identical. Payloads are named as dexdump names them.

std::string_view dexdump_name(const Instruction& i) {
  switch (i.format) {
    case Format::kPackedSwitchPayload: return "packed-switch-data";
    case Format::kSparseSwitchPayload: return "sparse-switch-data";
    case Format::kFillArrayDataPayload: return "array-data";
    default: return i.name();
  }
}

TEST(InstructionParity, OpcodeSequencesMatchDexdumpOnCorpusDex) {
  int rc = 0;
  test::run_command("command -v dexdump >/dev/null", &rc);
  if (rc != 0) GTEST_SKIP() << "dexdump not installed";
  const std::string list =
      test::run_command("find '" + test::corpus_dir() + "' -name '*.dex' -type f | sort");
  std::istringstream files(list);
  std::string path;
  size_t dex_files = 0, methods = 0, insns = 0, mismatched = 0;
  double decode_secs = 0;
  while (std::getline(files, path)) {
    // Compact dexdump -d: "M <code_off hex>" per method, then "<pc hex> <mnemonic>" per insn.
    const std::string cmd =
        "dexdump -d -i -j '" + path +
        "' 2>/dev/null | awk '{ i = index($0, \"|\"); if (i == 0) next; r = substr($0, i + 1);"
        " if (substr(r, 1, 1) == \"[\") { print \"M \" substr(r, 2, index(r, \"]\") - 2); next }"
        " if (match(r, /^[0-9a-f]+: /)) { split(substr(r, RLENGTH + 1), a, \" \");"
        " print substr(r, 1, RLENGTH - 2), a[1] } }'";
    const std::string dump = test::run_command(cmd);
    std::unordered_map<uint32_t, std::vector<std::pair<uint32_t, std::string>>> want;
    {
      std::istringstream in(dump);
      std::string a, b;
      std::vector<std::pair<uint32_t, std::string>>* cur = nullptr;
      while (in >> a >> b) {
        if (a == "M") {
          cur = &want[static_cast<uint32_t>(std::stoul(b, nullptr, 16))];
        } else if (cur != nullptr) {
          cur->emplace_back(static_cast<uint32_t>(std::stoul(a, nullptr, 16)), b);
        }
      }
    }
    const auto bytes = test::read_file(path);
    auto dex = DexFile::open(bytes, path);
    ASSERT_TRUE(dex) << dex.error().to_string();
    ++dex_files;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::pair<uint32_t, std::string_view>> got;
    for (uint32_t c = 0; c < dex->class_defs_size(); ++c) {
      auto def = dex->class_def(ClassDefIdx(c));
      ASSERT_TRUE(def);
      auto r = dex->class_data_reader(*def);
      ASSERT_TRUE(r);
      ClassMember m;
      while (r->next(m)) {
        if (!m.is_method() || m.code_off == 0) continue;
        auto code = dex->code_item(m.code_off);
        ASSERT_TRUE(code) << code.error().to_string();
        got.clear();
        Instruction insn;
        InstructionIterator it(code->insns);
        while (it.next(insn)) got.emplace_back(insn.pc, dexdump_name(insn));
        EXPECT_EQ(it.status(), DecodeStatus::kOk) << path << " " << dex->pretty_method(m.method());
        EXPECT_EQ(it.invalid_count(), 0u) << path << " " << dex->pretty_method(m.method());
        ++methods;
        insns += got.size();
        auto w = want.find(m.code_off);
        bool same = w != want.end() && w->second.size() == got.size();
        for (size_t k = 0; same && k < got.size(); ++k) {
          same = w->second[k].first == got[k].first && w->second[k].second == got[k].second;
        }
        if (!same && ++mismatched <= 10) {
          ADD_FAILURE() << path << ": " << dex->pretty_method(m.method())
                        << " differs from dexdump (" << (w == want.end() ? 0 : w->second.size())
                        << " vs " << got.size() << " instructions)";
        }
      }
    }
    decode_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::printf(
      "dexdump -d parity: %zu DEX, %zu methods, %zu instructions, %zu mismatched methods"
      " (decode %.2fs)\n",
      dex_files, methods, insns, mismatched, decode_secs);
  EXPECT_GT(dex_files, 0u);
  EXPECT_EQ(mismatched, 0u);
}

} // namespace
} // namespace appaudit::dex
