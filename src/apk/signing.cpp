/*
 * APK signature reading and verification: v1 (signed JAR), v2, v3 and v3.1.
 *
 * APK Signing Block (source.android.com, "APK Signature Scheme v2", "APK Signing Block"):
 *   u64 size (excluding this field) | ID-value pairs (u64 length, u32 id, value) |
 *   u64 size (same) | "APK Sig Block 42", placed immediately before the central directory.
 * v2 block value: length-prefixed sequence of length-prefixed signers; signer = signed data,
 *   signatures (algorithm id, signature), public key (SubjectPublicKeyInfo). Signed data =
 *   digests (algorithm id, digest), X.509 certificates, additional attributes (id, value).
 * v3 ("APK Signature Scheme v3"): signer and signed data additionally carry u32 minSDK and
 *   maxSDK; the proof-of-rotation lineage is additional attribute 0x3ba06f8c. v3.1 (block id
 *   0x1b93ad61) uses the v3 format.
 * Content digest ("Integrity-protected contents"): sections [entries before the signing block],
 *   [central directory], [EOCD with its CD offset replaced by the signing block offset] are cut
 *   into 1 MiB chunks; each chunk is hashed as 0xa5 | u32 length | bytes, and the top-level
 *   digest is 0x5a | u32 chunk count | chunk digests. Computed by streaming over the mapped APK.
 * v1 (JAR File Specification, "Signed JAR File"): META-INF/X.SF signs MANIFEST.MF (whole file
 *   or per section), META-INF/X.{RSA,DSA,EC} is a PKCS#7 SignedData over X.SF, and MANIFEST.MF
 *   holds "<alg>-Digest" of each entry.
 * Which checks make an APK verify follows apksigner (apksig ApkVerifier); docs/signing.md lists
 * what is not modelled (SDK-dependent algorithm rules, verity digests, lineage signatures).
 */
#include "apk/signing.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

constexpr std::string_view kBlockMagic = "APK Sig Block 42";
constexpr uint32_t kStrippingProtectionAttr = 0xbeeff00d; // v2 attr: "also signed with v3"
constexpr uint32_t kLineageAttr = 0x3ba06f8c;             // v3 proof-of-rotation
constexpr uint64_t kChunkSize = 1u << 20;
constexpr uint64_t kEocdMinSize = 22;

// ---------------------------------------------------------------- OpenSSL helpers

struct OsslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
template <class T>
using Ossl = std::unique_ptr<T, OsslFree>;

std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

std::vector<uint8_t> digest(const EVP_MD* md, ByteView data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) return {};
  out.resize(len);
  return out;
}

std::string digest_hex(const EVP_MD* md, ByteView data) {
  auto d = digest(md, data);
  return to_hex(d.data(), d.size());
}

std::string name_rfc2253(const X509_NAME* name) {
  Ossl<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return {};
  // RFC 2253 like Java's X500Principal.getName(), but keep UTF-8 instead of \XX escapes.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string iso_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSASSA-PSS";
    case EVP_PKEY_EC: return "EC";
    case EVP_PKEY_DSA: return "DSA";
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    default: return "unknown";
  }
}

/// Describes a DER certificate; digests are always set, the rest when OpenSSL parses it.
CertificateInfo describe_certificate(ByteView der, Ossl<X509>* parsed = nullptr) {
  CertificateInfo info;
  info.sha256 = digest_hex(EVP_sha256(), der);
  info.sha1 = digest_hex(EVP_sha1(), der);
  const unsigned char* p = der.data();
  Ossl<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return info;
  info.subject = name_rfc2253(X509_get_subject_name(cert.get()));
  info.issuer = name_rfc2253(X509_get_issuer_name(cert.get()));
  info.not_before = iso_time(X509_get0_notBefore(cert.get()));
  info.not_after = iso_time(X509_get0_notAfter(cert.get()));
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get())) {
    Ossl<BIGNUM> bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (bn) {
      char* hex = BN_bn2hex(bn.get());
      if (hex != nullptr) {
        info.serial_hex = hex;
        for (char& c : info.serial_hex) c = static_cast<char>(std::tolower(c));
        OPENSSL_free(hex);
      }
    }
  }
  if (EVP_PKEY* key = X509_get0_pubkey(cert.get())) {
    info.key_type = key_type_name(key);
    info.key_bits = EVP_PKEY_get_bits(key);
  }
  if (parsed != nullptr) *parsed = std::move(cert);
  return info;
}

std::vector<uint8_t> encode_x509(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::vector<uint8_t> out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

// ---------------------------------------------------------------- v2/v3 algorithms

enum class ContentDigest { kSha256, kSha512, kVeritySha256 };

struct SigAlgorithm {
  uint32_t id;
  const char* name;
  bool pss;
  bool sha512;
  ContentDigest content;
  int rank; ///< higher is preferred (apksigner: strongest content digest; verity last)
};

constexpr std::array<SigAlgorithm, 10> kSigAlgorithms{{
    {0x0101, "RSA-PSS-SHA256", true, false, ContentDigest::kSha256, 2},
    {0x0102, "RSA-PSS-SHA512", true, true, ContentDigest::kSha512, 3},
    {0x0103, "RSA-PKCS1-SHA256", false, false, ContentDigest::kSha256, 2},
    {0x0104, "RSA-PKCS1-SHA512", false, true, ContentDigest::kSha512, 3},
    {0x0201, "ECDSA-SHA256", false, false, ContentDigest::kSha256, 2},
    {0x0202, "ECDSA-SHA512", false, true, ContentDigest::kSha512, 3},
    {0x0301, "DSA-SHA256", false, false, ContentDigest::kSha256, 2},
    {0x0421, "RSA-PKCS1-SHA256-VERITY", false, false, ContentDigest::kVeritySha256, 1},
    {0x0423, "ECDSA-SHA256-VERITY", false, false, ContentDigest::kVeritySha256, 1},
    {0x0425, "DSA-SHA256-VERITY", false, false, ContentDigest::kVeritySha256, 1},
}};

const SigAlgorithm* find_algorithm(uint32_t id) {
  for (const auto& a : kSigAlgorithms)
    if (a.id == id) return &a;
  return nullptr;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

bool verify_raw(const SigAlgorithm& alg, EVP_PKEY* key, ByteView data, ByteView sig) {
  Ossl<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  const EVP_MD* md = alg.sha512 ? EVP_sha512() : EVP_sha256();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key) != 1) return false;
  if (alg.pss) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, alg.sha512 ? 64 : 32) != 1)
      return false;
  }
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size()) == 1;
}

