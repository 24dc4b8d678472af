// DexFile, DexSet, ClassIndex, MUTF-8: smali fixtures, parity with AOSP dexdump over the whole
// corpus (class and method counts per DEX), and hostile inputs.
#include "dex/dex_file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/mapped_file.hpp"
#include "dex/class_index.hpp"
#include "dex/instruction.hpp"
#include "dex/mutf8.hpp"
#include "support/test_support.hpp"

namespace appaudit::dex {
namespace {

std::vector<uint8_t> fixture_bytes(const std::string& name) {
  return test::read_file(test::fixtures_dir() + "/dex/" + name + ".dex");
}

/// Finds a method defined in `dex` by class descriptor and name; returns its ClassMember.
std::optional<ClassMember> find_method(const DexFile& dex, std::string_view cls,
                                       std::string_view name) {
  for (uint32_t c = 0; c < dex.class_defs_size(); ++c) {
    auto def = dex.class_def(ClassDefIdx(c));
    if (!def || dex.class_descriptor(*def) != cls) continue;
    auto r = dex.class_data_reader(*def);
    if (!r) return std::nullopt;
    ClassMember m;
    while (r->next(m)) {
      if (!m.is_method()) continue;
      auto id = dex.method_id(m.method());
      if (id && dex.string(id->name).value() == name) return m;
    }
  }
  return std::nullopt;
}

TEST(DexFile, OpensFixtureAndReadsHeaderAndClasses) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty()) << "run tests/fixtures/build_fixtures.sh";
  Diagnostics diags;
  auto dex = DexFile::open(bytes, "dex_formats.dex", &diags);
  ASSERT_TRUE(dex) << dex.error().to_string();
  for (const auto& d : diags.items()) ADD_FAILURE() << d.code << ": " << d.message;
  EXPECT_EQ(dex->version(), 39u); // smali --api 28
  ASSERT_EQ(dex->class_defs_size(), 2u);

  auto def = dex->class_def(ClassDefIdx(0));
  ASSERT_TRUE(def);
  EXPECT_EQ(dex->class_descriptor(*def), "LFormats;");
  EXPECT_EQ(def->access_flags, kAccPublic);
  EXPECT_EQ(dex->type_descriptor(def->superclass).value(), "Ljava/lang/Object;");
  EXPECT_EQ(dex->string(def->source_file).value(), "Formats.java");
  EXPECT_EQ(descriptor_to_java(dex->class_descriptor(*def)), "Formats");

  auto cd = dex->class_data(*def);
  ASSERT_TRUE(cd);
  ASSERT_EQ(cd->static_fields.size(), 1u);
  ASSERT_EQ(cd->instance_fields.size(), 1u);
  EXPECT_EQ(dex->pretty_field(cd->static_fields[0].field()), "LFormats;->sf:I");
  EXPECT_EQ(dex->pretty_field(cd->instance_fields[0].field()), "LFormats;->f:J");
  EXPECT_TRUE(cd->static_fields[0].access_flags & kAccStatic);
  // smali sorts: direct = <init>, bootstrap, five, formats, handles, six, tryCatch; virtual = nat.
  ASSERT_EQ(cd->direct_methods.size(), 7u);
  ASSERT_EQ(cd->virtual_methods.size(), 1u);
  EXPECT_EQ(dex->pretty_method(cd->direct_methods[0].method()), "LFormats;-><init>()V");
  EXPECT_EQ(cd->direct_methods[0].access_flags, kAccPublic | kAccConstructor);
  EXPECT_EQ(dex->pretty_method(cd->direct_methods[2].method()), "LFormats;->five(IIIII)V");
  EXPECT_EQ(dex->pretty_method(cd->virtual_methods[0].method()), "LFormats;->nat()V");
  EXPECT_EQ(cd->virtual_methods[0].code_off, 0u); // native
  // Indices are delta-decoded: strictly increasing within a list.
  for (size_t i = 1; i < cd->direct_methods.size(); ++i) {
    EXPECT_LT(cd->direct_methods[i - 1].index, cd->direct_methods[i].index);
  }

