#include "policy/policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

namespace appaudit::policy {
namespace {

using knowledge::PolicyTermKind;

/// Case folding for matching: ASCII letters lower-cased, full-width ASCII (U+FF01–U+FF5E)
/// folded onto ASCII. One code point in, one out, so offsets are unchanged.
char32_t fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;
  if (c >= 'A' && c <= 'Z') c += 32;
  return c;
}

bool ascii_alnum(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// A trie over folded code points. Each term carries a payload index. `longest` gives the
/// longest term starting at a position; `each` every term starting there. Terms starting or
/// ending with an ASCII letter or digit only match at word boundaries (so "IP" does not match
/// inside "ZIP", nor "SN" inside "JSON").
class Trie {
 public:
  Trie() { nodes_.push_back({}); }

  void insert(std::u32string_view term, uint32_t payload) {
    uint32_t node = 0;
    for (char32_t raw : term) {
      char32_t c = fold(raw);
      uint64_t key = (static_cast<uint64_t>(node) << 32) | c;
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        nodes_.push_back({});
        it = edges_.emplace(key, static_cast<uint32_t>(nodes_.size() - 1)).first;
      }
      node = it->second;
    }
    nodes_[node].payloads.push_back(payload);
    nodes_[node].depth = static_cast<uint32_t>(term.size());
  }

  /// Calls f(end, payloads) for every term starting at `pos`, shortest first.
  template <class F>
  void each(const std::u32string& folded, size_t pos, F&& f) const {
    if (pos > 0 && ascii_alnum(folded[pos - 1]) && ascii_alnum(folded[pos])) {
      // Only terms that do not start with an ASCII letter/digit may start here.
      walk(folded, pos, f, true);
    } else {
      walk(folded, pos, f, false);
    }
  }

 private:
  struct Node {
    std::vector<uint32_t> payloads;
    uint32_t depth = 0;
  };

  template <class F>
  void walk(const std::u32string& folded, size_t pos, F& f, bool inside_word) const {
    if (inside_word) return; // the first code point is ASCII alnum: no term may start mid-word
    uint32_t node = 0;
    for (size_t i = pos; i < folded.size(); ++i) {
      auto it = edges_.find((static_cast<uint64_t>(node) << 32) | folded[i]);
      if (it == edges_.end()) return;
      node = it->second;
      const Node& n = nodes_[node];
      if (!n.payloads.empty()) {
        bool boundary =
            !(ascii_alnum(folded[i]) && i + 1 < folded.size() && ascii_alnum(folded[i + 1]));
        if (boundary) f(i + 1, n.payloads);
      }
    }
  }

  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, uint32_t> edges_;
};

struct TermInfo {
  PolicyTermKind kind = PolicyTermKind::kPi;
  std::string id;
  std::string pi_type;
  std::string right;
};

struct SdkName {
  std::string sdk;
  std::string name;
};

struct CueHit {
  uint32_t start, end;
  uint32_t term; ///< index into terms
};

/// Names an SDK is written as in policies: the catalog's Chinese and English names, without
/// blanks, without a trailing "SDK", the part before and inside parentheses, and its Java
/// packages (SDK tables often list them).
std::vector<std::u32string> sdk_surface_forms(const knowledge::Sdk& s) {
  std::set<std::u32string> out;
  auto add = [&](std::u32string n) {
    while (!n.empty() && (n.back() == ' ' || n.back() == '-')) n.pop_back();
    while (!n.empty() && n.front() == ' ') n.erase(n.begin());
    bool ascii = std::all_of(n.begin(), n.end(), [](char32_t c) { return c < 0x80; });
    if (n.size() < (ascii ? 4u : 3u)) return;
    out.insert(n);
  };
  for (const std::string& raw : {s.name_zh, s.name_en}) {
    std::u32string name = from_utf8(raw);
    std::vector<std::u32string> variants = {name};
    // "阿里聚安全（安全保镖）": the name before the parenthesis, and the one inside it.
    for (char32_t open : {U'（', U'('}) {
      size_t p = name.find(open);
      if (p == std::u32string::npos) continue;
      char32_t close = open == U'（' ? U'）' : U')';
      size_t q = name.find(close, p);
      variants.push_back(name.substr(0, p));
      // The part inside only when it is Chinese: English asides ("legacy", "Upgrade") are
      // ordinary words.
      if (q != std::u32string::npos &&
          std::any_of(name.begin() + static_cast<std::ptrdiff_t>(p + 1),
                      name.begin() + static_cast<std::ptrdiff_t>(q),
                      [](char32_t c) { return c >= 0x2E80; })) {
        variants.push_back(name.substr(p + 1, q - p - 1));
      }
    }
    for (std::u32string v : variants) {
      add(v);
      std::u32string compact;
      for (char32_t c : v) {
        if (c != ' ') compact += c;
      }
      add(compact);
      for (std::u32string* w : {&v, &compact}) {
        std::u32string folded;
        for (char32_t c : *w) folded += fold(c);
        if (folded.size() > 3 && folded.compare(folded.size() - 3, 3, U"sdk") == 0) {
          add(w->substr(0, w->size() - 3));
        }
      }
    }
  }
  for (const std::string& p : s.packages) {
    if (std::count(p.begin(), p.end(), '.') >= 1 && p.size() >= 8) add(from_utf8(p));
  }
  return {out.begin(), out.end()};
}

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }

/// Reads an unsigned decimal at `i` (at most `max_digits`); returns digits read.
size_t read_number(const std::u32string& t, size_t i, size_t max_digits, int& value) {
  size_t n = 0;
  value = 0;
  while (i + n < t.size() && n < max_digits && is_digit(t[i + n])) {
    value = value * 10 + static_cast<int>(t[i + n] - '0');
    ++n;
  }
  if (i + n < t.size() && is_digit(t[i + n])) return 0; // longer than allowed
  return n;
}

const std::array<std::string_view, 12> kMonths = {"january",   "february", "march",    "april",
                                                  "may",       "june",     "july",     "august",
                                                  "september", "october",  "november", "december"};