/// Reads a u32-length-prefixed field.
bool take_lp(ByteReader& r, ByteView& out) {
  uint32_t len = r.u32();
  out = r.take(len);
  return r.ok();
}

/// Chunked content digests over the three APK sections, computed once per algorithm.
class ContentDigester {
 public:
  ContentDigester(ByteView apk, const ZipSections& s, uint64_t block_offset)
      : apk_(apk), s_(s), block_offset_(block_offset) {}

  /// The digest, or an empty vector with `why` set.
  const std::vector<uint8_t>& get(ContentDigest kind, std::string& why) {
    auto it = cache_.find(kind);
    if (it == cache_.end()) it = cache_.emplace(kind, compute(kind, why_[kind])).first;
    why = why_[kind];
    return it->second;
  }

 private:
  std::vector<uint8_t> compute(ContentDigest kind, std::string& why) {
    if (kind == ContentDigest::kVeritySha256) {
      why = "verity (Merkle tree) content digest not computed";
      return {};
    }
    const EVP_MD* md = kind == ContentDigest::kSha512 ? EVP_sha512() : EVP_sha256();
    bool ok1 = false, ok2 = false, ok3 = false;
    ByteView before = subview(apk_, 0, block_offset_, &ok1);
    ByteView cd = subview(apk_, s_.cd_offset, s_.cd_size, &ok2);
    ByteView eocd_src = s_.eocd_offset <= apk_.size() ? apk_.subspan(s_.eocd_offset) : ByteView{};
    ok3 = eocd_src.size() >= kEocdMinSize && eocd_src.size() <= kEocdMinSize + 0xffff;
    if (!ok1 || !ok2 || !ok3 || block_offset_ > 0xffffffffu) {
      why = "ZIP sections out of range for the content digest";
      return {};
    }
    std::vector<uint8_t> eocd(eocd_src.begin(), eocd_src.end());
    for (int i = 0; i < 4; ++i) eocd[16 + i] = static_cast<uint8_t>(block_offset_ >> (8 * i));
    const std::array<ByteView, 3> sections{before, cd, ByteView(eocd)};
    uint64_t chunks = 0;
    for (ByteView sec : sections) chunks += (sec.size() + kChunkSize - 1) / kChunkSize;
    Ossl<EVP_MD_CTX> top(EVP_MD_CTX_new()), chunk(EVP_MD_CTX_new());
    if (!top || !chunk || chunks > 0xffffffffu) {
      why = "content digest failed";
      return {};
    }
    auto put_u32 = [](EVP_MD_CTX* c, uint8_t prefix, uint64_t v) {
      const uint8_t b[5] = {prefix, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                            static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
      return EVP_DigestUpdate(c, b, sizeof b) == 1;
    };
    bool ok = EVP_DigestInit_ex(top.get(), md, nullptr) == 1 && put_u32(top.get(), 0x5a, chunks);
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    for (ByteView sec : sections) {
      for (uint64_t off = 0; ok && off < sec.size(); off += kChunkSize) {
        ByteView part = sec.subspan(off, std::min<uint64_t>(kChunkSize, sec.size() - off));
        ok = EVP_DigestInit_ex(chunk.get(), md, nullptr) == 1 &&
             put_u32(chunk.get(), 0xa5, part.size()) &&
             EVP_DigestUpdate(chunk.get(), part.data(), part.size()) == 1 &&
             EVP_DigestFinal_ex(chunk.get(), d, &dlen) == 1 &&
             EVP_DigestUpdate(top.get(), d, dlen) == 1;
      }
    }
    if (!ok || EVP_DigestFinal_ex(top.get(), d, &dlen) != 1) {
      why = "content digest failed";
      return {};
    }
    return std::vector<uint8_t>(d, d + dlen);
  }

  ByteView apk_;
  ZipSections s_;
  uint64_t block_offset_;
  std::map<ContentDigest, std::vector<uint8_t>> cache_;
  std::map<ContentDigest, std::string> why_;
};

// ---------------------------------------------------------------- per-scheme results

struct SchemeSigner {
  CertificateInfo cert; ///< sha256 empty when the signer has no certificate
  bool verified = false;
  std::string message;
  int64_t min_sdk = -1, max_sdk = -1;
  std::vector<std::string> lineage;
};

struct SchemeResult {
  std::string scheme;
  bool present = false;
  bool verified = false;
  std::string message;
  std::vector<SchemeSigner> signers;
  bool claims_v3 = false;               ///< v2: stripping-protection attribute names v3
  std::vector<uint32_t> apk_signed_ids; ///< v1: X-Android-APK-Signed scheme ids
};

std::vector<std::string> parse_lineage(ByteView value) {
  std::vector<std::string> out;
  ByteReader r(value);
  r.u32(); // version
  while (r.ok() && r.remaining() > 0 && out.size() < limits::kMaxCertificatesPerSigner) {
    ByteView node, signed_data, cert;
    if (!take_lp(r, node)) break;
    ByteReader n(node);
    if (!take_lp(n, signed_data)) break;
    ByteReader sd(signed_data);
    if (!take_lp(sd, cert)) break;
    out.push_back(digest_hex(EVP_sha256(), cert));
  }
  return out;
}

/// Parses and verifies one v2/v3 signer. Returns the failure message ("" when verified).
std::string verify_block_signer(ByteView signer, bool v3, ContentDigester& digester,
                                SchemeSigner& out, bool& claims_v3) {
  ByteReader r(signer);
  ByteView signed_data, signatures, public_key;
  if (!take_lp(r, signed_data)) return "malformed signer: signed data";
  uint32_t min_sdk = 0, max_sdk = 0;
  if (v3) {
    min_sdk = r.u32();
    max_sdk = r.u32();
  }
  if (!take_lp(r, signatures) || !take_lp(r, public_key)) return "malformed signer";
  if (v3) {
    out.min_sdk = min_sdk;
    out.max_sdk = max_sdk;
  }

  ByteReader d(signed_data);
  ByteView digests, certs, attrs;
  if (!take_lp(d, digests) || !take_lp(d, certs)) return "malformed signed data";
  uint32_t sd_min = 0, sd_max = 0;
  if (v3) {
    sd_min = d.u32();
    sd_max = d.u32();
  }
  if (!take_lp(d, attrs)) return "malformed signed data";

  // Certificates: the first one is the signer's.
  std::vector<ByteView> cert_list;
  for (ByteReader c(certs); c.remaining() > 0;) {
    ByteView der;
    if (!take_lp(c, der)) return "malformed certificate list";
    if (cert_list.size() >= limits::kMaxCertificatesPerSigner) return "too many certificates";
    cert_list.push_back(der);
  }
  Ossl<X509> cert;
  if (!cert_list.empty()) out.cert = describe_certificate(cert_list[0], &cert);

  // Additional attributes.
  for (ByteReader a(attrs); a.remaining() > 0;) {
    ByteView attr;
    if (!take_lp(a, attr) || attr.size() < 4) return "malformed additional attribute";
    uint32_t id = load_u32le(attr.data());
    ByteView value = attr.subspan(4);
    if (!v3 && id == kStrippingProtectionAttr && value.size() >= 4 && load_u32le(value.data()) == 3)
      claims_v3 = true;
    if (v3 && id == kLineageAttr) out.lineage = parse_lineage(value);
  }

  // Signatures: pick the strongest supported algorithm, like apksigner.
  std::vector<uint32_t> sig_ids;
  const SigAlgorithm* best = nullptr;
  ByteView best_sig;
  for (ByteReader s(signatures); s.remaining() > 0;) {
    ByteView rec, sig;
    if (!take_lp(s, rec)) return "malformed signatures";
    ByteReader rr(rec);
    uint32_t id = rr.u32();
    if (!take_lp(rr, sig)) return "malformed signature record";
    if (sig_ids.size() >= limits::kMaxSignaturesPerSigner) return "too many signatures";
    sig_ids.push_back(id);
    const SigAlgorithm* alg = find_algorithm(id);
    if (alg != nullptr && (best == nullptr || alg->rank > best->rank)) {
      best = alg;
      best_sig = sig;
    }
  }
  if (sig_ids.empty()) return "no signatures";
  if (best == nullptr) return "no supported signature algorithms";

  const unsigned char* kp = public_key.data();
  Ossl<EVP_PKEY> key(d2i_PUBKEY(nullptr, &kp, static_cast<long>(public_key.size())));
  if (!key) return "malformed public key";
  if (!verify_raw(*best, key.get(), signed_data, best_sig))
    return std::string(best->name) + " signature over signed data did not verify";

  // Digest records must name the same algorithms as the signatures, in the same order.
  std::vector<uint32_t> digest_ids;
  ByteView best_digest;
  bool have_best_digest = false;
  for (ByteReader s(digests); s.remaining() > 0;) {
    ByteView rec, dg;
    if (!take_lp(s, rec)) return "malformed digests";
    ByteReader rr(rec);
    uint32_t id = rr.u32();
    if (!take_lp(rr, dg)) return "malformed digest record";
    if (digest_ids.size() >= limits::kMaxSignaturesPerSigner) return "too many digests";
    digest_ids.push_back(id);
    if (id == best->id && !have_best_digest) {
      best_digest = dg;
      have_best_digest = true;
    }
  }
  if (digest_ids != sig_ids)
    return "signature algorithms do not match between digests and signatures records";

  if (cert_list.empty()) return "no certificates";
  if (!cert) return "malformed certificate";
  {
    X509_PUBKEY* pk = X509_get_X509_PUBKEY(cert.get());
    unsigned char* enc = nullptr;
    int len = pk != nullptr ? i2d_X509_PUBKEY(pk, &enc) : -1;
    bool same = len > 0 && static_cast<size_t>(len) == public_key.size() &&
                std::equal(public_key.begin(), public_key.end(), enc);
    OPENSSL_free(enc);
    if (!same) return "public key mismatch between certificate and signature record";
  }
  if (v3) {
    if (sd_min != min_sdk || sd_max != max_sdk)
      return "SDK version mismatch between signed data and signer";
    if (min_sdk > max_sdk) return "minSdk greater than maxSdk";
  }

  std::string why;
  const std::vector<uint8_t>& actual = digester.get(best->content, why);
  if (actual.empty()) return why;
  if (!have_best_digest || best_digest.size() != actual.size() ||
      !std::equal(actual.begin(), actual.end(), best_digest.begin()))
    return std::string(best->name) + " content digest mismatch (APK contents changed)";
  return {};
}

SchemeResult verify_scheme_block(ByteView value, uint32_t id, ContentDigester& digester) {
  SchemeResult res;
  res.present = true;
  bool v3 = id != kV2BlockId;
  res.scheme = id == kV2BlockId ? "v2" : id == kV3BlockId ? "v3" : "v3.1";
  ByteReader r(value);
  ByteView signers;
  if (!take_lp(r, signers)) {
    res.message = "malformed signer sequence";
    return res;
  }
  bool all = true;
  for (ByteReader s(signers); s.remaining() > 0;) {
    ByteView one;
    if (!take_lp(s, one)) {
      res.message = "malformed signer #" + std::to_string(res.signers.size() + 1);
      return res;
    }
    if (res.signers.size() >= limits::kMaxSigners) {
      res.message = "too many signers";
      return res;
    }
    SchemeSigner signer;
    signer.message = verify_block_signer(one, v3, digester, signer, res.claims_v3);
    signer.verified = signer.message.empty();
    if (!signer.verified && all) {
      res.message = "signer #" + std::to_string(res.signers.size() + 1) + ": " + signer.message;
      all = false;
    }
    res.signers.push_back(std::move(signer));
  }
  if (res.signers.empty()) {
    res.message = "no signers";
    return res;
  }
  res.verified = all;
  return res;
}

// ---------------------------------------------------------------- v1 (signed JAR)

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

/// One manifest / .SF section: attributes and the raw byte range it occupies.
struct JarSection {
  std::string name; ///< "Name" attribute, empty for the main section
  size_t begin = 0, end = 0;
  std::vector<std::pair<std::string, std::string>> attrs;