  auto code = dex->code_item(cd->direct_methods[0].code_off);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->registers_size, 1);
  EXPECT_EQ(code->ins_size, 1);
  EXPECT_EQ(code->outs_size, 1);
  EXPECT_EQ(code->insns_size(), 4u);
  EXPECT_EQ(code->tries_size, 0);

  auto unicode = dex->class_def(ClassDefIdx(1));
  ASSERT_TRUE(unicode);
  auto ifaces = dex->interfaces(*unicode);
  ASSERT_TRUE(ifaces);
  ASSERT_EQ(ifaces->size(), 1u);
  EXPECT_EQ(dex->type_descriptor((*ifaces)[0]).value(), "Ljava/lang/Runnable;");
  EXPECT_FALSE(unicode->source_file.valid());
}

TEST(DexFile, TryCatchWithTypedHandlersAndCatchAll) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto dex = DexFile::open(bytes, "dex_formats.dex");
  ASSERT_TRUE(dex);
  auto m = find_method(*dex, "LFormats;", "tryCatch");
  ASSERT_TRUE(m);
  auto code = dex->code_item(m->code_off);
  ASSERT_TRUE(code);
  ASSERT_EQ(code->tries_size, 1);
  const TryItem t = code->try_item(0);
  EXPECT_EQ(t.start_addr, 0u);
  EXPECT_EQ(t.insn_count, 3u);
  EXPECT_EQ(code->catch_handler_list_size().value(), 1u);
  CatchHandlerReader r = code->catch_handlers(t.handler_off);
  EXPECT_EQ(r.typed_count(), 2u);
  EXPECT_TRUE(r.has_catch_all());
  std::vector<std::pair<std::string, uint32_t>> got;
  CatchHandler h;
  while (r.next(h)) {
    got.emplace_back(h.is_catch_all() ? "*" : std::string(dex->type_descriptor(h.type).value()),
                     h.address);
  }
  EXPECT_TRUE(r.ok());
  const std::vector<std::pair<std::string, uint32_t>> want = {
      {"Ljava/lang/IllegalStateException;", 4}, {"Ljava/io/IOException;", 6}, {"*", 8}};
  EXPECT_EQ(got, want);
}

TEST(DexFile, CallSitesAndMethodHandles) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto dex = DexFile::open(bytes, "dex_formats.dex");
  ASSERT_TRUE(dex);
  ASSERT_EQ(dex->call_site_ids_size(), 2u);
  ASSERT_EQ(dex->method_handles_size(), 2u);
  auto cs = dex->call_site(CallSiteIdx(0));
  ASSERT_TRUE(cs) << cs.error().to_string();
  EXPECT_EQ(dex->string(cs->method_name).value(), "run");
  EXPECT_EQ(dex->proto_signature(cs->method_type), "(I)V");
  EXPECT_EQ(cs->extra_args, 1u);
  auto mh = dex->method_handle(cs->bootstrap);
  ASSERT_TRUE(mh);
  EXPECT_EQ(mh->type, 4); // invoke-static
  EXPECT_FALSE(mh->is_field());
  EXPECT_EQ(dex->pretty_method(MethodIdx(mh->field_or_method)),
            "LFormats;->bootstrap(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;"
            "Ljava/lang/invoke/MethodType;Ljava/lang/String;)Ljava/lang/invoke/CallSite;");
  auto cs1 = dex->call_site(CallSiteIdx(1));
  ASSERT_TRUE(cs1);
  EXPECT_EQ(dex->string(cs1->method_name).value(), "walk");
  EXPECT_FALSE(dex->call_site(CallSiteIdx(2)));
  EXPECT_FALSE(dex->method_handle(MethodHandleIdx(2)));
}

