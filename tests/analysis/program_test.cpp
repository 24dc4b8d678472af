// Program: classes in loading order, method resolution, class-hierarchy analysis restricted
// to instantiated classes, framework supertypes through the knowledge base.
#include "analysis/program.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace appaudit::analysis {
namespace {

struct Loaded {
  dex::DexSet set;
  dex::ClassIndex index;
};

std::unique_ptr<Loaded> load_fixture(const std::string& name) {
  auto l = std::make_unique<Loaded>();
  auto bytes = test::read_file(test::fixtures_dir() + "/dex/" + name + ".dex");
  EXPECT_TRUE(l->set.add(name + ".dex", std::move(bytes)));
  l->index = dex::ClassIndex::build(l->set);
  return l;
}

const knowledge::Knowledge& kb() {
  static const knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  return k;
}

/// The method_ids index of `descriptor` in `file` (invalid when absent).
dex::MethodIdx method_ref(const dex::DexFile& file, const std::string& descriptor) {
  for (uint32_t i = 0; i < file.method_ids_size(); ++i) {
    if (file.pretty_method(dex::MethodIdx(i)) == descriptor) return dex::MethodIdx(i);
  }
  return {};
}

TEST(Program, ClassesMethodsAndResolution) {
  auto l = load_fixture("analysis_hier");
  Program p(l->set, l->index, kb());
  ASSERT_EQ(p.classes().size(), 6u);
  const ClassId base = p.find_class("La/Base;");
  const ClassId sub1 = p.find_class("La/Sub1;");
  const ClassId sub2 = p.find_class("La/Sub2;");
  ASSERT_NE(base, kNone);
  ASSERT_NE(sub1, kNone);
  ASSERT_NE(sub2, kNone);
  EXPECT_EQ(p.find_class("La/Missing;"), kNone);
  EXPECT_EQ(p.find_class(""), kNone);
  EXPECT_EQ(p.cls(sub1).super, base);
  EXPECT_EQ(p.cls(base).super, kNone); // java.lang.Object is not in the APK
  EXPECT_EQ(p.cls(base).super_descriptor, "Ljava/lang/Object;");

  // Sub2 inherits m() from Base; Sub1 overrides it.
  const MethodId base_m = p.resolve_up(sub2, "m", "()V");
  ASSERT_NE(base_m, kNone);
  EXPECT_EQ(p.method_descriptor(base_m), "La/Base;->m()V");
  EXPECT_EQ(p.method_descriptor(p.resolve_up(sub1, "m", "()V")), "La/Sub1;->m()V");
  EXPECT_EQ(p.resolve_up(sub1, "m", "(I)V"), kNone);
  EXPECT_EQ(p.find_declared(sub2, "m", "()V"), kNone);
  EXPECT_EQ(p.resolve_up(sub1, "nothing", "()V"), kNone);
}

TEST(Program, VirtualCallsByHierarchyOverInstantiatedClasses) {
  auto l = load_fixture("analysis_hier");
  Program p(l->set, l->index, kb());
  const dex::MethodIdx ref = method_ref(l->set[0], "La/Base;->m()V");
  ASSERT_TRUE(ref.valid());
  // Sub1 instantiated: its override is the only target.
  p.mark_instantiated(p.find_class("La/Sub1;"));
  const auto& targets = p.invoke_targets(0, ref, /*dispatch=*/true);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(p.method_descriptor(targets[0]), "La/Sub1;->m()V");
  // A direct (super) call resolves statically.
  const auto& direct = p.invoke_targets(0, ref, /*dispatch=*/false);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(p.method_descriptor(direct[0]), "La/Base;->m()V");
}

TEST(Program, AllConcreteSubtypesWhenNoneIsInstantiated) {
  auto l = load_fixture("analysis_hier");
  Program p(l->set, l->index, kb());
  const dex::MethodIdx ref = method_ref(l->set[0], "La/Base;->m()V");
  ASSERT_TRUE(ref.valid());
  const auto& targets = p.invoke_targets(0, ref, true);
  std::vector<std::string> names;
  for (MethodId m : targets) names.push_back(p.method_descriptor(m));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"La/Base;->m()V", "La/Sub1;->m()V"}));
}

TEST(Program, FrameworkSupertypesFromKnowledge) {
  auto l = load_fixture("analysis_hier");
  Program p(l->set, l->index, kb());
  const uint32_t runnable = p.relevant_type("Ljava/lang/Runnable;");
  ASSERT_NE(runnable, kNone) << "callbacks.json must list java.lang.Runnable";
  // Task implements Runnable directly; Worker extends Thread, which implements Runnable.
  EXPECT_TRUE(Program::has_bit(p.type_bits(p.find_class("La/Task;")), runnable));
  EXPECT_TRUE(Program::has_bit(p.type_bits(p.find_class("La/Worker;")), runnable));
  EXPECT_FALSE(Program::has_bit(p.type_bits(p.find_class("La/Sub1;")), runnable));
}

TEST(Program, ProtoMatching) {
  auto l = load_fixture("analysis_hier");
  const dex::DexFile& file = l->set[0];
  for (uint32_t i = 0; i < file.method_ids_size(); ++i) {
    auto mid = file.method_id(dex::MethodIdx(i));
    ASSERT_TRUE(mid);
    const std::string sig = file.proto_signature(mid->proto);
    EXPECT_TRUE(proto_matches(file, mid->proto, sig)) << sig;
    EXPECT_FALSE(proto_matches(file, mid->proto, sig + "X"));
  }
  EXPECT_EQ(java_to_descriptor("a.b.C"), "La/b/C;");
}

} // namespace
} // namespace appaudit::analysis