  const std::string* get(std::string_view key) const {
    for (const auto& [k, v] : attrs)
      if (iequals(k, key)) return &v;
    return nullptr;
  }
};

struct JarManifest {
  JarSection main;
  std::vector<JarSection> sections;
  std::string error; ///< first structural problem, empty when fine
};

/// JAR manifest syntax: lines end in CRLF, LF or CR; a line starting with a space continues the
/// previous one; sections are separated by empty lines; a section's bytes include its
/// terminating empty line (that is what .SF section digests cover).
JarManifest parse_jar_manifest(std::string_view text) {
  JarManifest m;
  JarSection cur;
  bool in_section = false, main_done = false;
  size_t pos = 0;
  auto finish = [&](size_t end) {
    cur.end = end;
    if (!main_done) {
      m.main = std::move(cur);
      main_done = true;
    } else {
      const std::string* name = cur.get("Name");
      if (name == nullptr) {
        if (m.error.empty())
          m.error = "individual section #" + std::to_string(m.sections.size() + 1) +
                    " does not have a name";
      } else {
        cur.name = *name;
        m.sections.push_back(std::move(cur));
      }
    }
    cur = JarSection{};
    in_section = false;
  };
  while (pos < text.size()) {
    size_t eol = text.find_first_of("\r\n", pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    if (eol != std::string_view::npos && text[eol] == '\r' && next < text.size() &&
        text[next] == '\n')
      ++next;
    std::string_view line =
        text.substr(pos, (eol == std::string_view::npos ? text.size() : eol) - pos);
    if (line.empty()) {
      if (in_section || !main_done) {
        if (!in_section) cur.begin = pos;
        finish(next);
      }
    } else {
      if (!in_section) {
        cur.begin = pos;
        in_section = true;
      }
      if (line[0] == ' ') {
        if (!cur.attrs.empty()) cur.attrs.back().second.append(line.substr(1));
      } else {
        size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
          std::string_view value = line.substr(colon + 1);
          if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
          cur.attrs.emplace_back(std::string(line.substr(0, colon)), std::string(value));
        } else if (m.error.empty()) {
          m.error = "malformed line (no ':')";
        }
      }
    }
    pos = next;
  }
  if (in_section || !main_done) finish(text.size());
  return m;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view s) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=' || c == ' ' || c == '\t')
      continue;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

const EVP_MD* jar_digest_md(std::string_view alg) {
  if (iequals(alg, "SHA1") || iequals(alg, "SHA-1")) return EVP_sha1();
  if (iequals(alg, "SHA-256")) return EVP_sha256();
  if (iequals(alg, "SHA-384")) return EVP_sha384();
  if (iequals(alg, "SHA-512")) return EVP_sha512();
  if (iequals(alg, "MD5")) return EVP_md5();
  return nullptr;
}

enum class DigestCheck { kNone, kMatch, kMismatch };

/// Checks every recognised "<alg><suffix>" attribute of `section` against `data`.
DigestCheck check_jar_digests(const JarSection& section, std::string_view suffix, ByteView data,
                              std::string* failed_alg = nullptr) {
  DigestCheck result = DigestCheck::kNone;
  // Each algorithm hashes `data` once, however often a hostile section repeats its attribute.
  std::vector<std::pair<const EVP_MD*, std::vector<uint8_t>>> computed;
  auto digest_once = [&](const EVP_MD* md) -> const std::vector<uint8_t>& {
    for (const auto& [m, d] : computed) {
      if (m == md) return d;
    }
    computed.emplace_back(md, digest(md, data));
    return computed.back().second;
  };
  for (const auto& [key, value] : section.attrs) {
    if (key.size() <= suffix.size() || !iends_with(key, suffix)) continue;
    const EVP_MD* md = jar_digest_md(std::string_view(key).substr(0, key.size() - suffix.size()));
    if (md == nullptr) continue;
    auto expected = base64_decode(value);
    if (!expected || *expected != digest_once(md)) {
      if (failed_alg != nullptr) *failed_alg = key.substr(0, key.size() - suffix.size());
      return DigestCheck::kMismatch;
    }
    result = DigestCheck::kMatch;
  }
  return result;
}

/// One DER TLV (single-byte tag, definite length): its tag, whole bytes and contents.
struct Tlv {
  uint8_t tag = 0;
  ByteView whole, content;
};

bool read_tlv(ByteReader& r, Tlv& out) {
  uint64_t start = r.pos();
  out.tag = r.u8();
  uint8_t first = r.u8();
  uint64_t len = first;
  if ((out.tag & 0x1f) == 0x1f || first == 0x80 || first > 0x84) return false;
  if (first & 0x80) {
    len = 0;
    for (int i = 0; i < (first & 0x7f); ++i) len = (len << 8) | r.u8();
  }
  out.content = r.take(len);
  if (!r.ok()) return false;
  out.whole = r.bytes().subspan(start, r.pos() - start);
  return true;
}

/// The certificates of a PKCS#7 SignedData exactly as encoded (OpenSSL would re-encode a
/// certificate that is not DER; apksigner digests the original bytes). Empty on BER oddities.
std::vector<ByteView> raw_pkcs7_certificates(ByteView block) {
  std::vector<ByteView> out;
  ByteReader r(block);
  Tlv ci, oid, explicit0, sd;
  if (!read_tlv(r, ci) || ci.tag != 0x30) return out;
  ByteReader cr(ci.content);
  if (!read_tlv(cr, oid) || !read_tlv(cr, explicit0) || explicit0.tag != 0xa0) return out;
  ByteReader er(explicit0.content);
  if (!read_tlv(er, sd) || sd.tag != 0x30) return out;
  ByteReader sr(sd.content);
  Tlv field;
  for (int i = 0; i < 3; ++i)
    if (!read_tlv(sr, field)) return out; // version, digestAlgorithms, encapContentInfo
  if (!read_tlv(sr, field) || field.tag != 0xa0) return out;
  ByteReader certs(field.content);
  Tlv cert;
  while (certs.remaining() > 0 && out.size() < limits::kMaxCertificatesPerSigner) {
    if (!read_tlv(certs, cert)) break;
    if (cert.tag == 0x30) out.push_back(cert.whole);
  }
  return out;
}

/// The original encoding of `cert` among `raw` certificates, else OpenSSL's encoding.
std::vector<uint8_t> certificate_der(X509* cert, const std::vector<ByteView>& raw) {
  for (ByteView der : raw) {
    const unsigned char* p = der.data();
    Ossl<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (x && X509_cmp(x.get(), cert) == 0) return std::vector<uint8_t>(der.begin(), der.end());
  }
  return encode_x509(cert);
}

/// Verifies a PKCS#7 SignedData signature block over `sf`. Like apksigner only the first
/// SignerInfo is used; the signer's certificate is described even when it does not verify.

std::string verify_pkcs7(ByteView block, ByteView sf, CertificateInfo& cert_out) {
  const unsigned char* p = block.data();
  Ossl<CMS_ContentInfo> cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(block.size())));
  if (!cms) return "signature block is not a PKCS#7 structure";
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return "signature block is not PKCS#7 SignedData";
  Ossl<STACK_OF(X509)> certs(CMS_get1_certs(cms.get()));
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  int n_infos = infos != nullptr ? sk_CMS_SignerInfo_num(infos) : 0;
  if (n_infos <= 0) return "no SignerInfos in signature block";
  std::string message;
  bool described = false;
  std::vector<ByteView> raw = raw_pkcs7_certificates(block);
  for (int i = 0; i < 1; ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    X509* cert = nullptr;
    for (int c = 0; certs && c < sk_X509_num(certs.get()); ++c) {
      if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), c)) == 0) {
        cert = sk_X509_value(certs.get(), c);
        break;
      }
    }
    if (cert == nullptr) {
      if (message.empty()) message = "signer certificate not found in signature block";
      continue;
    }
    std::vector<uint8_t> der = certificate_der(cert, raw);
    CertificateInfo info = describe_certificate(der);
    if (!described) {
      cert_out = info;
      described = true;
    }
    X509_ALGOR* dig_alg = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig_alg, nullptr);
    const ASN1_OBJECT* dig_obj = nullptr;
    if (dig_alg != nullptr) X509_ALGOR_get0(&dig_obj, nullptr, nullptr, dig_alg);
    const EVP_MD* md = dig_obj != nullptr ? EVP_get_digestbyobj(dig_obj) : nullptr;
    if (md == nullptr) {
      if (message.empty()) message = "unsupported digest algorithm in SignerInfo";
      continue;
    }
    EVP_PKEY* signer_key = X509_get0_pubkey(cert);
    if (signer_key != nullptr && EVP_PKEY_get_base_id(signer_key) == EVP_PKEY_DSA &&
        (EVP_MD_get_type(md) == NID_sha384 || EVP_MD_get_type(md) == NID_sha512)) {
      if (message.empty())
        message = std::string("DSA with ") + EVP_MD_get0_name(md) + " is not supported";
      continue;
    }
    bool ok = false;
    if (CMS_signed_get_attr_count(si) > 0) {
      auto* md_attr = static_cast<ASN1_OCTET_STRING*>(CMS_signed_get0_data_by_OBJ(
          si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
      std::vector<uint8_t> actual = digest(md, sf);
      bool digest_ok = md_attr != nullptr &&
                       static_cast<size_t>(ASN1_STRING_length(md_attr)) == actual.size() &&
                       std::equal(actual.begin(), actual.end(), ASN1_STRING_get0_data(md_attr));
      if (!digest_ok) {
        if (message.empty()) message = "messageDigest attribute does not match the .SF file";
        continue;
      }
      auto* type = static_cast<ASN1_OBJECT*>(
          CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT));
      if (type == nullptr || OBJ_obj2nid(type) != NID_pkcs7_data) {
        if (message.empty()) message = "contentType attribute missing or not pkcs7-data";
        continue;
      }
      CMS_SignerInfo_set1_signer_cert(si, cert);
      ok = CMS_SignerInfo_verify(si) == 1;
    } else {
      ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
      Ossl<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
      EVP_PKEY* key = X509_get0_pubkey(cert);
      ok =
          sig != nullptr && ctx && key != nullptr &&
          EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
          EVP_DigestVerify(ctx.get(), ASN1_STRING_get0_data(sig),
                           static_cast<size_t>(ASN1_STRING_length(sig)), sf.data(), sf.size()) == 1;
    }
    if (ok) {
      cert_out = info;
      return {};
    }
    if (message.empty()) message = "signature did not verify against the .SF file";
  }
  return message;
}