TEST(DexFile, OutOfRangeIndicesAreErrors) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto dex = DexFile::open(bytes, "dex_formats.dex");
  ASSERT_TRUE(dex);
  EXPECT_FALSE(dex->string(StringIdx(dex->string_ids_size())));
  EXPECT_FALSE(dex->type_descriptor(TypeIdx(0xffff)));
  EXPECT_FALSE(dex->method_id(MethodIdx(dex->method_ids_size())));
  EXPECT_FALSE(dex->field_id(FieldIdx(1000)));
  EXPECT_FALSE(dex->proto_id(ProtoIdx(1000)));
  EXPECT_FALSE(dex->class_def(ClassDefIdx(2)));
  EXPECT_FALSE(dex->code_item(static_cast<uint32_t>(bytes.size()) - 4));
  EXPECT_EQ(dex->pretty_method(MethodIdx(99999)), "<invalid method 99999>");
}

TEST(Mutf8, DecodesNulBmpAndSurrogatePairs) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto dex = DexFile::open(bytes, "dex_formats.dex");
  ASSERT_TRUE(dex);
  std::vector<std::string> decoded;
  for (uint32_t i = 0; i < dex->string_ids_size(); ++i) {
    auto s = dex->string(StringIdx(i));
    ASSERT_TRUE(s);
    EXPECT_EQ(mutf8_utf16_length(*s), dex->string_utf16_size(StringIdx(i)).value());
    decoded.push_back(mutf8_to_utf8(*s));
  }
  auto has = [&](const std::string& want) {
    return std::find(decoded.begin(), decoded.end(), want) != decoded.end();
  };
  EXPECT_TRUE(has(std::string("a\0b", 3))); // C0 80 → NUL
  EXPECT_TRUE(has("\xC3\xA9\xE4\xB8\xAD")); // é中
  EXPECT_TRUE(has("\xF0\x9F\x98\x80"));     // U+1F600 from a surrogate pair
  // Direct cases: lone surrogate and malformed bytes → U+FFFD.
  EXPECT_EQ(mutf8_to_utf8("\xED\xA0\xBD"
                          "x"),
            "\xEF\xBF\xBDx");
  EXPECT_EQ(mutf8_to_utf8("\xC0\x80"), std::string("\0", 1));
  EXPECT_EQ(mutf8_to_utf8("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(mutf8_to_utf8("plain"), "plain");
  EXPECT_EQ(mutf8_utf16_length("\xED\xA0\xBD\xED\xB8\x80"), 2u);
}

TEST(DexHelpers, DescriptorsRanksAndDigests) {
  EXPECT_EQ(descriptor_to_java("Lcom/a/B;"), "com.a.B");
  EXPECT_EQ(descriptor_to_java("[[I"), "int[][]");
  EXPECT_EQ(descriptor_to_java("[Ljava/lang/String;"), "java.lang.String[]");
  EXPECT_EQ(descriptor_to_java("V"), "void");
  EXPECT_EQ(classes_dex_rank("classes.dex"), 1u);
  EXPECT_EQ(classes_dex_rank("classes2.dex"), 2u);
  EXPECT_EQ(classes_dex_rank("classes12.dex"), 12u);
  EXPECT_FALSE(classes_dex_rank("classes1.dex"));
  EXPECT_FALSE(classes_dex_rank("classes02.dex"));
  EXPECT_FALSE(classes_dex_rank("assets/classes.dex.bak"));
  const std::string wiki = "Wikipedia";
  EXPECT_EQ(adler32(ByteView(reinterpret_cast<const uint8_t*>(wiki.data()), wiki.size())),
            0x11E60398u);
  uint8_t d[20];
  const std::string abc = "abc";
  sha1(ByteView(reinterpret_cast<const uint8_t*>(abc.data()), abc.size()), d);
  const uint8_t want[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                            0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
  EXPECT_EQ(std::memcmp(d, want, 20), 0);
  std::vector<uint8_t> big(1000, 'a'); // crosses a 64-byte block boundary with padding
  sha1(big, d);
  const uint8_t want_big[20] = {0x29, 0x1e, 0x9a, 0x6c, 0x66, 0x99, 0x49, 0x49, 0xb5, 0x7b,
                                0xa5, 0xe6, 0x50, 0x36, 0x1e, 0x98, 0xfc, 0x36, 0xb1, 0xba};
  EXPECT_EQ(std::memcmp(d, want_big, 20), 0);
}

TEST(ClassIndex, FirstDefinitionInClassesDexOrderWins) {
  auto a = fixture_bytes("dex_dup_a");
  auto b = fixture_bytes("dex_dup_b");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  DexSet set;
  Diagnostics diags;
  // Inserted out of order: the index must still prefer classes.dex.
  ASSERT_TRUE(set.add("classes2.dex", b, &diags));
  ASSERT_TRUE(set.add("classes.dex", a, &diags));
  ClassIndex index = ClassIndex::build(set, &diags);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.load_order(), (std::vector<uint32_t>{1, 0}));
  auto dup = index.find("LDup;");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->dex, 1u);
  EXPECT_EQ(index.find("Lcom/example/OnlyB;")->dex, 0u);
  EXPECT_EQ(index.find("Lcom/example/OnlyA;")->dex, 1u);
  EXPECT_FALSE(index.find("LMissing;"));
  ASSERT_EQ(index.duplicates().size(), 1u);
  EXPECT_EQ(index.duplicates()[0].descriptor, "LDup;");
  EXPECT_EQ(index.duplicates()[0].shadowed.dex, 0u);
  // The winner really is dex_dup_a's class (it has field "a").
  auto def = set[dup->dex].class_def(dup->class_def);
  auto cd = set[dup->dex].class_data(*def);
  ASSERT_TRUE(cd);
  ASSERT_EQ(cd->static_fields.size(), 1u);
  EXPECT_EQ(set[dup->dex].pretty_field(cd->static_fields[0].field()), "LDup;->a:I");
}