/// A date written at `i`: 2021年3月1日, 2021-03-01, 2021/3/1, 2021.3.1, "March 1, 2021",
/// "1 March 2021". Returns its end (0 when none) and the normalised YYYY-MM-DD.
size_t parse_date(const std::u32string& t, const std::u32string& folded, size_t i,
                  std::string& iso) {
  auto valid = [](int y, int m, int d) {
    return y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
  };
  auto format = [](int y, int m, int d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return std::string(buf);
  };
  int y = 0, m = 0, d = 0;
  if (read_number(t, i, 4, y) == 4) {
    size_t j = i + 4;
    while (j < t.size() && t[j] == ' ') ++j;
    if (j >= t.size()) return 0;
    char32_t sep = t[j];
    if (sep != U'年' && sep != '-' && sep != '/' && sep != '.') return 0;
    ++j;
    while (j < t.size() && t[j] == ' ') ++j;
    size_t n = read_number(t, j, 2, m);
    if (n == 0) return 0;
    j += n;
    while (j < t.size() && t[j] == ' ') ++j;
    char32_t sep2 = sep == U'年' ? U'月' : sep;
    if (j >= t.size() || t[j] != sep2) return 0;
    ++j;
    while (j < t.size() && t[j] == ' ') ++j;
    n = read_number(t, j, 2, d);
    if (n == 0) return 0;
    j += n;
    if (sep == U'年' && j < t.size() && (t[j] == U'日' || t[j] == U'号')) ++j;
    if (!valid(y, m, d)) return 0;
    iso = format(y, m, d);
    return j;
  }
  auto month_at = [&](size_t k, size_t& end) -> int {
    for (size_t mi = 0; mi < kMonths.size(); ++mi) {
      std::string_view name = kMonths[mi];
      size_t len = 0;
      while (len < name.size() && k + len < folded.size() &&
             folded[k + len] == static_cast<char32_t>(name[len])) {
        ++len;
      }
      if (len == name.size() ||
          (len >= 3 && (k + len >= folded.size() || !ascii_alnum(folded[k + len])))) {
        end = k + len;
        if (end < folded.size() && folded[end] == '.') ++end;
        return static_cast<int>(mi) + 1;
      }
    }
    return 0;
  };
  size_t e = 0;
  if ((m = month_at(i, e)) != 0) { // March 1, 2021
    size_t j = e;
    while (j < t.size() && t[j] == ' ') ++j;
    size_t n = read_number(t, j, 2, d);
    if (n == 0) return 0;
    j += n;
    if (j + 1 < folded.size() &&
        ((folded[j] == 's' && folded[j + 1] == 't') || (folded[j] == 'n' && folded[j + 1] == 'd') ||
         (folded[j] == 'r' && folded[j + 1] == 'd') ||
         (folded[j] == 't' && folded[j + 1] == 'h'))) {
      j += 2;
    }
    if (j < t.size() && t[j] == ',') ++j;
    while (j < t.size() && t[j] == ' ') ++j;
    if (read_number(t, j, 4, y) != 4 || !valid(y, m, d)) return 0;
    iso = format(y, m, d);
    return j + 4;
  }
  size_t n = read_number(t, i, 2, d); // 1 March 2021
  if (n == 0) return 0;
  size_t j = i + n;
  if (j >= t.size() || t[j] != ' ') return 0;
  ++j;
  if ((m = month_at(j, e)) == 0) return 0;
  j = e;
  if (j < t.size() && t[j] == ',') ++j;
  while (j < t.size() && t[j] == ' ') ++j;
  if (read_number(t, j, 4, y) != 4 || !valid(y, m, d)) return 0;
  iso = format(y, m, d);
  return j + 4;
}

bool email_local(char32_t c) {
  return ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool email_domain(char32_t c) { return ascii_alnum(c) || c == '.' || c == '-'; }
bool url_char(char32_t c) {
  return c > 0x20 && c < 0x7F && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' &&
         c != ')' && c != ']' && c != '}';
}

} // namespace