/// META-INF entries that need no digest in MANIFEST.MF (apksigner's rule).
bool needs_manifest_digest(std::string_view name) {
  if (ends_with(name, "/")) return false;
  if (!starts_with(name, "META-INF/")) return true;
  std::string_view file = name.substr(9);
  if (file.find('/') != std::string_view::npos) return true;
  return !(iequals(file, "MANIFEST.MF") || iends_with(file, ".SF") || iends_with(file, ".RSA") ||
           iends_with(file, ".DSA") || iends_with(file, ".EC") ||
           (file.size() >= 4 && iequals(file.substr(0, 4), "SIG-")));
}

struct JarSigner {
  SchemeSigner signer;
  std::set<std::string> sf_names; ///< entry names with a section in this signer's .SF
};

/// Reads an entry fully, or returns why not.
std::optional<std::string> read_entry(const ZipArchive& zip, const ZipEntry& e, EntryData& out) {
  auto data = zip.read(e);
  if (!data) return data.error().message;
  out = std::move(*data);
  return std::nullopt;
}

SchemeResult verify_v1(const ZipArchive& zip, Diagnostics& diags) {
  SchemeResult res;
  res.scheme = "v1";
  const ZipEntry* manifest_entry = nullptr;
  std::map<std::string, const ZipEntry*> sf_files;
  std::vector<const ZipEntry*> blocks;
  for (const ZipEntry& e : zip.entries()) {
    std::string_view name = e.name;
    if (!starts_with(name, "META-INF/")) continue;
    if (manifest_entry == nullptr && name == "META-INF/MANIFEST.MF") {
      manifest_entry = &e;
    } else if (ends_with(name, ".SF")) {
      sf_files.emplace(e.name, &e);
    } else if (ends_with(name, ".RSA") || ends_with(name, ".DSA") || ends_with(name, ".EC")) {
      blocks.push_back(&e);
    }
  }
  if (sf_files.empty() && blocks.empty()) return res; // not v1-signed
  res.present = true;
  auto fail = [&](std::string message) {
    if (res.message.empty()) res.message = std::move(message);
  };
  if (manifest_entry == nullptr) {
    fail("missing META-INF/MANIFEST.MF");
    return res;
  }
  EntryData manifest_data;
  if (auto why = read_entry(zip, *manifest_entry, manifest_data)) {
    fail("cannot read META-INF/MANIFEST.MF: " + *why);
    return res;
  }
  ByteView manifest_bytes = manifest_data.data;
  JarManifest manifest = parse_jar_manifest(as_chars(manifest_bytes));
  if (!manifest.error.empty()) fail("malformed META-INF/MANIFEST.MF: " + manifest.error);
  std::map<std::string, const JarSection*> manifest_sections;
  for (const JarSection& s : manifest.sections) {
    if (!manifest_sections.emplace(s.name, &s).second)
      fail("duplicate section in META-INF/MANIFEST.MF for " + s.name);
  }

  std::vector<JarSigner> signers;
  for (const ZipEntry* block : blocks) {
    std::string_view bname = block->name;
    std::string base(bname.substr(0, bname.rfind('.')));
    auto sf_it = sf_files.find(base + ".SF");
    if (sf_it == sf_files.end()) {
      diags.add(Severity::kWarning, "signing.v1_missing_sf", block->name,
                "signature block without a matching .SF file; ignored");
      continue;
    }
    if (signers.size() >= limits::kMaxSigners) {
      fail("too many JAR signers");
      break;
    }
    JarSigner js;
    std::string label = "JAR signer " + std::string(bname.substr(9));
    auto signer_fail = [&](std::string m) {
      if (js.signer.message.empty()) js.signer.message = std::move(m);
    };
    EntryData block_data, sf_data;
    if (auto why = read_entry(zip, *block, block_data)) {
      signer_fail("cannot read " + block->name + ": " + *why);
    } else if (auto why2 = read_entry(zip, *sf_it->second, sf_data)) {
      signer_fail("cannot read " + sf_it->first + ": " + *why2);
    } else {
      std::string m = verify_pkcs7(block_data.data, sf_data.data, js.signer.cert);
      if (!m.empty()) signer_fail(m);
      JarManifest sf = parse_jar_manifest(as_chars(sf_data.data));
      if (const std::string* ids = sf.main.get("X-Android-APK-Signed")) {
        size_t i = 0;
        while (i < ids->size()) {
          size_t j = ids->find(',', i);
          if (j == std::string::npos) j = ids->size();
          std::string tok = ids->substr(i, j - i);
          tok.erase(0, tok.find_first_not_of(' '));
          tok.erase(tok.find_last_not_of(' ') + 1);
          if (!tok.empty() && tok.size() < 10 &&
              tok.find_first_not_of("0123456789") == std::string::npos)
            res.apk_signed_ids.push_back(static_cast<uint32_t>(std::stoul(tok)));
          i = j + 1;
        }
      }
      // Whole-manifest digest; when it does not match, fall back to per-section digests.
      bool whole =
          check_jar_digests(sf.main, "-Digest-Manifest", manifest_bytes) == DigestCheck::kMatch;
      ByteView main_bytes =
          manifest_bytes.subspan(manifest.main.begin, manifest.main.end - manifest.main.begin);
      if (!whole && check_jar_digests(sf.main, "-Digest-Manifest-Main-Attributes", main_bytes) ==
                        DigestCheck::kMismatch)
        signer_fail("main section digest of META-INF/MANIFEST.MF does not match " + sf_it->first);
      for (const JarSection& s : sf.sections) {
        js.sf_names.insert(s.name);
        if (whole) continue;
        auto ms = manifest_sections.find(s.name);
        if (ms == manifest_sections.end()) {
          signer_fail(sf_it->first + " names " + s.name + ", absent from META-INF/MANIFEST.MF");
          continue;
        }
        ByteView sec =
            manifest_bytes.subspan(ms->second->begin, ms->second->end - ms->second->begin);
        std::string alg;
        DigestCheck c = check_jar_digests(s, "-Digest", sec, &alg);
        if (c == DigestCheck::kMismatch)
          signer_fail(alg + " digest of META-INF/MANIFEST.MF section for " + s.name +
                      " does not match " + sf_it->first);
        else if (c == DigestCheck::kNone)
          signer_fail(sf_it->first + " has no supported digest for " + s.name);
      }
    }
    js.signer.verified = js.signer.message.empty();
    if (!js.signer.verified) fail(label + ": " + js.signer.message);
    signers.push_back(std::move(js));
  }
  if (signers.empty()) {
    fail("no JAR signatures");
    return res;
  }

  // Every entry must be in the manifest, signed by every signer, and match its digests.
  std::set<std::string_view> zip_names;
  uint64_t hashed = 0; // bounded: overlapping entries could make one blob be hashed per entry
  for (const ZipEntry& e : zip.entries()) {
    zip_names.insert(e.name);
    if (!res.message.empty()) continue; // already failed: skip the expensive part
    if (hashed > limits::kMaxJarDigestBytes) {
      fail("v1 entry digests not checked beyond " +
           std::to_string(limits::kMaxJarDigestBytes >> 20) + " MiB (limit)");
      continue;
    }
    if (!needs_manifest_digest(e.name)) continue;
    auto ms = manifest_sections.find(e.name);
    if (ms == manifest_sections.end()) {
      fail(e.name + " not protected by a digest in META-INF/MANIFEST.MF");
      continue;
    }
    for (const JarSigner& js : signers)
      if (js.sf_names.count(e.name) == 0) fail(e.name + " not signed by every JAR signer");
    EntryData data;
    if (auto why = read_entry(zip, e, data)) {
      fail("cannot read " + e.name + ": " + *why);
      continue;
    }
    hashed += data.data.size();
    std::string alg;
    DigestCheck c = check_jar_digests(*ms->second, "-Digest", data.data, &alg);
    if (c == DigestCheck::kMismatch)
      fail(alg + " digest of " + e.name + " does not match META-INF/MANIFEST.MF");
    else if (c == DigestCheck::kNone)
      fail("no supported digest of " + e.name + " in META-INF/MANIFEST.MF");
  }
  for (const JarSection& s : manifest.sections)
    if (zip_names.count(s.name) == 0)
      fail(s.name + " referenced by META-INF/MANIFEST.MF not found in the APK");

  for (JarSigner& js : signers) res.signers.push_back(std::move(js.signer));
  res.verified = res.message.empty();
  return res;
}