// ---------------------------------------------------------------------------------------------
// Parity with dexdump over the corpus.

struct Counts {
  uint64_t classes = 0;
  uint64_t methods = 0;
};

/// Classes and defined methods (direct + virtual) as we read them.
std::optional<Counts> our_counts(ByteView bytes, std::string* why) {
  OpenOptions options;
  options.verify_signature = false; // SHA-1 of 166 MB under ASan is slow and not compared
  auto dex = DexFile::open(bytes, "x.dex", nullptr, options);
  if (!dex) {
    *why = dex.error().to_string();
    return std::nullopt;
  }
  Counts c;
  c.classes = dex->class_defs_size();
  for (uint32_t i = 0; i < dex->class_defs_size(); ++i) {
    auto def = dex->class_def(ClassDefIdx(i));
    if (!def) continue;
    auto r = dex->class_data_reader(*def);
    if (!r) continue;
    c.methods += r->direct_methods_size() + r->virtual_methods_size();
  }
  return c;
}

/// Extracts every classes*.dex of every corpus APK plus every corpus .dex into a cache dir and
/// runs dexdump (plain listing) on each, 2 in parallel. Output: one line per DEX,
/// "<file>\t<origin>\t<classes>\t<methods>\t<dexdump rc>". Cached: rerun only if absent.
std::string dexdump_counts_table() {
  const std::string dir = test::fixtures_dir() + "/dexdump-cache";
  const std::string table = dir + "/counts.tsv";
  std::ifstream probe(table);
  // An empty table (e.g. left by a run that could not see the corpus) is not a cache.
  if (!probe || probe.peek() == std::ifstream::traits_type::eof()) {
    const std::string script = R"SH(
set -u
corpus="$1"; out="$2"; mkdir -p "$out/dex"; : > "$out/list.tsv"
i=0
while IFS= read -r -d '' f; do
  i=$((i+1)); dst="$out/dex/$(printf %05d $i).dex"; cp "$f" "$dst"; chmod u+w "$dst"
  printf '%s\t%s\n' "$dst" "$f" >> "$out/list.tsv"
done < <(find "$corpus" -name '*.dex' -type f -print0 | sort -z)
extract() {  # $1 = sequence number, $2 = APK: one unzip per APK
  d="$out/apk/$1"; mkdir -p "$d"
  unzip -qq -o "$2" 'classes*.dex' -d "$d" >/dev/null 2>&1
  for f in "$d"/classes*.dex; do
    [ -f "$f" ] || continue
    case "$(basename "$f")" in classes.dex|classes[1-9].dex|classes[1-9][0-9].dex|classes[1-9][0-9][0-9].dex) ;; *) continue ;; esac
    printf '%s\t%s!%s\n' "$f" "$2" "$(basename "$f")"
  done
}
export -f extract; export out
n=0
while IFS= read -r -d '' apk; do n=$((n+1)); printf '%05d\0%s\0' "$n" "$apk"; done \
  < <(find "$corpus" -name '*.apk' -type f -print0 | sort -z) | xargs -0 -n2 -P2 bash -c 'extract "$@"' _ | sort >> "$out/list.tsv"
