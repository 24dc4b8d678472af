#pragma once
/*
 * APK signatures: v1 (signed JAR), v2, v3 and v3.1 (APK Signing Block).
 *
 * Specs: source.android.com "APK Signature Scheme v2" (APK Signing Block format, signer
 * format, content digests), "APK Signature Scheme v3" (SDK ranges, proof-of-rotation),
 * JAR File Specification "Signed JAR File" (MANIFEST.MF, .SF, PKCS#7 signature block).
 * apksigner (apksig) is the reference for which checks make an APK "verify"; see
 * docs/signing.md for what is checked and what is not modelled.
 */

#include <cstdint>
#include <string>
#include <vector>

#include "apk/zip.hpp"
#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

/// One X.509 certificate, described the way apksigner prints it.
struct CertificateInfo {
  std::string sha256;     ///< lowercase hex SHA-256 of the DER certificate
  std::string sha1;       ///< lowercase hex SHA-1 of the DER certificate
  std::string subject;    ///< RFC 2253 distinguished name, e.g. "CN=x, O=y"
  std::string issuer;     ///< RFC 2253 distinguished name
  std::string not_before; ///< ISO 8601 UTC, e.g. "2020-01-31T12:00:00Z"
  std::string not_after;  ///< ISO 8601 UTC
  std::string serial_hex; ///< serial number, lowercase hex
  std::string key_type;   ///< "RSA", "EC", "DSA", "Ed25519", ... or "" when unparsable
  int key_bits = 0;       ///< key size in bits (0 when unknown)
};

/// Result of checking one scheme, either for the whole APK or for one signer.
struct SchemeCheck {
  std::string scheme;    ///< "v1", "v2", "v3" or "v3.1"
  bool verified = false; ///< every check of this scheme passed
  std::string message;   ///< why not verified (first failure), empty when verified
  /// False when the SDK range from SigningOptions means the platform never checks this scheme
  /// (e.g. v1 when minSdkVersion >= 24 and a v2/v3 signature exists); such a check does not
  /// count towards SigningInfo::verified.
  bool required = true;
};

/// One signing certificate, merged across the schemes that use it.
struct SignerInfo {
  CertificateInfo certificate;
  std::vector<std::string> schemes; ///< schemes this certificate signs with, e.g. {"v1","v2"}
  std::vector<SchemeCheck> checks;  ///< one per scheme in `schemes`
  /// The platform's signing certificate: the v3 signer for the newest SDK range when v3
  /// verifies, else the v2 signers, else the v1 signers (apksigner's "Signer #N").
  bool primary = false;
  int64_t min_sdk = -1; ///< v3/v3.1 signer SDK range, -1 when not a v3 signer
  int64_t max_sdk = -1;
  /// v3 proof-of-rotation lineage: SHA-256 of each certificate, oldest first (not verified).
  std::vector<std::string> lineage_sha256;
};

/// One ID-value pair of the APK Signing Block.
struct SigningBlockPair {
  uint32_t id = 0;
  uint64_t offset = 0; ///< file offset of the value
  uint64_t size = 0;   ///< value size in bytes
};

/// The APK Signing Block: where it is and its ID-value pairs.
struct SigningBlock {
  uint64_t offset = 0; ///< file offset of the block's first byte (its leading size field)
  uint64_t size = 0;   ///< total size in bytes, including both size fields and the magic
  std::vector<SigningBlockPair> pairs;
};

inline constexpr uint32_t kV2BlockId = 0x7109871a;
inline constexpr uint32_t kV3BlockId = 0xf05368c0;
inline constexpr uint32_t kV31BlockId = 0x1b93ad61;

/// Everything known about an APK's signatures.
struct SigningInfo {
  bool v1_present = false; ///< META-INF has at least one .SF or signature block file
  bool v2_present = false;
  bool v3_present = false;
  bool v31_present = false;
  /// At least one scheme is present and every present scheme verified, and the schemes agree
  /// on the signers (v1 and v2 signer sets equal; v2 signer is the oldest v3 certificate).
  bool verified = false;
  std::vector<SchemeCheck> checks; ///< one per present scheme, in order v1, v2, v3, v3.1
  std::vector<SignerInfo> signers; ///< merged by certificate, primary signers first
  std::vector<uint32_t> block_ids; ///< IDs of all pairs in the APK Signing Block, in order
  bool signing_block_present = false;
  /// A scheme the SDK rules demand but the APK lacks (e.g. v1 for minSdkVersion < 24), if any.
  std::string message;
};

/// What the platform-dependent rules need from AndroidManifest.xml (-1: unknown). With
/// min_sdk unknown every present scheme is required and none is demanded.
struct SigningOptions {
  int min_sdk = -1;    ///< minSdkVersion (1 when the manifest has none)
  int target_sdk = -1; ///< targetSdkVersion: >= 30 demands v2 or later
};

/// Reads and verifies all signature schemes of an APK. Never fails: problems are recorded in
/// the per-scheme checks and in `diags`. An unsigned APK yields no schemes and no signers.
/// With options.min_sdk known, apksigner's rules apply: v1 is required below API 24 (and
/// ignored from 24 when v2/v3 exist), v2 is ignored from API 28 when v3 exists.
SigningInfo read_signatures(const ZipArchive& zip, Diagnostics& diags,
                            const SigningOptions& options = {});

/// ZIP section offsets that v2/v3 content digests cover.
struct ZipSections {
  uint64_t cd_offset = 0;
  uint64_t cd_size = 0;
  uint64_t eocd_offset = 0;
};

/// Locates and parses the APK Signing Block that ends at `cd_offset`.
/// Errors: kNotFound (no block magic there), kTruncated/kMalformed/kLimit (broken block).
Expected<SigningBlock> find_signing_block(ByteView apk, uint64_t cd_offset);

/// v2, v3 and v3.1 only (no v1: needs the ZIP entries): for callers that have the section
/// offsets but no ZipArchive, and for fuzzing.
SigningInfo read_block_signatures(ByteView apk, const ZipSections& sections, Diagnostics& diags);

} // namespace appaudit::apk
