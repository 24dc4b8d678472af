#include "analysis/program.hpp"

#include <algorithm>
#include <unordered_map>

namespace appaudit::analysis {
namespace {

/// Splits "(A[BLc/D;)R" style signatures: calls `fn(descriptor)` for each parameter and
/// returns the return type, or false when malformed.
bool split_signature(std::string_view sig, std::vector<std::string_view>& params,
                     std::string_view& ret) {
  params.clear();
  if (sig.empty() || sig[0] != '(') return false;
  size_t i = 1;
  while (i < sig.size() && sig[i] != ')') {
    size_t start = i;
    while (i < sig.size() && sig[i] == '[') ++i;
    if (i >= sig.size()) return false;
    if (sig[i] == 'L') {
      size_t semi = sig.find(';', i);
      if (semi == std::string_view::npos) return false;
      i = semi + 1;
    } else {
      ++i;
    }
    params.push_back(sig.substr(start, i - start));
  }
  if (i >= sig.size()) return false;
  ret = sig.substr(i + 1);
  return !ret.empty();
}

} // namespace

bool proto_matches(const dex::DexFile& dex, dex::ProtoIdx proto, std::string_view signature) {
  thread_local std::vector<std::string_view> params;
  std::string_view ret;
  if (!split_signature(signature, params, ret)) return false;
  auto p = dex.proto_id(proto);
  if (!p) return false;
  auto r = dex.type_descriptor(p->return_type);
  if (!r || *r != ret) return false;
  auto list = dex.type_list(p->parameters_off);
  if (!list || list->size() != params.size()) return false;
  for (uint32_t i = 0; i < list->size(); ++i) {
    auto t = dex.type_descriptor((*list)[i]);
    if (!t || *t != params[i]) return false;
  }
  return true;
}

std::string java_to_descriptor(std::string_view java_name) {
  std::string out;
  out.reserve(java_name.size() + 2);
  out += 'L';
  for (char c : java_name) out += c == '.' ? '/' : c;
  out += ';';
  return out;
}

namespace {

bool protos_equal(const dex::DexFile& a, dex::ProtoIdx pa, const dex::DexFile& b,
                  dex::ProtoIdx pb) {
  if (&a == &b) return pa == pb;
  auto x = a.proto_id(pa);
  auto y = b.proto_id(pb);
  if (!x || !y) return false;
  auto rx = a.type_descriptor(x->return_type);
  auto ry = b.type_descriptor(y->return_type);
  if (!rx || !ry || *rx != *ry) return false;
  auto lx = a.type_list(x->parameters_off);
  auto ly = b.type_list(y->parameters_off);
  if (!lx || !ly || lx->size() != ly->size()) return false;
  for (uint32_t i = 0; i < lx->size(); ++i) {
    auto tx = a.type_descriptor((*lx)[i]);
    auto ty = b.type_descriptor((*ly)[i]);
    if (!tx || !ty || *tx != *ty) return false;
  }
  return true;
}

} // namespace

struct Program::Impl {
  std::unordered_map<std::string_view, ClassId> by_descriptor;
  std::vector<std::vector<ClassId>> def_to_class; // per dex: class_def -> ClassId
  std::vector<std::vector<ClassId>> children;     // subclasses and implementors
  std::unordered_map<uint64_t, std::vector<MethodId>> targets;
  std::vector<uint32_t> stamp;
  uint32_t generation = 0;
  std::vector<uint32_t> iface_stamp; // resolve_up's interface search (separate from stamp)
  uint32_t iface_generation = 0;
  // Relevant framework types and their bits.
  std::unordered_map<std::string_view, uint32_t> relevant;
  std::unordered_map<std::string_view, const knowledge::FrameworkClass*> framework;
  std::unordered_map<std::string_view, TypeBits> framework_bits;
  std::vector<TypeBits> class_bits;
  std::vector<uint8_t> bits_state; // 0 = not computed, 1 = in progress, 2 = done
  size_t words = 1;
};

Program::Program(const dex::DexSet& set, const dex::ClassIndex& index,
                 const knowledge::Knowledge& knowledge)
    : set_(set), impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.def_to_class.resize(set.size());
  for (uint32_t d = 0; d < set.size(); ++d)
    im.def_to_class[d].assign(set[d].class_defs_size(), kNone);
  im.by_descriptor.reserve(index.size());
  for (uint32_t d : index.load_order()) {
    const dex::DexFile& file = set[d];
    for (uint32_t c = 0; c < file.class_defs_size(); ++c) {
      auto def = file.class_def(dex::ClassDefIdx(c));
      if (!def) continue;
      std::string_view desc = file.class_descriptor(*def);
      if (desc.empty()) continue;
      auto loc = index.find(desc);
      if (!loc || loc->dex != d || loc->class_def.value != c) continue; // shadowed
      const ClassId id = static_cast<ClassId>(classes_.size());
      ClassInfo info;
      info.descriptor = desc;
      info.dex = d;
      info.class_def = c;
      info.access = def->access_flags;
      if (def->superclass.valid()) {
        auto s = file.type_descriptor(def->superclass);
        if (s) info.super_descriptor = *s;
      }
      if (auto list = file.interfaces(*def)) {
        for (uint32_t i = 0; i < list->size(); ++i) {
          auto t = file.type_descriptor((*list)[i]);
          if (t) info.interface_descriptors.push_back(*t);
        }
      }
      info.first_method = static_cast<MethodId>(methods_.size());
      if (auto reader = file.class_data_reader(*def)) {
        dex::ClassMember m;
        const uint32_t direct = reader->direct_methods_size();
        uint32_t seen = 0;
        while (reader->next(m)) {
          if (!m.is_method()) continue;
          MethodInfo mi;
          mi.cls = id;
          mi.dex = d;
          mi.idx = m.method();
          mi.code_off = m.code_off;
          mi.access = m.access_flags;
          mi.is_direct = seen++ < direct;
          if (auto mid = file.method_id(mi.idx)) {
            mi.proto = mid->proto;
            if (auto n = file.string(mid->name)) mi.name = *n;
          }
          methods_.push_back(mi);
        }
      }
      info.method_count = static_cast<uint32_t>(methods_.size()) - info.first_method;
      im.by_descriptor.emplace(desc, id);
      im.def_to_class[d][c] = id;
      classes_.push_back(std::move(info));
    }
  }
  im.children.resize(classes_.size());
  for (ClassId id = 0; id < classes_.size(); ++id) {
    ClassInfo& c = classes_[id];
    c.super = find_class(c.super_descriptor);
    if (c.super != kNone && c.super != id) im.children[c.super].push_back(id);
    for (std::string_view i : c.interface_descriptors) {
      ClassId ic = find_class(i);
      if (ic == kNone) continue;
      c.interfaces.push_back(ic);
      if (ic != id) im.children[ic].push_back(id);
    }
  }
  instantiated_.assign(classes_.size(), 0);