count() {
  local res rc
  res=$(dexdump -i -j "$1" 2>/dev/null | awk '
    /^Class #/ {c++}
    /^  (Direct|Virtual) methods/ {m=1; next}
    /^  [A-Za-z]/ {m=0}
    m && /^    #[0-9]+ +: \(in / {n++}
    END {printf "%d\t%d", c, n}'; exit "${PIPESTATUS[0]}")
  rc=$?
  printf '%s\t%s\t%d\n' "$1" "$res" "$rc"
}
export -f count
cut -f1 "$out/list.tsv" | xargs -P2 -I{} bash -c 'count "$@"' _ {} > "$out/counts.part"
awk -F'\t' 'NR==FNR {o[$1]=$2; next} {print $1 "\t" o[$1] "\t" $2 "\t" $3 "\t" $4}' \
  "$out/list.tsv" "$out/counts.part" > "$out/counts.tsv.tmp" && mv "$out/counts.tsv.tmp" "$out/counts.tsv"
)SH";
    const std::string script_path = test::fixtures_dir() + "/dexdump_counts.sh";
    test::run_command("mkdir -p '" + dir + "'");
    std::ofstream(script_path) << script;
    test::run_command("bash '" + script_path + "' '" + test::corpus_dir() + "' '" + dir + "'");
  }
  return table;
}

