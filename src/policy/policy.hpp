#pragma once
/// Reading a privacy policy: what personal information (PI) it mentions and what it says
/// about it — negations, purposes, collection conditions, third-party sharing, the list of
/// third-party SDKs, users' rights and the channels to exercise them, contacts, and the
/// last-updated date. These are the policy's *declarations*; comparing them with what the
/// code does is the rules layer's job.
///
/// How (docs/policy.md): the text is split into sentences (。！？；!? line breaks, and ". "
/// in English). PI terms and stop phrases from knowledge/policy_terms.json are matched with
/// one trie over code points, longest match first (ASCII case-insensitive, ASCII terms only
/// at word boundaries); stop phrases (个人信息保护政策) hide the PI terms inside them.
/// Everything else is sentence-level: a sentence with a negation cue negates the mentions
/// after the cue up to a contrast word (但/除非/but), a purpose or condition cue links the
/// sentence's mentions to it, and so on. Offsets are code points of `PolicyText::text`.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "knowledge/knowledge.hpp"
#include "policy/text.hpp"

namespace appaudit::policy {

struct Span {
  uint32_t start = 0, end = 0; ///< code points, [start, end)
  std::string text;            ///< UTF-8 of the span
};

/// A mention of personal information.
struct Mention {
  Span span;
  std::string pi_type; ///< PI type id (a broad one, e.g. device_info, when the text is vague)
  std::string term;    ///< the knowledge entry id that matched (pi.<pi_type>)
  bool negated = false;
  /// The mention is the object of a data-practice statement (collected, used, shared, stored,
  /// accessed …), the way the CA4P annotators mark data: a sentence with a practice verb, or a
  /// list introduced by one ("我们会收集以下信息："); not a heading; not in a section about
  /// rights, security, minors, definitions or policy updates; no rights/protection word in
  /// the sentence; a generic term only right after a practice verb. That rule is one feature
  /// of the learned tagger, which decides: see `score` and docs/policy.md.
  bool practice = false;
  /// The learned tagger's probability that the annotators would label this mention as data
  /// (knowledge/policy_tagger.json; 0–1, three decimals); `practice` is score >= the model's
  /// threshold. Without a model: 1 when the rule above holds, else 0.
  double score = 0;
  bool generic = false; ///< a vague term (个人信息, 用户信息), knowledge kind `generic`
  /// Not a knowledge term but a vague phrase found by its head noun (统计信息, 搜索或浏览的信息;
  /// knowledge kind `pi_head`), pi_type `personal_info`: kept only when the learned tagger
  /// takes it for the object of a data practice (docs/policy.md, "Contextual mentions").
  bool contextual = false;
  uint32_t sentence = 0; ///< index into PolicyReport::sentences
};

/// A sentence (or clause) that says something is not done.
struct Negation {
  Span span;                ///< from the cue to the end of its scope
  Span cue;                 ///< e.g. 不会收集
  bool conditional = false; ///< the sentence carries an exception (除非, 未经…同意, unless)
  std::vector<uint32_t> mentions; ///< indices into PolicyReport::mentions
};

/// A purpose, collection condition or sharing statement and the mentions of its sentence.
struct Statement {
  Span span; ///< the sentence
  Span cue;
  std::vector<uint32_t> mentions;
};

struct SdkMatch {
  std::string sdk; ///< SDK id from knowledge/sdks/*.json
  std::string name;
  std::vector<Span> matches;
  bool in_sdk_list = false; ///< at least one match lies in a third-party SDK list section
};

struct Right {
  std::string right; ///< access, correction, deletion, account_closure, complaint, withdraw_consent
  std::vector<Span> evidence; ///< the sentences that grant it (the first few)
  uint32_t count = 0;         ///< all such sentences
};

struct Contact {
  std::string kind; ///< email, phone, url, address
  Span span;
};

struct LastUpdated {
  std::string date; ///< YYYY-MM-DD, or "" when the text could not be normalised
  Span label;       ///< e.g. 更新日期
  Span text;        ///< the date as written
};

struct PolicyReport {
  std::string encoding;           ///< utf-8, utf-16le, utf-16be, gb18030
  std::string format;             ///< text or html
  uint32_t length = 0;            ///< code points of the text
  bool looks_like_policy = false; ///< a policy title (隐私政策, Privacy Policy) occurs
  std::vector<std::pair<uint32_t, uint32_t>> sentences;
  std::vector<Mention> mentions;
  std::vector<Negation> negations;
  std::vector<Statement> purposes;
  std::vector<Statement> conditions;
  std::vector<Statement> sharing;
  std::vector<SdkMatch> sdks;
  std::vector<Right> rights;
  std::vector<Contact> contacts;
  std::optional<LastUpdated> last_updated;
  Span sdk_list; ///< the first third-party SDK list heading, empty when none
};

/// The matchers built once from the knowledge base (policy terms and the SDK catalog).
class PolicyReader {
 public:
  explicit PolicyReader(const knowledge::Knowledge& k);
  ~PolicyReader();
  PolicyReader(const PolicyReader&) = delete;
  PolicyReader& operator=(const PolicyReader&) = delete;

  /// Reads the text. When `features` is given, it receives the tagger's features of every
  /// mention (same order as PolicyReport::mentions): what the trainer learns from. Then the
  /// contextual candidates the tagger drops are kept too (with practice false), so that the
  /// trainer sees them; without `features` they are removed.
  PolicyReport analyze(const PolicyText& text,
                       std::vector<std::vector<std::string>>* features = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace appaudit::policy