  for (const auto& fc : knowledge.framework_classes()) im.framework.emplace(fc.id, &fc);
  auto add_relevant = [&](std::string_view t) {
    im.relevant.try_emplace(t, static_cast<uint32_t>(im.relevant.size()));
  };
  for (const auto& cb : knowledge.callbacks()) add_relevant(cb.type);
  im.words = std::max<size_t>(1, (im.relevant.size() + 63) / 64);
  im.class_bits.resize(classes_.size());
  im.bits_state.assign(classes_.size(), 0);
}

Program::~Program() = default;

ClassId Program::find_class(std::string_view descriptor) const {
  if (descriptor.empty()) return kNone;
  auto it = impl_->by_descriptor.find(descriptor);
  return it == impl_->by_descriptor.end() ? kNone : it->second;
}

ClassId Program::class_of_def(uint32_t dex, uint32_t class_def) const {
  const auto& v = impl_->def_to_class;
  if (dex >= v.size() || class_def >= v[dex].size()) return kNone;
  return v[dex][class_def];
}

MethodId Program::find_declared(ClassId cls, std::string_view name, uint32_t dex,
                                dex::ProtoIdx proto) const {
  const ClassInfo& c = classes_[cls];
  for (uint32_t i = 0; i < c.method_count; ++i) {
    const MethodInfo& m = methods_[c.first_method + i];
    if (m.name == name && protos_equal(set_[m.dex], m.proto, set_[dex], proto)) {
      return c.first_method + i;
    }
  }
  return kNone;
}