TEST(DexParity, ClassAndMethodCountsMatchDexdumpOverCorpus) {
  int rc = 0;
  test::run_command("command -v dexdump >/dev/null", &rc);
  if (rc != 0) GTEST_SKIP() << "dexdump not installed";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string table = dexdump_counts_table();
  std::ifstream in(table);
  ASSERT_TRUE(in) << "no " << table;
  std::string line;
  size_t compared = 0, refused = 0;
  std::vector<std::string> mismatches;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string file, origin, classes, methods, dd_rc;
    std::getline(ls, file, '\t');
    std::getline(ls, origin, '\t');
    std::getline(ls, classes, '\t');
    std::getline(ls, methods, '\t');
    std::getline(ls, dd_rc, '\t');
    auto mapped = MappedFile::open(file); // mapped: reading 166 MB byte-wise is slow
    std::string why = "cannot map";
    std::optional<Counts> ours;
    if (mapped) ours = our_counts((*mapped)->bytes(), &why);
    if (dd_rc != "0") {
      // dexdump refused the file: we must not crash; report for the record.
      ++refused;
      continue;
    }
    ++compared;
    if (!ours) {
      mismatches.push_back(origin + ": we failed to open (" + why + ")");
      continue;
    }
    if (std::to_string(ours->classes) != classes || std::to_string(ours->methods) != methods) {
      mismatches.push_back(origin + ": dexdump " + classes + " classes/" + methods +
                           " methods, ours " + std::to_string(ours->classes) + "/" +
                           std::to_string(ours->methods));
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("dexdump parity: %zu DEX compared, %zu refused by dexdump, %zu mismatches (%.1fs)\n",
              compared, refused, mismatches.size(), secs);
  EXPECT_GT(compared, 100u);
  for (const auto& m : mismatches) ADD_FAILURE() << m;
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs.

/// Walks everything the way an analysis does; must not crash whatever the bytes.
size_t walk_all(const DexFile& dex) {
  size_t n = 0;
  for (uint32_t c = 0; c < dex.class_defs_size(); ++c) {
    auto def = dex.class_def(ClassDefIdx(c));
    if (!def) continue;
    n += dex.class_descriptor(*def).size();
    auto r = dex.class_data_reader(*def);
    if (!r) continue;
    ClassMember m;
    while (r->next(m)) {
      n +=
          m.is_method() ? dex.pretty_method(m.method()).size() : dex.pretty_field(m.field()).size();
      if (!m.is_method() || m.code_off == 0) continue;
      auto code = dex.code_item(m.code_off);
      if (!code) continue;
      Instruction insn;
      for (InstructionIterator it(code->insns); it.next(insn);) n += insn.size;
      for (uint32_t t = 0; t < code->tries_size; ++t) {
        auto h = code->catch_handlers(code->try_item(t).handler_off);
        CatchHandler ch;
        while (h.next(ch)) n += ch.address;
      }
    }
  }
  return n;
}

TEST(DexHostile, TruncatedAtManyCutPoints) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  size_t opened = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    Diagnostics diags;
    auto dex = DexFile::open(part, "cut.dex", &diags);
    if (cut < 0x70) {
      EXPECT_FALSE(dex);
      continue;
    }
    if (dex) {
      ++opened;
      EXPECT_FALSE(diags.empty()) << "cut at " << cut << " gave no diagnostic";
      walk_all(*dex);
    }
  }
  EXPECT_GT(opened, 0u);
}

TEST(DexHostile, BogusHeaderAndMapFields) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto patched = [&](size_t off, uint32_t v) {
    std::vector<uint8_t> b = bytes;
    std::memcpy(b.data() + off, &v, 4);
    return b;
  };
  // Id table offsets and sizes (header 0x38..0x6f), map_off (0x34), file_size (0x20).
  for (size_t off = 0x20; off < 0x70; off += 4) {
    for (uint32_t v : {0u, 1u, 0x70u, 0x7fffffffu, 0xffffffffu, 0xfffffff0u,
                       static_cast<uint32_t>(bytes.size()) - 2}) {
      auto b = patched(off, v);
      Diagnostics diags;
      auto dex = DexFile::open(b, "bogus.dex", &diags);
      if (dex) walk_all(*dex);
    }
  }
  // Bad magic / version / endianness.
  {
    auto b = bytes;
    b[0] = 'x';
    EXPECT_EQ(DexFile::open(b, "m").error().code, Errc::kMalformed);
    b = bytes;
    std::memcpy(b.data() + 4, "009", 3);
    EXPECT_EQ(DexFile::open(b, "v").error().code, Errc::kUnsupported);
    EXPECT_EQ(DexFile::open(patched(40, 0x78563412u), "e").error().code, Errc::kUnsupported);
  }
  // Checksum mismatch is a diagnostic, not an error; strict mode makes it one.
  {
    auto b = patched(8, 0x12345678u);
    Diagnostics diags;
    EXPECT_TRUE(DexFile::open(b, "c", &diags));
    bool saw = false;
    for (const auto& d : diags.items()) saw |= d.code == "dex.checksum_mismatch";
    EXPECT_TRUE(saw);
    OpenOptions strict;
    strict.strict = true;
    EXPECT_FALSE(DexFile::open(b, "c", nullptr, strict));
  }
  // Map items: corrupt every field of every map item.
  const uint32_t map_off = load_u32le(bytes.data() + 0x34);
  const uint32_t n = load_u32le(bytes.data() + map_off);
  for (uint32_t i = 0; i < n; ++i) {
    const size_t item = map_off + 4 + 12 * i;
    for (size_t field : {item, item + 4, item + 8}) {
      for (uint32_t v : {0u, 0x7777u, 0xffffffffu, static_cast<uint32_t>(bytes.size())}) {
        auto b = patched(field, v);
        Diagnostics diags;
        auto dex = DexFile::open(b, "map.dex", &diags);
        if (dex) walk_all(*dex);
      }
    }
  }
  // Map count huge.
  {
    Diagnostics diags;
    auto b = patched(map_off, 0x10000000u);
    auto dex = DexFile::open(b, "map.dex", &diags);
    ASSERT_TRUE(dex);
    EXPECT_FALSE(diags.empty());
  }
}