namespace {

bool blank(char32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x3000; }

bool cn_numeral(char32_t c) {
  return std::u32string_view(U"一二三四五六七八九十").find(c) != std::u32string_view::npos;
}

/// Heading level of a line (trimmed): 1 for 一、/第一条/第一部分, 2 for （一）, 3 for 1、/1.
/// (not 1.1); 0 when the line is not a numbered heading (or is long or has 。).
int heading_level(const std::u32string& t, size_t b, size_t e) {
  while (b < e && blank(t[b])) ++b;
  while (e > b && blank(t[e - 1])) --e;
  if (b == e || e - b >= 60) return 0;
  for (size_t i = b; i < e; ++i) {
    if (t[i] == U'。') return 0;
  }
  if (e - b >= 2 && t[b] == '*' && t[b + 1] == '*') b += 2;
  while (b < e && blank(t[b])) ++b;
  if (b == e) return 0;
  size_t i = b;
  if (t[i] == U'第') {
    size_t j = i + 1;
    while (j < e && (cn_numeral(t[j]) || is_digit(t[j]))) ++j;
    if (j > i + 1 && j < e &&
        std::u32string_view(U"章节部条").find(t[j]) != std::u32string_view::npos) {
      return 1;
    }
  }
  size_t j = i;
  while (j < e && cn_numeral(t[j])) ++j;
  if (j > i && j < e && (t[j] == U'、' || t[j] == '.' || t[j] == U'．' || t[j] == ' ')) return 1;
  if (t[i] == U'（' || t[i] == '(') {
    j = i + 1;
    while (j < e && (cn_numeral(t[j]) || is_digit(t[j]))) ++j;
    if (j > i + 1 && j < e && (t[j] == U'）' || t[j] == ')')) return 2;
  }
  j = i;
  while (j < e && is_digit(t[j])) ++j;
  if (j > i) {
    while (j < e && t[j] == ' ') ++j;
    if (j < e && (t[j] == U'、' || t[j] == '.' || t[j] == U'．') &&
        !(j + 1 < e && is_digit(t[j + 1]))) {
      return 3;
    }
  }
  return 0;
}

/// The learned tagger as the reader uses it: feature name → weight.
struct TaggerModel {
  double bias = 0;
  double threshold = 0.5;
  std::unordered_map<std::string, double> weights;
};

/// Buckets of a count: 0, 1, 2, 3-4, 5-8, 9-16, 17+ (as "0".."6").
std::string bucket(size_t n) {
  int b = n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n <= 4 ? 3 : n <= 8 ? 4 : n <= 16 ? 5 : 6;
  return std::to_string(b);
}

/// One code point for a feature name: blanks and line breaks as '_' (readable, one line).
void append_cp(std::string& out, char32_t c) {
  if (blank(c) || c < 0x20) c = '_';
  append_utf8(out, c);
}

/// Sets `practice`, `score` and `generic` of every mention (docs/policy.md, "Practice
/// mentions"): the rule (a)–(e) as before, then — when there is a model — the learned tagger
/// over the rule and the mention's context (feature set mention/1, listed in docs/policy.md).
/// `features`, when given, receives every mention's features (for the trainer).
void mark_practice(const std::vector<TermInfo>& terms, const std::set<std::u32string>& generic,
                   const std::u32string& t, const std::u32string& folded, PolicyReport& r,
                   const std::vector<CueHit>& cues,
                   const std::vector<std::vector<uint32_t>>& sentence_cues,
                   const TaggerModel* model, std::vector<std::vector<std::string>>* features) {
  auto kind_of = [&](uint32_t c) { return terms[cues[c].term].kind; };
  // The cue kinds of each sentence as a bit set (linear in the cues, whatever the input).
  static_assert(static_cast<int>(PolicyTermKind::kPiHeadBoundary) < 32);
  std::vector<uint32_t> kinds(r.sentences.size(), 0);
  for (size_t s = 0; s < r.sentences.size(); ++s) {
    for (uint32_t c : sentence_cues[s]) kinds[s] |= 1u << static_cast<int>(kind_of(c));
  }
  auto sentence_has = [&](uint32_t s, PolicyTermKind k1, PolicyTermKind k2) {
    return (kinds[s] & ((1u << static_cast<int>(k1)) | (1u << static_cast<int>(k2)))) != 0;
  };
  // Lines: heading level and the section each line is in. The section is set by level-1
  // headings when the text has any, otherwise by any numbered heading.
  enum Section : uint8_t { kNeutral, kPracticeSection, kOtherSection };
  std::vector<std::pair<uint32_t, uint32_t>> lines;
  for (size_t b = 0; b <= t.size();) {
    size_t e = t.find(U'\n', b);
    if (e == std::u32string::npos) e = t.size();
    lines.emplace_back(static_cast<uint32_t>(b), static_cast<uint32_t>(e));
    b = e + 1;
  }
  std::vector<int> level(lines.size());
  bool has_level1 = false;
  for (size_t l = 0; l < lines.size(); ++l) {
    level[l] = heading_level(t, lines[l].first, lines[l].second);
    has_level1 = has_level1 || level[l] == 1;
  }
  auto classify = [&](uint32_t b, uint32_t e) {
    bool defs = false, practice = false, other = false;
    auto it = std::lower_bound(cues.begin(), cues.end(), b,
                               [](const CueHit& c, uint32_t pos) { return c.start < pos; });
    for (; it != cues.end() && it->start < e; ++it) {
      const PolicyTermKind k = terms[it->term].kind;
      defs = defs || k == PolicyTermKind::kSectionDefinitions;
      practice = practice || k == PolicyTermKind::kSectionPractice;
      other = other || k == PolicyTermKind::kSectionOther;
    }
    return defs ? kOtherSection : practice ? kPracticeSection : other ? kOtherSection : kNeutral;
  };
  std::vector<Section> section(lines.size(), kNeutral);
  std::vector<size_t> heading_line(lines.size(), SIZE_MAX); // the last heading at or before
  Section current = kNeutral;
  size_t last_heading = SIZE_MAX;
  for (size_t l = 0; l < lines.size(); ++l) {
    if (level[l] == 1 || (!has_level1 && level[l] != 0)) {
      current = classify(lines[l].first, lines[l].second);
    }
    if (level[l] != 0) last_heading = l;
    section[l] = current;
    heading_line[l] = last_heading;
  }
  // A sentence continues a list when an earlier short sentence nearby ends with a colon and
  // has a practice verb or a list word ("我们会收集以下信息：").
  auto trimmed = [&](uint32_t s) {
    size_t b = r.sentences[s].first, e = r.sentences[s].second;
    while (b < e && blank(t[b])) ++b;
    while (e > b && blank(t[e - 1])) --e;
    return std::pair<size_t, size_t>(b, e);
  };
  auto continues_list = [&](uint32_t s) {
    for (uint32_t j = s; j-- > 0 && s - j <= 11;) {
      const auto [b, e] = trimmed(j);
      if (b == e) continue;
      if ((t[e - 1] == U'：' || t[e - 1] == ':') &&
          sentence_has(j, PolicyTermKind::kPractice, PolicyTermKind::kListIntro)) {
        return true;
      }
      if (e - b > 80) return false;
    }
    return false;
  };
  auto is_clause_end = [](char32_t c) {
    return std::u32string_view(U"。！？；!?;\n，,：:").find(c) != std::u32string_view::npos;
  };
  auto line_of = [&](uint32_t pos) {
    return static_cast<size_t>(
        std::upper_bound(
            lines.begin(), lines.end(), pos,
            [](uint32_t p, const std::pair<uint32_t, uint32_t>& l) { return p < l.first; }) -
        lines.begin() - 1);
  };
  // Start of the clause (between ，：。；) at each position.
  std::vector<uint32_t> clause_start(t.size() + 1, 0);
  for (size_t i = 1; i <= t.size(); ++i) {
    clause_start[i] = is_clause_end(t[i - 1]) ? static_cast<uint32_t>(i) : clause_start[i - 1];
  }
  // Per sentence (built on first use): its practice verbs and generic blockers sorted by end
  // (then start), with the running maximum of their starts.
  struct SentenceVerbs {
    bool ready = false;
    std::vector<uint32_t> verbs, blockers;                     ///< cue indices
    std::vector<uint32_t> verbs_max_start, blockers_max_start; ///< prefix maxima
    uint32_t last_verb_start = 0;
  };
  std::vector<SentenceVerbs> sentence_verbs(r.sentences.size());
  auto verbs_of = [&](uint32_t s) -> const SentenceVerbs& {
    SentenceVerbs& v = sentence_verbs[s];
    if (v.ready) return v;
    v.ready = true;
    for (uint32_t c : sentence_cues[s]) {
      if (kind_of(c) == PolicyTermKind::kPractice) v.verbs.push_back(c);
      if (kind_of(c) == PolicyTermKind::kGenericBlocker) v.blockers.push_back(c);
    }
    auto by_end = [&](uint32_t a, uint32_t b) {
      return cues[a].end != cues[b].end
                 ? cues[a].end < cues[b].end
                 : (cues[a].start != cues[b].start ? cues[a].start < cues[b].start : a < b);
    };
    for (auto* list : {&v.verbs, &v.blockers}) {
      std::sort(list->begin(), list->end(), by_end);
      std::vector<uint32_t>& maxima = list == &v.verbs ? v.verbs_max_start : v.blockers_max_start;
      uint32_t best = 0;
      for (uint32_t c : *list) maxima.push_back(best = std::max(best, cues[c].start));
    }
    if (!v.verbs.empty()) v.last_verb_start = v.verbs_max_start.back();
    return v;
  };
  // How many of `list` (sorted by end) end at or before `pos`.
  auto before = [&](const std::vector<uint32_t>& list, uint32_t pos) {
    return static_cast<size_t>(
        std::upper_bound(list.begin(), list.end(), pos,
                         [&](uint32_t p, uint32_t c) { return p < cues[c].end; }) -
        list.begin());
  };
  // Where the longest head noun ending at each position starts (contextual mentions).
  std::vector<uint32_t> head_start(t.size() + 1, UINT32_MAX);
  for (const CueHit& c : cues) {
    if (kind_of(static_cast<uint32_t>(&c - cues.data())) == PolicyTermKind::kPiHead) {
      head_start[c.end] = std::min(head_start[c.end], c.start);
    }
  }
  const bool want = model != nullptr || features != nullptr;
  if (features != nullptr) features->assign(r.mentions.size(), {});
  // Sentence-level features and their weight sum, computed once per sentence with mentions.
  std::vector<std::vector<std::string>> sentence_features(want ? r.sentences.size() : 0);
  std::vector<double> sentence_sum(want ? r.sentences.size() : 0, 0.0);
  std::vector<char> sentence_done(want ? r.sentences.size() : 0, 0);
  std::vector<uint32_t> mentions_in(r.sentences.size(), 0);
  for (const Mention& m : r.mentions) ++mentions_in[m.sentence];
  std::vector<uint32_t> index_in(r.mentions.size(), 0);
  {
    std::vector<uint32_t> seen(r.sentences.size(), 0);
    for (size_t i = 0; i < r.mentions.size(); ++i) index_in[i] = seen[r.mentions[i].sentence]++;
  }
  const size_t doc_len = std::max<size_t>(t.size(), 1);
  // A feature naming the two (folded) characters at i and i + 1.
  auto bigram = [&](const char* prefix, size_t i) {
    std::string name = prefix;
    append_cp(name, folded[i]);
    append_cp(name, folded[i + 1]);
    return name;
  };
  auto lookup = [&](const std::string& f) {
    if (model == nullptr) return 0.0;
    auto it = model->weights.find(f);
    return it == model->weights.end() ? 0.0 : it->second;
  };
  auto sentence_level = [&](uint32_t s, bool list) {
    std::vector<std::string>& fs = sentence_features[s];
    const auto [b, e] = trimmed(s);
    std::vector<std::string> uniq;
    uniq.reserve(64);
    for (uint32_t c : sentence_cues[s]) {
      uniq.push_back(std::string("sk=") + knowledge::to_string(kind_of(c)));
      std::string name = "sc=";
      for (uint32_t i = cues[c].start; i < cues[c].end; ++i) append_cp(name, folded[i]);
      uniq.push_back(std::move(name));
    }
    // Character bigrams of the sentence (at most its first 300 characters).
    for (size_t i = b; i + 1 < e && i < b + 300; ++i) {
      if (blank(t[i]) || blank(t[i + 1])) continue;
      uniq.push_back(bigram("sb=", i));
    }
    const size_t line = line_of(r.sentences[s].first);
    if (heading_line[line] != SIZE_MAX) {
      const auto [hb, he] = lines[heading_line[line]];
      for (size_t i = hb; i + 1 < he && i < hb + 40; ++i) {
        if (blank(t[i]) || blank(t[i + 1])) continue;
        uniq.push_back(bigram("hb=", i));
      }
    }
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    fs = std::move(uniq);
    fs.push_back("slen=" + bucket((e - b + 4) / 5));
    if (e > b && (t[e - 1] == U'：' || t[e - 1] == ':')) fs.push_back("colon");
    if (list) fs.push_back("list");
    fs.push_back("hl=" + std::to_string(level[line]));
    fs.push_back("sec=" + std::to_string(static_cast<int>(section[line])));
    const size_t decile = std::min<size_t>(9, r.sentences[s].first * 10 / doc_len);
    fs.push_back("pos=" + std::to_string(decile));
    fs.push_back("dpos=" + bucket(doc_len / 1000) + "_" + std::to_string(decile));
    fs.push_back("apos=" + bucket(r.sentences[s].first / 500));
    fs.push_back("nm=" + bucket(mentions_in[s]));
    if (t.substr(lines[line].first, lines[line].second - lines[line].first).find(U'\t') !=
        std::u32string::npos) {
      fs.push_back("tab");
    }
    if (s > 0 && sentence_has(s - 1, PolicyTermKind::kPractice, PolicyTermKind::kPractice)) {
      fs.push_back("prevp");
    }
    double sum = 0;
    for (const std::string& f : fs) sum += lookup(f);
    sentence_sum[s] = sum;
    sentence_done[s] = 1;
  };
  for (size_t mi = 0; mi < r.mentions.size(); ++mi) {
    Mention& m = r.mentions[mi];
    const uint32_t s = m.sentence, ms = m.span.start;
    m.generic = m.contextual || generic.count(folded.substr(ms, m.span.end - ms)) != 0;
    const size_t line = line_of(ms);
    // The rule (docs/policy.md, "Practice mentions" (a)–(e)).
    bool rule = true;
    const bool list = continues_list(s);
    const bool verb_in_sentence =
        sentence_has(s, PolicyTermKind::kPractice, PolicyTermKind::kPractice);
    const uint32_t clause = clause_start[ms];
    const uint32_t lo = std::max(clause, ms >= 8 ? ms - 8 : 0u);
    // Practice verbs and generic blockers ending at or before the mention: the one ending
    // last (the nearest verb), and whether one starts at or after `lo` / the clause start.
    const SentenceVerbs& sv = verbs_of(s);
    const size_t nv = before(sv.verbs, ms), nb = before(sv.blockers, ms);
    const bool verb_before = nv > 0;
    const bool verb_clause = verb_before && sv.verbs_max_start[nv - 1] >= clause;
    const bool verb8 = verb_before && sv.verbs_max_start[nv - 1] >= lo;
    const bool blocked8 = nb > 0 && sv.blockers_max_start[nb - 1] >= lo;
    const bool verb_after = !sv.verbs.empty() && sv.last_verb_start >= m.span.end;
    const CueHit* nearest = nullptr;
    if (verb_before) {
      size_t k = nv - 1;
      while (k > 0 && cues[sv.verbs[k - 1]].end == cues[sv.verbs[k]].end) --k;
      nearest = &cues[sv.verbs[k]];
    }
    if (level[line] != 0 || section[line] == kOtherSection) rule = false;
    if (rule && sentence_has(s, PolicyTermKind::kNonPractice, PolicyTermKind::kNonPractice)) {
      rule = false;
    }
    if (rule && !verb_in_sentence && !list) rule = false;
    // A generic term only as the object right after a practice verb (共享您的个人信息), within
    // 8 characters of the same clause, and with no rights/protection word there.
    if (rule && m.generic && (!verb8 || blocked8)) rule = false;
    if (!want) {
      m.practice = rule;
      m.score = rule ? 1 : 0;
      continue;
    }
    if (!sentence_done[s]) sentence_level(s, list);
    std::vector<std::string> fs;
    fs.push_back(rule ? "rule=1" : "rule=0");
    fs.push_back("term=" + m.term);
    fs.push_back("type=" + m.pi_type);
    std::string word = "w=";
    for (uint32_t i = ms; i < m.span.end; ++i) append_cp(word, folded[i]);
    fs.push_back(word + (rule ? "&rule=1" : "&rule=0"));
    fs.push_back(std::move(word));
    if (m.generic) fs.push_back(verb8 ? "gen&pv8" : "gen");
    if (m.contextual) {
      // The head noun (the longest pi_head cue ending where the candidate ends) and how long
      // the modifier before it is.
      const uint32_t hs = std::clamp(head_start[m.span.end], ms, m.span.end);
      std::string head = "hd=";
      for (uint32_t i = hs; i < m.span.end; ++i) append_cp(head, folded[i]);
      fs.push_back(std::move(head));
      fs.push_back("ml=" + bucket(hs - ms));
    }
    if (m.negated) fs.push_back("neg");
    for (size_t n = 1; n <= 3; ++n) {
      std::string left = "l" + std::to_string(n) + "=", right = "r" + std::to_string(n) + "=";
      for (size_t i = n; i >= 1; --i) append_cp(left, ms >= i ? folded[ms - i] : U'^');
      for (size_t i = 0; i < n; ++i) {
        append_cp(right, m.span.end + i < t.size() ? folded[m.span.end + i] : U'$');
      }
      fs.push_back(std::move(left));
      fs.push_back(std::move(right));
    }
    // Bigrams of the 12 characters before and after the mention within its sentence.
    {
      const uint32_t sb = r.sentences[s].first, se = r.sentences[s].second;
      std::vector<std::string> near;
      const uint32_t from = std::max(sb, ms >= 12 ? ms - 12 : 0u);
      for (uint32_t i = from; i + 1 < ms; ++i) {
        near.push_back(bigram("lb=", i));
      }
      const uint32_t to = std::min<uint32_t>(se, m.span.end + 12);
      for (uint32_t i = m.span.end; i + 1 < to; ++i) {
        near.push_back(bigram("rb=", i));
      }
      std::sort(near.begin(), near.end());
      near.erase(std::unique(near.begin(), near.end()), near.end());
      fs.insert(fs.end(), std::make_move_iterator(near.begin()),
                std::make_move_iterator(near.end()));
    }
    if (verb8) fs.push_back("pv8");
    if (blocked8) fs.push_back("gb8");
    if (verb_clause) fs.push_back("pvcl");
    if (verb_before) fs.push_back("pvs");
    if (verb_after) fs.push_back("pva");
    if (nearest != nullptr) {
      std::string name = "pvt=";
      for (uint32_t i = nearest->start; i < nearest->end; ++i) append_cp(name, folded[i]);
      fs.push_back(std::move(name));
    }
    fs.push_back("idx=" + bucket(index_in[mi]));
    if (index_in[mi] + 1 == mentions_in[s]) fs.push_back("lastm");
    if (model != nullptr) {
      double z = model->bias + sentence_sum[s];
      for (const std::string& f : fs) z += lookup(f);
      const double p = 1.0 / (1.0 + std::exp(-z));
      m.score = std::round(p * 1000) / 1000;
      m.practice = m.score >= model->threshold;
    } else {
      m.practice = rule;
      m.score = rule ? 1 : 0;
    }
    if (features != nullptr) {
      std::vector<std::string>& out = (*features)[mi];
      out = sentence_features[s];
      out.insert(out.end(), std::make_move_iterator(fs.begin()), std::make_move_iterator(fs.end()));
    }
  }
}

bool cjk_or_alnum(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || ascii_alnum(c);
}

/// Contextual candidates (docs/policy.md, "Contextual mentions"): every head noun (`pi_head`:
/// 信息, 数据, 记录 …) outside a PI term or stop phrase, with the modifier before it — at most 8
/// CJK letters or ASCII letters/digits, not over a PI term, a stop phrase, a cue that ends a
/// modifier (a practice verb, purpose, condition, sharing, negation, list or right-context
/// cue, a `pi_head_boundary` word such as 和/及) or punctuation, and not at all after a 等
/// right before the head (重力感应设备等信息 → 信息); a leading 的, 之 or 等 is dropped. Heads
/// whose candidates overlap (统计数据信息) make one candidate (at most kMaxContextual code points).
/// Appended to `r.mentions`, which is then sorted by position again.
constexpr uint32_t kMaxContextual = 16; ///< code points of a merged contextual candidate

template <class SpanFn>
void add_contextual(const std::vector<TermInfo>& terms, const std::u32string& t,
                    const std::vector<CueHit>& cues, const std::vector<uint8_t>& taken,
                    std::vector<uint8_t>& stops_before, PolicyReport& r,
                    const std::vector<uint32_t>& sentence_of, SpanFn&& span) {
  std::vector<const CueHit*> heads;
  for (const CueHit& c : cues) {
    switch (terms[c.term].kind) {
      case PolicyTermKind::kPiHead: heads.push_back(&c); break;
      case PolicyTermKind::kPractice:
      case PolicyTermKind::kPurpose:
      case PolicyTermKind::kCondition:
      case PolicyTermKind::kSharing:
      case PolicyTermKind::kNegation:
      case PolicyTermKind::kListIntro:
      case PolicyTermKind::kRightContext:
      case PolicyTermKind::kPiHeadBoundary: stops_before[c.end] = 1; break;
      default: break;
    }
  }
  if (heads.empty()) return;
  std::stable_sort(heads.begin(), heads.end(),
                   [](const CueHit* a, const CueHit* b) { return a->end < b->end; });
  std::vector<std::pair<uint32_t, uint32_t>> found; // [start, end), by end
  std::vector<uint32_t> entry;                      // the head's knowledge entry
  for (const CueHit* h : heads) {
    bool inside = false;
    for (uint32_t k = h->start; k < h->end && !inside; ++k) inside = taken[k] != 0;
    if (inside) continue;
    uint32_t b = h->start;
    // 等 right before the head ends a list (设备型号、重力感应设备等信息), elsewhere it is a
    // word (会员等级信息).
    const bool list_end = b > 0 && t[b - 1] == U'等';
    while (!list_end && b > 0 && h->start - b < 8 && !stops_before[b] && !taken[b - 1] &&
           cjk_or_alnum(t[b - 1])) {
      --b;
    }
    while (b < h->start && (t[b] == U'的' || t[b] == U'之' || t[b] == U'等')) ++b;
    if (!found.empty() && found.back().second > b) {
      if (h->end <= found.back().second) continue; // a head inside the last candidate
      if (h->end - std::min(found.back().first, b) <= kMaxContextual) {
        found.back().first = std::min(found.back().first, b);
        found.back().second = h->end;
        entry.back() = h->term;
        continue;
      }
      // A chain of heads (信息信息信息…) would make one endless candidate: cut it.
      b = std::max(found.back().second, h->start);
      found.emplace_back(b, h->end);
      entry.push_back(h->term);
    } else {
      found.emplace_back(b, h->end);
      entry.push_back(h->term);
    }
  }
  if (found.empty()) return;
  for (size_t i = 0; i < found.size(); ++i) {
    Mention m;
    m.span = span(found[i].first, found[i].second);
    m.pi_type = "personal_info";
    m.term = terms[entry[i]].id;
    m.generic = true;
    m.contextual = true;
    m.sentence = sentence_of[found[i].first];
    r.mentions.push_back(std::move(m));
  }
  std::stable_sort(r.mentions.begin(), r.mentions.end(),
                   [](const Mention& a, const Mention& b) { return a.span.start < b.span.start; });
}

/// Removes the contextual candidates the tagger did not take (`practice` false) and renumbers
/// the mention indices of negations and statements; a statement left without mentions goes.
void drop_rejected_contextual(PolicyReport& r) {
  auto rejected = [](const Mention& m) { return m.contextual && !m.practice; };
  if (std::none_of(r.mentions.begin(), r.mentions.end(), rejected)) return;
  std::vector<uint32_t> renumber(r.mentions.size(), UINT32_MAX);
  std::vector<Mention> kept;
  kept.reserve(r.mentions.size());
  for (size_t i = 0; i < r.mentions.size(); ++i) {
    if (rejected(r.mentions[i])) continue;
    renumber[i] = static_cast<uint32_t>(kept.size());
    kept.push_back(std::move(r.mentions[i]));
  }
  r.mentions = std::move(kept);
  auto fix = [&](std::vector<uint32_t>& list) {
    std::vector<uint32_t> out;
    for (uint32_t m : list) {
      if (renumber[m] != UINT32_MAX) out.push_back(renumber[m]);
    }
    list = std::move(out);
  };
  for (Negation& n : r.negations) fix(n.mentions);
  for (auto* statements : {&r.purposes, &r.conditions, &r.sharing}) {
    for (Statement& st : *statements) fix(st.mentions);
    statements->erase(std::remove_if(statements->begin(), statements->end(),
                                     [](const Statement& st) { return st.mentions.empty(); }),
                      statements->end());
  }
}

} // namespace

