// Fuzz target for the DEX layer: opens the input as a DEX (or v41 container), then walks every
// class def, its class data, every code item, every instruction (with payloads), every try and
// catch handler, and builds pretty names, as an analysis would. Must never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/diagnostics.hpp"
#include "dex/class_index.hpp"
#include "dex/dex_file.hpp"
#include "dex/instruction.hpp"
#include "dex/mutf8.hpp"

using namespace appaudit;
using namespace appaudit::dex;

namespace {

void walk_code(const DexFile& dex, const CodeItem& code, size_t& sink) {
  Instruction insn;
  for (InstructionIterator it(code.insns); it.next(insn);) {
    sink += insn.size + insn.index;
    switch (insn.index_kind) {
      case IndexKind::kString:
        if (auto s = dex.string(StringIdx(insn.index))) sink += mutf8_to_utf8(*s).size();
        break;
      case IndexKind::kType:
        if (auto t = dex.type_descriptor(TypeIdx(insn.index))) sink += t->size();
        break;
      case IndexKind::kField: sink += dex.pretty_field(FieldIdx(insn.index)).size(); break;
      case IndexKind::kMethod:
      case IndexKind::kMethodAndProto:
        sink += dex.pretty_method(MethodIdx(insn.index)).size();
        if (insn.index_kind == IndexKind::kMethodAndProto) {
          sink += dex.proto_signature(ProtoIdx(insn.index2)).size();
        }
        break;
      case IndexKind::kProto: sink += dex.proto_signature(ProtoIdx(insn.index)).size(); break;
      case IndexKind::kCallSite:
        if (auto cs = dex.call_site(CallSiteIdx(insn.index))) {
          if (auto mh = dex.method_handle(cs->bootstrap)) sink += mh->field_or_method;
        }
        break;
      case IndexKind::kMethodHandle:
        if (auto mh = dex.method_handle(MethodHandleIdx(insn.index))) sink += mh->type;
        break;
      default: break;
    }
    if (insn.is_payload()) {
      for (uint32_t i = 0; i < insn.payload_count && insn.format != Format::kFillArrayDataPayload;
           ++i) {
        sink += static_cast<uint32_t>(insn.switch_key(i)) +
                static_cast<uint32_t>(insn.switch_target(i));
      }
    }
  }
  for (uint32_t t = 0; t < code.tries_size; ++t) {
    const TryItem item = code.try_item(t);
    CatchHandlerReader handlers = code.catch_handlers(item.handler_off);
    CatchHandler h;
    while (handlers.next(h)) {
      if (!h.is_catch_all()) {
        if (auto d = dex.type_descriptor(h.type)) sink += d->size();
      }
      sink += h.address;
    }
  }
  if (auto n = code.catch_handler_list_size()) sink += *n;
}

void walk(const DexFile& dex, size_t& sink) {
  for (uint32_t c = 0; c < dex.class_defs_size(); ++c) {
    auto def = dex.class_def(ClassDefIdx(c));
    if (!def) continue;
    sink += descriptor_to_java(dex.class_descriptor(*def)).size();
    if (auto ifaces = dex.interfaces(*def)) {
      for (uint32_t i = 0; i < ifaces->size(); ++i) {
        if (auto d = dex.type_descriptor((*ifaces)[i])) sink += d->size();
      }
    }
    if (def->source_file.valid()) {
      if (auto s = dex.string(def->source_file)) sink += s->size();
    }
    auto reader = dex.class_data_reader(*def);
    if (!reader) continue;
    ClassMember m;
    while (reader->next(m)) {
      if (!m.is_method()) {
        sink += dex.pretty_field(m.field()).size();
        continue;
      }
      sink += dex.pretty_method(m.method()).size();
      if (m.code_off == 0) continue;
      auto code = dex.code_item(m.code_off);
      if (code) walk_code(dex, *code, sink);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Diagnostics diags;
  DexSet set;
  if (!set.add_view("fuzz.dex", ByteView(data, size), &diags)) return 0;
  size_t sink = 0;
  for (const DexFile& dex : set) walk(dex, sink);
  ClassIndex index = ClassIndex::build(set, &diags);
  sink += index.size();
  volatile size_t keep = sink;
  (void)keep;
  return 0;
}