TEST(DexHostile, HugeCountsAndUlebRunsAreBounded) {
  auto bytes = fixture_bytes("dex_formats");
  ASSERT_FALSE(bytes.empty());
  auto dex = DexFile::open(bytes, "x");
  ASSERT_TRUE(dex);
  auto def = dex->class_def(ClassDefIdx(0));
  ASSERT_TRUE(def);
  // class_data_item counts of 0x0fffffff encoded as 5-byte ulebs, followed by 0xff runs.
  auto b = bytes;
  const size_t off = def->class_data_off;
  for (size_t i = 0; i < 4 * 5 && off + i < b.size(); ++i) b[off + i] = (i % 5 == 4) ? 0x0f : 0xff;
  for (size_t i = off + 20; i < std::min(b.size(), off + 200); ++i) b[i] = 0xff;
  const auto t0 = std::chrono::steady_clock::now();
  auto d2 = DexFile::open(b, "huge");
  ASSERT_TRUE(d2);
  auto r = d2->class_data_reader(*d2->class_def(ClassDefIdx(0)));
  EXPECT_FALSE(r); // counts cannot fit in the bytes left
  walk_all(*d2);
  // Every code_item field set to 0xffff/0xffffffff.
  auto m = find_method(*dex, "LFormats;", "tryCatch");
  ASSERT_TRUE(m);
  for (size_t field = 0; field < 16; field += 2) {
    auto c = bytes;
    c[m->code_off + field] = 0xff;
    c[m->code_off + field + 1] = 0xff;
    auto d3 = DexFile::open(c, "code");
    ASSERT_TRUE(d3);
    walk_all(*d3);
  }
  // A catch handler list whose size is a huge negative sleb.
  {
    auto code = dex->code_item(m->code_off);
    ASSERT_TRUE(code);
    auto c = bytes;
    const size_t h = static_cast<size_t>(code->handlers.data() - bytes.data());
    for (size_t i = 0; i < 5; ++i) c[h + 1 + i] = i == 4 ? 0x78 : 0x80; // handler at +1
    auto d4 = DexFile::open(c, "handlers");
    ASSERT_TRUE(d4);
    walk_all(*d4);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 5.0);
}

TEST(DexHostile, GarbageAndAllZeroInputs) {
  std::vector<uint8_t> zeros(4096, 0);
  EXPECT_FALSE(DexFile::open(zeros, "z"));
  std::vector<uint8_t> hdr(0x70, 0);
  std::memcpy(hdr.data(), "dex\n035", 8);
  const uint32_t tag = 0x12345678, size = 0x70, hsize = 0x70;
  std::memcpy(hdr.data() + 32, &size, 4);
  std::memcpy(hdr.data() + 36, &hsize, 4);
  std::memcpy(hdr.data() + 40, &tag, 4);
  Diagnostics diags;
  auto dex = DexFile::open(hdr, "empty", &diags);
  ASSERT_TRUE(dex); // empty but well-formed (no map: diagnostic)
  EXPECT_EQ(dex->class_defs_size(), 0u);
  EXPECT_FALSE(diags.empty());
  DexSet set;
  EXPECT_FALSE(set.add("bad.dex", zeros));
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.add("classes.dex", hdr));
  EXPECT_EQ(set.size(), 1u);
}

} // namespace
} // namespace appaudit::dex