MethodId Program::find_declared(ClassId cls, std::string_view name,
                                std::string_view signature) const {
  const ClassInfo& c = classes_[cls];
  for (uint32_t i = 0; i < c.method_count; ++i) {
    const MethodInfo& m = methods_[c.first_method + i];
    if (m.name == name && proto_matches(set_[m.dex], m.proto, signature)) {
      return c.first_method + i;
    }
  }
  return kNone;
}

MethodId Program::resolve_up(ClassId cls, std::string_view name, uint32_t dex,
                             dex::ProtoIdx proto) const {
  const ClassId start = cls;
  for (uint32_t depth = 0; cls != kNone && depth < 256; ++depth) {
    MethodId m = find_declared(cls, name, dex, proto);
    if (m != kNone) return m;
    cls = classes_[cls].super;
  }
  // Not in the superclass chain: a default method of an interface (Java 8), searched
  // breadth-first over the interfaces of the class and its superclasses.
  // Each interface once (diamonds and hostile cycles): generation stamps.
  Impl& im = *impl_;
  if (im.iface_stamp.size() != classes_.size()) im.iface_stamp.assign(classes_.size(), 0);
  const uint32_t gen = ++im.iface_generation;
  std::vector<ClassId> queue;
  auto enqueue = [&](const std::vector<ClassId>& ifaces) {
    for (ClassId i : ifaces) {
      if (im.iface_stamp[i] != gen) {
        im.iface_stamp[i] = gen;
        queue.push_back(i);
      }
    }
  };
  for (ClassId c = start, depth = 0; c != kNone && depth < 256; c = classes_[c].super, ++depth) {
    enqueue(classes_[c].interfaces);
  }
  for (size_t i = 0; i < queue.size(); ++i) {
    MethodId m = find_declared(queue[i], name, dex, proto);
    if (m != kNone && methods_[m].code_off != 0) return m;
    enqueue(classes_[queue[i]].interfaces);
  }
  return kNone;
}

MethodId Program::resolve_up(ClassId cls, std::string_view name, std::string_view signature) const {
  for (uint32_t depth = 0; cls != kNone && depth < 256; ++depth) {
    MethodId m = find_declared(cls, name, signature);
    if (m != kNone) return m;
    cls = classes_[cls].super;
  }
  return kNone;
}

void Program::mark_instantiated(ClassId cls) {
  if (cls < instantiated_.size()) instantiated_[cls] = 1;
}