// ---------------------------------------------------------------- assembling

void collect_block_schemes(ByteView apk, const ZipSections& sections, Diagnostics& diags,
                           SigningInfo& info, std::vector<SchemeResult>& out) {
  auto block = find_signing_block(apk, sections.cd_offset);
  if (!block) {
    if (block.error().code != Errc::kNotFound)
      diags.add_error("signing.block_malformed", block.error());
    return;
  }
  info.signing_block_present = true;
  ContentDigester digester(apk, sections, block->offset);
  for (const SigningBlockPair& pair : block->pairs) {
    info.block_ids.push_back(pair.id);
    if (pair.id != kV2BlockId && pair.id != kV3BlockId && pair.id != kV31BlockId) continue;
    bool seen = std::any_of(out.begin(), out.end(), [&](const SchemeResult& r) {
      return r.scheme == (pair.id == kV2BlockId ? "v2" : pair.id == kV3BlockId ? "v3" : "v3.1");
    });
    if (seen) {
      diags.add_at(Severity::kWarning, "signing.duplicate_scheme_block", "APK Signing Block",
                   "second block with id " + hex32(pair.id) + " ignored", pair.offset);
      continue;
    }
    out.push_back(verify_scheme_block(subview(apk, pair.offset, pair.size), pair.id, digester));
  }
}

