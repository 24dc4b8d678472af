#pragma once
/// Every hard limit applied to untrusted input, in one place (cf. YARA's limits.h).
/// A limit that is hit yields an Error (Errc::kLimit) or a diagnostic, never a crash.

#include <cstdint>

namespace appaudit::limits {

/// Largest input file we map (APK or DEX).
inline constexpr uint64_t kMaxInputFileSize = 4ull << 30; // 4 GiB

// --- ZIP (apk/zip.cpp) ---
/// Most central-directory entries read; the rest are skipped with a diagnostic.
inline constexpr uint64_t kMaxZipEntries = 200'000;
/// Largest inflated size of one entry.
inline constexpr uint64_t kMaxEntryInflatedSize = 512ull << 20; // 512 MiB
/// Largest inflated/compressed ratio of one entry above kRatioCheckFloor bytes.
inline constexpr uint64_t kMaxInflateRatio = 1000;
/// Entries smaller than this when inflated are exempt from the ratio check.
inline constexpr uint64_t kRatioCheckFloor = 1ull << 20; // 1 MiB
/// Total bytes inflated for one scan, across all entries.
inline constexpr uint64_t kMaxTotalInflated = 4ull << 30; // 4 GiB
/// Longest entry name accepted (longer names are truncated in reports).
inline constexpr uint32_t kMaxZipNameLength = 4096;

// --- Binary XML and resources (apk/axml.cpp, apk/arsc.cpp) ---
inline constexpr uint32_t kMaxXmlDepth = 256;
inline constexpr uint64_t kMaxXmlNodes = 1'000'000;
/// Compiled XML under res/ read for android:onClick handlers: larger files are skipped, and
/// at most this many files are parsed.
inline constexpr uint64_t kMaxResourceXmlBytes = 4ull << 20;
inline constexpr uint32_t kMaxResourceXmlFiles = 20'000;
inline constexpr uint64_t kMaxStringPoolStrings = 4'000'000;
/// Depth of reference chains followed when resolving @ref -> @ref -> value.
inline constexpr uint32_t kMaxResourceRefDepth = 16;

// --- Signatures (apk/signing.cpp) ---
inline constexpr uint64_t kMaxSigningBlockSize = 64ull << 20;
inline constexpr uint32_t kMaxSigners = 64;
inline constexpr uint32_t kMaxCertificatesPerSigner = 64;
/// Most ID-value pairs read from the APK Signing Block.
inline constexpr uint32_t kMaxSigningBlockPairs = 4096;
/// Most signature (and digest) records per v2/v3 signer.
inline constexpr uint32_t kMaxSignaturesPerSigner = 64;

// --- DEX (dex/) ---
/// Most DEX files read from one APK (classes.dex .. classesN.dex).
inline constexpr uint32_t kMaxDexFiles = 512;
/// Most bytes of inflated DEX kept for one APK's analysis (stored DEX files are mapped, not
/// counted). A 4 MB APK can otherwise inflate to gigabytes of "DEX" at the allowed ratio.
inline constexpr uint64_t kMaxRetainedDexBytes = 1ull << 30; // 1 GiB
/// Most bytes hashed to check v1 (JAR) entry digests; overlapping entries would otherwise
/// make one blob be hashed once per entry pointing at it.
inline constexpr uint64_t kMaxJarDigestBytes = 4ull << 30; // 4 GiB
/// Largest code item, in 16-bit units.
inline constexpr uint32_t kMaxCodeUnits = 1u << 24;

// --- Platform (store/) ---
/// Largest APK accepted into the blob store (uploads are streamed to disk and cut off here).
inline constexpr uint64_t kMaxApkUploadSize = 2ull << 30; // 2 GiB

// --- Diagnostics ---
/// Most diagnostics kept per scan; further ones are counted, not stored.
inline constexpr uint32_t kMaxDiagnostics = 1000;

} // namespace appaudit::limits