const std::vector<MethodId>& Program::invoke_targets(uint32_t dex_i, dex::MethodIdx ref,
                                                     bool dispatch) {
  Impl& im = *impl_;
  const uint64_t key = (uint64_t{dex_i} << 33) | (uint64_t{ref.value} << 1) | (dispatch ? 1 : 0);
  auto found = im.targets.find(key);
  if (found != im.targets.end()) return found->second;
  std::vector<MethodId>& out = im.targets[key];
  const dex::DexFile& file = set_[dex_i];
  auto mid = file.method_id(ref);
  if (!mid) return out;
  auto cdesc = file.type_descriptor(mid->class_type);
  auto name = file.string(mid->name);
  if (!cdesc || !name) return out;
  ClassId cls = find_class(*cdesc);
  if (cls == kNone) return out;
  if (!dispatch) {
    MethodId m = resolve_up(cls, *name, dex_i, mid->proto);
    if (m != kNone) out.push_back(m);
    return out;
  }
  // Class-hierarchy analysis over the subtypes of the static type, restricted to
  // instantiated classes; all concrete subtypes when none is instantiated.
  std::vector<ClassId> subtypes;
  std::vector<ClassId> stack{cls};
  // Generation stamps instead of a fresh visited set per query (queries are many).
  if (im.stamp.size() != classes_.size()) im.stamp.assign(classes_.size(), 0);
  const uint32_t gen = ++im.generation;
  im.stamp[cls] = gen;
  while (!stack.empty()) {
    ClassId c = stack.back();
    stack.pop_back();
    subtypes.push_back(c);
    for (ClassId child : im.children[c]) {
      if (im.stamp[child] != gen) {
        im.stamp[child] = gen;
        stack.push_back(child);
      }
    }
  }
  auto collect = [&](bool only_instantiated) {
    for (ClassId s : subtypes) {
      const ClassInfo& sc = classes_[s];
      if (sc.is_abstract()) continue;
      if (only_instantiated && !instantiated_[s]) continue;
      MethodId m = resolve_up(s, *name, dex_i, mid->proto);
      if (m != kNone) out.push_back(m);
    }
  };
  collect(true);
  if (out.empty()) collect(false);
  if (out.empty()) {
    MethodId m = resolve_up(cls, *name, dex_i, mid->proto);
    if (m != kNone) out.push_back(m);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint32_t Program::relevant_type(std::string_view descriptor) const {
  auto it = impl_->relevant.find(descriptor);
  return it == impl_->relevant.end() ? kNone : it->second;
}

const TypeBits& Program::type_bits(ClassId cls) {
  Impl& im = *impl_;
  if (im.bits_state[cls] == 2) return im.class_bits[cls];
  // Iterative post-order over APK supertypes; framework supertypes through knowledge.
  std::vector<std::pair<ClassId, bool>> stack{{cls, false}};
  std::vector<std::string_view> fstack;
  auto framework_bits = [&](std::string_view desc) -> TypeBits {
    // Framework supertypes: walk the knowledge hierarchy (small, acyclic-checked by depth).
    auto cached = im.framework_bits.find(desc);
    if (cached != im.framework_bits.end()) return cached->second;
    TypeBits bits(im.words, 0);
    std::vector<std::string_view> todo{desc};
    for (size_t steps = 0; !todo.empty() && steps < 4096; ++steps) {
      std::string_view t = todo.back();
      todo.pop_back();
      auto r = im.relevant.find(t);
      if (r != im.relevant.end()) bits[r->second / 64] |= uint64_t{1} << (r->second % 64);
      auto f = im.framework.find(t);
      if (f == im.framework.end()) continue;
      if (!f->second->super.empty()) todo.push_back(f->second->super);
      for (const auto& i : f->second->interfaces) todo.push_back(i);
    }
    im.framework_bits.emplace(desc, bits);
    return bits;
  };
  while (!stack.empty()) {
    auto [c, expanded] = stack.back();
    if (im.bits_state[c] == 2) {
      stack.pop_back();
      continue;
    }
    const ClassInfo& info = classes_[c];
    if (!expanded) {
      stack.back().second = true;
      im.bits_state[c] = 1;
      if (info.super != kNone && im.bits_state[info.super] == 0)
        stack.push_back({info.super, false});
      for (ClassId i : info.interfaces) {
        if (im.bits_state[i] == 0) stack.push_back({i, false});
      }
      continue;
    }
    stack.pop_back();
    TypeBits bits(im.words, 0);
    auto merge = [&](const TypeBits& other) {
      for (size_t w = 0; w < bits.size() && w < other.size(); ++w) bits[w] |= other[w];
    };
    auto r = im.relevant.find(info.descriptor);
    if (r != im.relevant.end()) bits[r->second / 64] |= uint64_t{1} << (r->second % 64);
    if (info.super != kNone) {
      if (im.bits_state[info.super] == 2) merge(im.class_bits[info.super]);
    } else if (!info.super_descriptor.empty()) {
      merge(framework_bits(info.super_descriptor));
    }
    for (size_t k = 0; k < info.interface_descriptors.size(); ++k) {
      ClassId ic = find_class(info.interface_descriptors[k]);
      if (ic != kNone) {
        if (im.bits_state[ic] == 2) merge(im.class_bits[ic]);
      } else {
        merge(framework_bits(info.interface_descriptors[k]));
      }
    }
    im.class_bits[c] = std::move(bits);
    im.bits_state[c] = 2;
  }
  return im.class_bits[cls];
}

std::string Program::method_descriptor(MethodId id) const {
  const MethodInfo& m = methods_[id];
  return set_[m.dex].pretty_method(m.idx);
}

bool Program::code_item(MethodId id, dex::CodeItem& out) const {
  const MethodInfo& m = methods_[id];
  if (m.code_off == 0) return false;
  auto code = set_[m.dex].code_item(m.code_off);
  if (!code) return false;
  out = *code;
  return true;
}

} // namespace appaudit::analysis