std::set<std::string> cert_set(const SchemeResult& r) {
  std::set<std::string> out;
  for (const auto& s : r.signers) out.insert(s.cert.sha256);
  return out;
}

SigningInfo assemble(std::vector<SchemeResult> results, Diagnostics& diags,
                     const SigningOptions& options) {
  SigningInfo info;
  auto get = [&](std::string_view name) -> SchemeResult* {
    for (auto& r : results)
      if (r.scheme == name && r.present) return &r;
    return nullptr;
  };
  SchemeResult* v1 = get("v1");
  SchemeResult* v2 = get("v2");
  SchemeResult* v3 = get("v3");
  SchemeResult* v31 = get("v3.1");
  info.v1_present = v1 != nullptr;
  info.v2_present = v2 != nullptr;
  info.v3_present = v3 != nullptr;
  info.v31_present = v31 != nullptr;

  auto fail = [](SchemeResult* r, std::string m) {
    if (r->verified || r->message.empty()) r->message = std::move(m);
    r->verified = false;
  };
  // Stripping protection: a scheme that names a newer one that is missing.
  if (v1 != nullptr) {
    for (uint32_t id : v1->apk_signed_ids) {
      if ((id == 2 && v2 == nullptr) || (id == 3 && v3 == nullptr))
        fail(v1, "META-INF .SF indicates the APK is signed using APK Signature Scheme v" +
                     std::to_string(id) + ", but no such signature was found");
    }
  }
  if (v2 != nullptr && v2->claims_v3 && v3 == nullptr)
    fail(v2,
         "v2 signature indicates the APK is signed using APK Signature Scheme v3, but no "
         "such signature was found");
  // Signers must agree across schemes.
  if (v1 != nullptr && v2 != nullptr && v1->verified && v2->verified &&
      cert_set(*v1) != cert_set(*v2))
    fail(v2, "v1 and v2 signers do not match");
  if (v2 != nullptr && v3 != nullptr && v2->verified && v3->verified && !v3->signers.empty()) {
    const SchemeSigner& first = v3->signers.front();
    std::string oldest = first.lineage.empty() ? first.cert.sha256 : first.lineage.front();
    if (cert_set(*v2) != std::set<std::string>{oldest})
      fail(v3, "v2 signer is not the oldest v3 signing certificate");
  }

  // apksigner's platform rules (ApkVerifier): with minSdk known, v1 is checked (and thus
  // required) below API 24 or when no v2/v3 block exists; v2 is skipped from API 28 when v3
  // exists; targetSdk >= 30 needs v2 or later.
  bool block_found = v2 != nullptr || v3 != nullptr;
  bool v1_required = options.min_sdk < 24 || !block_found;
  bool v2_required = options.min_sdk < 28 || v3 == nullptr;
  bool any = false, all = true;
  std::string demand;
  if (options.min_sdk >= 0 && options.min_sdk < 24 && v1 == nullptr && block_found)
    demand = "no JAR signature (v1), required for minSdkVersion " +
             std::to_string(options.min_sdk) + " < 24";
  if (options.target_sdk >= 30 && !block_found)
    demand = "targetSdkVersion " + std::to_string(options.target_sdk) +
             " requires APK Signature Scheme v2 or later";
  for (SchemeResult* r : {v1, v2, v3, v31}) {
    if (r == nullptr) continue;
    bool required = (r != v1 || v1_required) && (r != v2 || v2_required);
    any = true;
    if (required) all = all && r->verified;
    info.checks.push_back({r->scheme, r->verified, r->message, required});
    if (!r->verified)
      diags.add(Severity::kWarning, "signing.not_verified", r->scheme + " signature", r->message);
  }
  if (!demand.empty()) {
    all = false;
    diags.add(Severity::kWarning, "signing.scheme_missing", "APK signature", demand);
  }
  info.verified = any && all;
  info.message = demand;

  // Primary signers: v3's newest-SDK signer, else v2's, else v1's (verified schemes only).
  const SchemeSigner* v3_primary = nullptr;
  if (v3 != nullptr && v3->verified && !v3->signers.empty()) v3_primary = &v3->signers.back();
  const SchemeResult* primary_scheme = v3_primary != nullptr             ? nullptr
                                       : (v2 != nullptr && v2->verified) ? v2
                                       : (v1 != nullptr && v1->verified) ? v1
                                                                         : nullptr;
  for (SchemeResult* r : {v3, v31, v2, v1}) {
    if (r == nullptr) continue;
    for (const SchemeSigner& s : r->signers) {
      auto it = std::find_if(info.signers.begin(), info.signers.end(), [&](const SignerInfo& x) {
        return !s.cert.sha256.empty() && x.certificate.sha256 == s.cert.sha256;
      });
      if (it == info.signers.end()) {
        info.signers.emplace_back();
        it = info.signers.end() - 1;
        it->certificate = s.cert;
      }
      it->schemes.push_back(r->scheme);
      it->checks.push_back({r->scheme, s.verified, s.message});
      if (&s == v3_primary || r == primary_scheme) it->primary = true;
      if (r == v3 || (r == v31 && it->min_sdk < 0)) {
        it->min_sdk = s.min_sdk;
        it->max_sdk = s.max_sdk;
        if (!s.lineage.empty()) it->lineage_sha256 = s.lineage;
      }
    }
  }
  std::stable_partition(info.signers.begin(), info.signers.end(),
                        [](const SignerInfo& s) { return s.primary; });
  return info;
}

} // namespace

