// Fuzz target for the analysis layer: opens the input as DEX file(s), makes up a manifest that
// turns the first classes into an application, a launcher activity, a provider and a boot
// receiver (so entry points, the call graph, consent guards and the searches all run), and
// analyses it with the embedded knowledge base. Must never crash, hang or blow up memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analysis/analysis.hpp"
#include "core/diagnostics.hpp"
#include "dex/class_index.hpp"
#include "dex/dex_file.hpp"

using namespace appaudit;

namespace {

const knowledge::Knowledge& kb() {
  static const knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  return k;
}

std::string java_name(std::string_view descriptor) {
  if (descriptor.size() < 3 || descriptor.front() != 'L' || descriptor.back() != ';') return "";
  std::string out(descriptor.substr(1, descriptor.size() - 2));
  for (char& c : out) {
    if (c == '/') c = '.';
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Diagnostics diags;
  dex::DexSet set;
  if (!set.add_view("classes.dex", ByteView(data, size), &diags)) return 0;
  dex::ClassIndex index = dex::ClassIndex::build(set, &diags);

  apk::Manifest manifest;
  manifest.package = "fuzz.app";
  std::vector<std::string> names;
  for (const dex::DexFile& file : set) {
    for (uint32_t c = 0; c < file.class_defs_size() && names.size() < 4; ++c) {
      auto def = file.class_def(dex::ClassDefIdx(c));
      if (!def) continue;
      std::string n = java_name(file.class_descriptor(*def));
      if (!n.empty()) names.push_back(n);
    }
  }
  if (!names.empty()) manifest.application.name = names[0];
  const apk::ComponentKind kinds[] = {apk::ComponentKind::kActivity, apk::ComponentKind::kProvider,
                                      apk::ComponentKind::kReceiver};
  for (size_t i = 1; i < names.size(); ++i) {
    apk::Component c;
    c.kind = kinds[(i - 1) % 3];
    c.name = names[i];
    if (c.kind == apk::ComponentKind::kReceiver) {
      apk::IntentFilter f;
      f.actions.push_back("android.intent.action.BOOT_COMPLETED");
      c.intent_filters.push_back(f);
    }
    if (c.kind == apk::ComponentKind::kActivity) manifest.launcher_activities.push_back(c.name);
    manifest.components.push_back(std::move(c));
  }
  apk::ApkInventory inventory;
  inventory.xml_click_handlers = {"onClick", "run"};
  inventory.password_view_ids = {0x7f010001u};
  auto result = analysis::analyze(set, index, &manifest, inventory, kb(), diags);
  volatile size_t keep = result.collections.size() + result.self_starts.size();
  (void)keep;
  return 0;
}