struct PolicyReader::Impl {
  std::vector<TermInfo> terms;
  Trie pi_trie;  ///< pi and stop terms (longest match)
  Trie cue_trie; ///< every other kind (all matches)
  std::vector<SdkName> sdk_names;
  Trie sdk_trie;
  std::set<std::u32string> generic; ///< folded generic PI terms
  std::optional<TaggerModel> model; ///< the learned practice tagger
};

PolicyReader::PolicyReader(const knowledge::Knowledge& k) : impl_(std::make_unique<Impl>()) {
  for (const knowledge::PolicyTerm& t : k.policy_terms()) {
    const uint32_t index = static_cast<uint32_t>(impl_->terms.size());
    impl_->terms.push_back({t.kind, t.id, t.pi_type, t.right});
    if (t.kind == PolicyTermKind::kGeneric) {
      for (const std::string& term : t.terms) {
        std::u32string f;
        for (char32_t c : from_utf8(term)) f += fold(c);
        impl_->generic.insert(f);
      }
      continue;
    }
    Trie& trie = (t.kind == PolicyTermKind::kPi || t.kind == PolicyTermKind::kStop)
                     ? impl_->pi_trie
                     : impl_->cue_trie;
    for (const std::string& term : t.terms) trie.insert(from_utf8(term), index);
  }
  if (const knowledge::PolicyTagger* tagger = k.policy_tagger()) {
    TaggerModel& m = impl_->model.emplace();
    m.bias = tagger->bias;
    m.threshold = tagger->threshold;
    m.weights.reserve(tagger->weights.size());
    for (const auto& [name, weight] : tagger->weights) m.weights.emplace(name, weight);
  }
  for (const knowledge::Sdk& s : k.sdks()) {
    const uint32_t index = static_cast<uint32_t>(impl_->sdk_names.size());
    impl_->sdk_names.push_back({s.id, s.name_zh});
    for (const std::u32string& form : sdk_surface_forms(s)) impl_->sdk_trie.insert(form, index);
  }
}

