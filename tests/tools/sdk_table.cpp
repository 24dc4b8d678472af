// sdk_table: SDKs and packers detected in every APK under a corpus directory, one line per
// APK (tab-separated: path relative to the corpus, classes, SDK ids with their evidence
// kinds, packer ids), then how often each SDK was seen. For eyeballing false positives.
//
//   build/bin/sdk_table [--evidence] [corpus-dir]   (default: $APPAUDIT_CORPUS or
//                                                   ../shared/corpus)

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/apk_contents.hpp"
#include "analysis/sdk_detect.hpp"

namespace fs = std::filesystem;
using namespace appaudit;

namespace {

bool g_verbose = false;

/// "id[package,component]": which kinds of evidence made the SDK present; with --evidence,
/// every piece ("id[package:com.x=12,meta_data:KEY=1]").
std::string summarize(const analysis::DetectedSdk& d) {
  if (g_verbose) {
    std::string out = d.sdk->id + "[";
    for (size_t i = 0; i < d.evidence.size(); ++i) {
      const auto& e = d.evidence[i];
      out += (i ? "," : "") + e.kind + ":" + e.value + "=" + std::to_string(e.count);
    }
    return out + "]";
  }
  std::set<std::string> kinds;
  for (const auto& e : d.evidence) kinds.insert(e.kind);
  std::string out = d.sdk->id + "[";
  bool first = true;
  for (const auto& k : kinds) {
    out += (first ? "" : ",") + k;
    first = false;
  }
  return out + "]";
}

} // namespace

int main(int argc, char** argv) {
  int arg = 1;
  if (arg < argc && std::string(argv[arg]) == "--evidence") {
    g_verbose = true;
    ++arg;
  }
  std::string root = "../shared/corpus";
  if (arg < argc) {
    root = argv[arg];
  } else if (const char* env = std::getenv("APPAUDIT_CORPUS")) {
    root = env;
  }
  std::vector<std::string> apks = test::find_apks(root);
  std::error_code ec;

  knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  analysis::SdkMatcher matcher(k);
  std::map<std::string, int> sdk_apps, packer_apps;
  int opened = 0, with_sdk = 0, total_sdks = 0;
  double detect_ms = 0;
  size_t classes_total = 0;
  for (const std::string& path : apks) {
    std::string rel = fs::relative(path, root, ec).string();
    auto apk = test::open_apk_contents(path);
    if (!apk) {
      std::cout << rel << "\t-\tnot an APK\n";
      continue;
    }
    ++opened;
    auto start = std::chrono::steady_clock::now();
    auto sdks = analysis::detect_sdks(k, matcher, apk->classes,
                                      apk->manifest ? &*apk->manifest : nullptr, apk->inventory);
    auto packers = analysis::detect_packers(k, apk->classes, apk->inventory);
    detect_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    classes_total += apk->classes.size();
    std::cout << rel << '\t' << apk->classes.size() << '\t';
    for (size_t i = 0; i < sdks.size(); ++i) {
      std::cout << (i ? " " : "") << summarize(sdks[i]);
      ++sdk_apps[sdks[i].sdk->id];
    }
    std::cout << '\t';
    for (size_t i = 0; i < packers.size(); ++i) {
      std::cout << (i ? " " : "") << packers[i].packer->id;
      ++packer_apps[packers[i].packer->id];
    }
    std::cout << '\n';
    if (!sdks.empty()) ++with_sdk;
    total_sdks += static_cast<int>(sdks.size());
  }
  std::cout << "\n# " << apks.size() << " APK files, " << opened << " opened, " << with_sdk
            << " with at least one SDK, " << total_sdks << " detections; detection took "
            << detect_ms << " ms over " << classes_total << " classes\n";
  for (const auto& [id, n] : sdk_apps) std::cout << "# sdk\t" << id << '\t' << n << '\n';
  for (const auto& [id, n] : packer_apps) std::cout << "# packer\t" << id << '\t' << n << '\n';
  return 0;
}