Expected<SigningBlock> find_signing_block(ByteView apk, uint64_t cd_offset) {
  const std::string where = "APK Signing Block";
  if (cd_offset > apk.size() || cd_offset < 32)
    return make_error(Errc::kNotFound, "no room for an APK Signing Block", where);
  ByteView footer = apk.subspan(cd_offset - 24, 24);
  if (as_chars(footer.subspan(8)) != kBlockMagic)
    return make_error(Errc::kNotFound, "no APK Signing Block magic", where);
  uint64_t size = load_u64le(footer.data());
  uint64_t start = cd_offset - 24; // overwritten below
  if (size < 24 || size > limits::kMaxSigningBlockSize)
    return make_error_at(size < 24 ? Errc::kMalformed : Errc::kLimit,
                         "APK Signing Block size " + std::to_string(size) + " out of range", where,
                         cd_offset - 24);
  if (size + 8 > cd_offset)
    return make_error_at(Errc::kTruncated, "APK Signing Block starts before the file", where,
                         cd_offset - 24);
  start = cd_offset - size - 8;
  if (load_u64le(apk.data() + start) != size)
    return make_error_at(Errc::kMalformed, "APK Signing Block size fields differ", where, start);
  SigningBlock block;
  block.offset = start;
  block.size = size + 8;
  ByteReader r(apk.subspan(0, cd_offset - 24), start + 8);
  while (r.remaining() > 0) {
    uint64_t at = r.pos();
    uint64_t len = r.u64();
    if (!r.ok() || len < 4 || len > r.remaining())
      return make_error_at(Errc::kMalformed, "APK Signing Block pair length out of range", where,
                           at);
    if (block.pairs.size() >= limits::kMaxSigningBlockPairs)
      return make_error_at(Errc::kLimit, "too many APK Signing Block pairs", where, at);
    uint32_t id = r.u32();
    block.pairs.push_back({id, r.pos(), len - 4});
    r.skip(len - 4);
  }
  return block;
}

SigningInfo read_block_signatures(ByteView apk, const ZipSections& sections, Diagnostics& diags) {
  SigningInfo partial;
  std::vector<SchemeResult> results;
  collect_block_schemes(apk, sections, diags, partial, results);
  SigningInfo info = assemble(std::move(results), diags, {});
  info.signing_block_present = partial.signing_block_present;
  info.block_ids = std::move(partial.block_ids);
  ERR_clear_error();
  return info;
}

SigningInfo read_signatures(const ZipArchive& zip, Diagnostics& diags,
                            const SigningOptions& options) {
  ZipSections sections{zip.central_directory_offset(), zip.central_directory_size(),
                       zip.eocd_offset()};
  SigningInfo partial;
  std::vector<SchemeResult> results;
  results.push_back(verify_v1(zip, diags));
  collect_block_schemes(zip.bytes(), sections, diags, partial, results);
  SigningInfo info = assemble(std::move(results), diags, options);
  info.signing_block_present = partial.signing_block_present;
  info.block_ids = std::move(partial.block_ids);
  ERR_clear_error();
  return info;
}

} // namespace appaudit::apk
