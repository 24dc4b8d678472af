// Fuzz target for the policy reader: decodes the input as a policy file (encoding detection,
// UTF-8/UTF-16/GB18030), reduces it as HTML too, and analyses both texts with the embedded
// knowledge base. Must never crash, hang or blow up memory; every span must lie in the text.
#include <cstddef>
#include <cstdint>

#include "policy/policy.hpp"
#include "policy/text.hpp"

using namespace appaudit;

namespace {

const policy::PolicyReader& reader() {
  static const knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  static const policy::PolicyReader r(k);
  return r;
}

void check(const policy::PolicyText& text) {
  policy::PolicyReport r = reader().analyze(text);
  for (const auto& m : r.mentions) {
    if (m.span.start >= m.span.end || m.span.end > text.text.size()) __builtin_trap();
    if (!(m.score >= 0 && m.score <= 1)) __builtin_trap(); // the tagger's probability
  }
  for (const auto& c : r.contacts) {
    if (c.span.start > c.span.end || c.span.end > text.text.size()) __builtin_trap();
  }
  if (!text.source_map.empty() && text.source_map.size() != text.text.size() + 1) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Diagnostics diags;
  auto text = policy::decode_text(ByteView(data, size), "fuzz.txt", diags);
  if (!text) return 0;
  check(*text);
  policy::reduce_html(*text);
  check(*text);
  return 0;
}