PolicyReader::~PolicyReader() = default;

PolicyReport PolicyReader::analyze(const PolicyText& doc,
                                   std::vector<std::vector<std::string>>* features) const {
  const Impl& im = *impl_;
  const std::u32string& t = doc.text;
  PolicyReport r;
  r.encoding = to_string(doc.encoding);
  r.format = to_string(doc.format);
  r.length = static_cast<uint32_t>(t.size());
  std::u32string folded(t.size(), 0);
  for (size_t i = 0; i < t.size(); ++i) folded[i] = fold(t[i]);
  auto span = [&](size_t s, size_t e) {
    return Span{static_cast<uint32_t>(s), static_cast<uint32_t>(e), doc.utf8(s, e)};
  };

  // Sentences: 。！？；!?; and line breaks end one; so does '.' before a blank or the end.
  {
    size_t start = 0;
    for (size_t i = 0; i <= t.size(); ++i) {
      bool end = i == t.size();
      if (!end) {
        char32_t c = t[i];
        end = c == U'。' || c == U'！' || c == U'？' || c == U'；' || c == '!' || c == '?' ||
              c == ';' || c == '\n' || c == '\r' ||
              (c == '.' && (i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\n'));
      }
      if (end) {
        size_t e = i < t.size() ? i + 1 : i;
        if (e > start) r.sentences.emplace_back(start, e);
        start = e;
      }
    }
  }
  std::vector<uint32_t> sentence_of(t.size() + 1, 0);
  for (uint32_t s = 0; s < r.sentences.size(); ++s) {
    for (uint32_t i = r.sentences[s].first; i < r.sentences[s].second; ++i) sentence_of[i] = s;
  }

  // Mentions: longest match over PI and stop terms, left to right, no overlaps. `taken`:
  // inside a PI term or stop phrase; `stops_before[i]`: a contextual candidate's modifier
  // does not extend from i to i - 1 (a term, a cue or a boundary word ends at i).
  std::vector<uint8_t> taken(t.size(), 0), stops_before(t.size() + 1, 0);
  for (size_t i = 0; i < t.size();) {
    size_t best_end = 0;
    uint32_t best = 0;
    im.pi_trie.each(folded, i, [&](size_t end, const std::vector<uint32_t>& payloads) {
      best_end = end;
      best = payloads.front();
    });
    if (best_end == 0) {
      ++i;
      continue;
    }
    const TermInfo& info = im.terms[best];
    if (info.kind == PolicyTermKind::kPi) {
      Mention m;
      m.span = span(i, best_end);
      m.pi_type = info.pi_type;
      m.term = info.id;
      m.sentence = sentence_of[i];
      r.mentions.push_back(std::move(m));
    }
    for (size_t k = i; k < best_end; ++k) taken[k] = 1;
    stops_before[best_end] = 1;
    i = best_end;
  }

  // Cues, every match (they may overlap).
  std::vector<CueHit> cues;
  for (size_t i = 0; i < t.size(); ++i) {
    im.cue_trie.each(folded, i, [&](size_t end, const std::vector<uint32_t>& payloads) {
      for (uint32_t p : payloads) {
        cues.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end), p});
      }
    });
  }
  add_contextual(im.terms, t, cues, taken, stops_before, r, sentence_of, span);
  // Per sentence: the cues in it, by kind.
  std::vector<std::vector<uint32_t>> sentence_cues(r.sentences.size());
  for (uint32_t c = 0; c < cues.size(); ++c) sentence_cues[sentence_of[cues[c].start]].push_back(c);
  std::vector<std::vector<uint32_t>> sentence_mentions(r.sentences.size());
  for (uint32_t m = 0; m < r.mentions.size(); ++m) {
    sentence_mentions[r.mentions[m].sentence].push_back(m);
  }
  // The earliest cue of a kind in a sentence; the longest of those starting there.
  auto first_cue = [&](uint32_t s, PolicyTermKind kind) -> const CueHit* {
    const CueHit* best = nullptr;
    for (uint32_t c : sentence_cues[s]) {
      if (im.terms[cues[c].term].kind != kind) continue;
      if (best == nullptr || cues[c].start < best->start ||
          (cues[c].start == best->start && cues[c].end > best->end)) {
        best = &cues[c];
      }
    }
    return best;
  };

  std::map<std::string, Right> rights;
  for (uint32_t s = 0; s < r.sentences.size(); ++s) {
    const uint32_t ss = r.sentences[s].first, se = r.sentences[s].second;
    const auto& ms = sentence_mentions[s];
    if (const CueHit* neg = first_cue(s, PolicyTermKind::kNegation)) {
      uint32_t scope_end = se;
      bool conditional = false;
      for (uint32_t c : sentence_cues[s]) {
        const PolicyTermKind kind = im.terms[cues[c].term].kind;
        if (kind != PolicyTermKind::kException && kind != PolicyTermKind::kContrast) continue;
        if (kind == PolicyTermKind::kException) conditional = true;
        if (cues[c].start >= neg->end && cues[c].start < scope_end) scope_end = cues[c].start;
      }
      Negation n;
      n.span = span(neg->start, scope_end);
      n.cue = span(neg->start, neg->end);
      n.conditional = conditional;
      for (uint32_t m : ms) {
        if (r.mentions[m].span.start >= neg->start && r.mentions[m].span.end <= scope_end) {
          r.mentions[m].negated = true;
          n.mentions.push_back(m);
        }
      }
      r.negations.push_back(std::move(n));
    }
    if (!ms.empty()) {
      auto statement = [&](PolicyTermKind kind, std::vector<Statement>& out) {
        if (const CueHit* c = first_cue(s, kind)) {
          out.push_back({span(ss, se), span(c->start, c->end), ms});
        }
      };
      statement(PolicyTermKind::kPurpose, r.purposes);
      statement(PolicyTermKind::kCondition, r.conditions);
      statement(PolicyTermKind::kSharing, r.sharing);
    }
    if (first_cue(s, PolicyTermKind::kRightContext) != nullptr) {
      std::set<std::string> granted;
      for (uint32_t c : sentence_cues[s]) {
        const TermInfo& info = im.terms[cues[c].term];
        if (info.kind == PolicyTermKind::kRight) granted.insert(info.right);
      }
      for (const std::string& g : granted) {
        Right& right = rights[g];
        right.right = g;
        ++right.count;
        if (right.evidence.size() < 3) right.evidence.push_back(span(ss, se));
      }
    }
  }
  for (auto& [name, right] : rights) r.rights.push_back(std::move(right));

  mark_practice(im.terms, im.generic, t, folded, r, cues, sentence_cues,
                im.model ? &*im.model : nullptr, features);
  if (features == nullptr) drop_rejected_contextual(r);

  // Policy title, SDK list heading, last-updated date.
  uint32_t sdk_list_at = UINT32_MAX;
  for (const CueHit& c : cues) {
    const TermInfo& info = im.terms[c.term];
    if (info.kind == PolicyTermKind::kPolicyTitle) r.looks_like_policy = true;
    if (info.kind == PolicyTermKind::kSdkSection && sdk_list_at == UINT32_MAX) {
      sdk_list_at = c.start;
      r.sdk_list = span(c.start, c.end);
    }
    if (info.kind == PolicyTermKind::kUpdated && !r.last_updated) {
      size_t j = c.end;
      const size_t limit = std::min(t.size(), j + 40);
      for (; j < limit; ++j) {
        std::string iso;
        size_t end = parse_date(t, folded, j, iso);
        if (end != 0) {
          r.last_updated = LastUpdated{iso, span(c.start, c.end), span(j, end)};
          break;
        }
        if (t[j] == '\n' && j > c.end + 2) break;
      }
    }
  }

  // SDKs: longest match of the catalog's names and packages.
  std::map<uint32_t, SdkMatch> sdks;
  for (size_t i = 0; i < t.size();) {
    size_t best_end = 0;
    const std::vector<uint32_t>* best = nullptr;
    im.sdk_trie.each(folded, i, [&](size_t end, const std::vector<uint32_t>& payloads) {
      best_end = end;
      best = &payloads;
    });
    if (best == nullptr) {
      ++i;
      continue;
    }
    for (uint32_t p : *best) {
      SdkMatch& m = sdks[p];
      m.sdk = im.sdk_names[p].sdk;
      m.name = im.sdk_names[p].name;
      if (m.matches.size() < 5) m.matches.push_back(span(i, best_end));
      if (sdk_list_at != UINT32_MAX && i >= sdk_list_at) m.in_sdk_list = true;
    }
    i = best_end;
  }
  for (auto& [index, m] : sdks) r.sdks.push_back(std::move(m));
  std::sort(r.sdks.begin(), r.sdks.end(), [](const SdkMatch& a, const SdkMatch& b) {
    return a.matches.front().start != b.matches.front().start
               ? a.matches.front().start < b.matches.front().start
               : a.sdk < b.sdk;
  });

  // Contacts: e-mail addresses, URLs, phone numbers, postal addresses after a label.
  for (size_t i = 0; i < t.size(); ++i) {
    char32_t c = folded[i];
    if (c == '@' && i > 0 && email_local(folded[i - 1])) {
      size_t s = i;
      while (s > 0 && email_local(folded[s - 1])) --s;
      size_t e = i + 1;
      while (e < t.size() && email_domain(folded[e])) ++e;
      while (e > i + 1 && folded[e - 1] == '.') --e;
      std::u32string_view dom(folded.data() + i + 1, e - i - 1);
      size_t dot = dom.rfind('.');
      if (dot != std::u32string_view::npos && dot > 0 && dom.size() - dot - 1 >= 2) {
        r.contacts.push_back({"email", span(s, e)});
        i = e;
        continue;
      }
    }
    if ((c == 'h' &&
         (folded.compare(i, 7, U"http://") == 0 || folded.compare(i, 8, U"https://") == 0)) ||
        (c == 'w' && folded.compare(i, 4, U"www.") == 0 && (i == 0 || !url_char(folded[i - 1])))) {
      size_t e = i;
      while (e < t.size() && url_char(folded[e])) ++e;
      while (e > i && (folded[e - 1] == '.' || folded[e - 1] == ',' || folded[e - 1] == ';')) --e;
      if (e - i > 8) {
        r.contacts.push_back({"url", span(i, e)});
        i = e;
        continue;
      }
    }
    if (is_digit(c) && (i == 0 || (!ascii_alnum(folded[i - 1]) && folded[i - 1] != '-' &&
                                   folded[i - 1] != '.' && folded[i - 1] != '/'))) {
      // A run of digits, '-' and blanks; then its digits decide whether it is a phone number.
      size_t e = i;
      std::string digits;
      while (e < t.size() && (is_digit(folded[e]) || folded[e] == '-' ||
                              (folded[e] == ' ' && e + 1 < t.size() && is_digit(folded[e + 1])))) {
        if (is_digit(folded[e])) digits += static_cast<char>(folded[e]);
        ++e;
      }
      while (e > i && !is_digit(folded[e - 1])) --e;
      bool letter_after = e < t.size() && ascii_alnum(folded[e]);
      bool phone =
          !letter_after &&
          ((digits.size() == 11 && digits[0] == '1' && digits[1] >= '3') ||
           (digits.size() == 10 && (digits.rfind("400", 0) == 0 || digits.rfind("800", 0) == 0)) ||
           (digits.size() >= 10 && digits.size() <= 12 && digits[0] == '0' &&
            folded.substr(i, e - i).find('-') != std::u32string::npos));
      if (phone) r.contacts.push_back({"phone", span(i, e)});
      i = e;
      continue;
    }
  }
  for (uint32_t s = 0; s < r.sentences.size(); ++s) {
    const uint32_t ss = r.sentences[s].first, se = r.sentences[s].second;
    std::u32string_view sent(folded.data() + ss, se - ss);
    for (std::u32string_view label : {U"地址：", U"地址:", U"address:"}) {
      size_t p = sent.find(label);
      if (p == std::u32string_view::npos) continue;
      size_t b = ss + p + label.size();
      size_t e = se;
      while (b < e && (t[b] == ' ' || t[b] == '\t')) ++b;
      while (e > b && (t[e - 1] == U'。' || t[e - 1] == U'；' || t[e - 1] == '\n' ||
                       t[e - 1] == ' ' || t[e - 1] == '.' || t[e - 1] == ';' || t[e - 1] == '\r')) {
        --e;
      }
      if (e > b + 3) r.contacts.push_back({"address", span(b, e)});
      break;
    }
  }
  std::sort(r.contacts.begin(), r.contacts.end(), [](const Contact& a, const Contact& b) {
    return a.span.start != b.span.start ? a.span.start < b.span.start : a.kind < b.kind;
  });
  return r;
}

} // namespace appaudit::policy
