/*
 * Dalvik bytecode decoder.
 *
 * Spec: source.android.com/docs/core/runtime/dalvik-bytecode ("Summary of bytecode set",
 * "packed-switch-payload", "sparse-switch-payload", "fill-array-data-payload") and
 * source.android.com/docs/core/runtime/instruction-formats ("Formats" table: the operand
 * layout of each format ID). The opcode table below lists, for every one of the 256 opcodes,
 * its mnemonic, format, index kind and control-flow flags. Decoding reads only code units that
 * lie inside the method's insns; anything that would run past the end is kTruncated.
 */
#include "dex/instruction.hpp"

#include <array>

namespace appaudit::dex {
namespace {

constexpr std::array<OpcodeInfo, 256> kOpcodes = {{
    {"nop", Format::k10x, IndexKind::kNone, kFlagContinue},                                 // 0x00
    {"move", Format::k12x, IndexKind::kNone, kFlagContinue},                                // 0x01
    {"move/from16", Format::k22x, IndexKind::kNone, kFlagContinue},                         // 0x02
    {"move/16", Format::k32x, IndexKind::kNone, kFlagContinue},                             // 0x03
    {"move-wide", Format::k12x, IndexKind::kNone, kFlagContinue},                           // 0x04
    {"move-wide/from16", Format::k22x, IndexKind::kNone, kFlagContinue},                    // 0x05
    {"move-wide/16", Format::k32x, IndexKind::kNone, kFlagContinue},                        // 0x06
    {"move-object", Format::k12x, IndexKind::kNone, kFlagContinue},                         // 0x07
    {"move-object/from16", Format::k22x, IndexKind::kNone, kFlagContinue},                  // 0x08
    {"move-object/16", Format::k32x, IndexKind::kNone, kFlagContinue},                      // 0x09
    {"move-result", Format::k11x, IndexKind::kNone, kFlagContinue},                         // 0x0a
    {"move-result-wide", Format::k11x, IndexKind::kNone, kFlagContinue},                    // 0x0b
    {"move-result-object", Format::k11x, IndexKind::kNone, kFlagContinue},                  // 0x0c
    {"move-exception", Format::k11x, IndexKind::kNone, kFlagContinue},                      // 0x0d
    {"return-void", Format::k10x, IndexKind::kNone, kFlagReturn},                           // 0x0e
    {"return", Format::k11x, IndexKind::kNone, kFlagReturn},                                // 0x0f
    {"return-wide", Format::k11x, IndexKind::kNone, kFlagReturn},                           // 0x10
    {"return-object", Format::k11x, IndexKind::kNone, kFlagReturn},                         // 0x11
    {"const/4", Format::k11n, IndexKind::kNone, kFlagContinue},                             // 0x12
    {"const/16", Format::k21s, IndexKind::kNone, kFlagContinue},                            // 0x13
    {"const", Format::k31i, IndexKind::kNone, kFlagContinue},                               // 0x14
    {"const/high16", Format::k21h, IndexKind::kNone, kFlagContinue},                        // 0x15
    {"const-wide/16", Format::k21s, IndexKind::kNone, kFlagContinue},                       // 0x16
    {"const-wide/32", Format::k31i, IndexKind::kNone, kFlagContinue},                       // 0x17
    {"const-wide", Format::k51l, IndexKind::kNone, kFlagContinue},                          // 0x18
    {"const-wide/high16", Format::k21h, IndexKind::kNone, kFlagContinue},                   // 0x19
    {"const-string", Format::k21c, IndexKind::kString, kFlagContinue | kFlagThrow},         // 0x1a
    {"const-string/jumbo", Format::k31c, IndexKind::kString, kFlagContinue | kFlagThrow},   // 0x1b
    {"const-class", Format::k21c, IndexKind::kType, kFlagContinue | kFlagThrow},            // 0x1c
    {"monitor-enter", Format::k11x, IndexKind::kNone, kFlagContinue | kFlagThrow},          // 0x1d
    {"monitor-exit", Format::k11x, IndexKind::kNone, kFlagContinue | kFlagThrow},           // 0x1e
    {"check-cast", Format::k21c, IndexKind::kType, kFlagContinue | kFlagThrow},             // 0x1f
    {"instance-of", Format::k22c, IndexKind::kType, kFlagContinue | kFlagThrow},            // 0x20
    {"array-length", Format::k12x, IndexKind::kNone, kFlagContinue | kFlagThrow},           // 0x21
    {"new-instance", Format::k21c, IndexKind::kType, kFlagContinue | kFlagThrow},           // 0x22
    {"new-array", Format::k22c, IndexKind::kType, kFlagContinue | kFlagThrow},              // 0x23
    {"filled-new-array", Format::k35c, IndexKind::kType, kFlagContinue | kFlagThrow},       // 0x24
    {"filled-new-array/range", Format::k3rc, IndexKind::kType, kFlagContinue | kFlagThrow}, // 0x25
    {"fill-array-data", Format::k31t, IndexKind::kNone, kFlagContinue | kFlagThrow},        // 0x26
    {"throw", Format::k11x, IndexKind::kNone, kFlagThrow},                                  // 0x27
    {"goto", Format::k10t, IndexKind::kNone, kFlagBranch},                                  // 0x28
    {"goto/16", Format::k20t, IndexKind::kNone, kFlagBranch},                               // 0x29
    {"goto/32", Format::k30t, IndexKind::kNone, kFlagBranch},                               // 0x2a
    {"packed-switch", Format::k31t, IndexKind::kNone, kFlagContinue | kFlagSwitch},         // 0x2b
    {"sparse-switch", Format::k31t, IndexKind::kNone, kFlagContinue | kFlagSwitch},         // 0x2c
    {"cmpl-float", Format::k23x, IndexKind::kNone, kFlagContinue},                          // 0x2d
    {"cmpg-float", Format::k23x, IndexKind::kNone, kFlagContinue},                          // 0x2e
    {"cmpl-double", Format::k23x, IndexKind::kNone, kFlagContinue},                         // 0x2f
    {"cmpg-double", Format::k23x, IndexKind::kNone, kFlagContinue},                         // 0x30
    {"cmp-long", Format::k23x, IndexKind::kNone, kFlagContinue},                            // 0x31
    {"if-eq", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x32
    {"if-ne", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x33
    {"if-lt", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x34
    {"if-ge", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x35
    {"if-gt", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x36
    {"if-le", Format::k22t, IndexKind::kNone, kFlagContinue | kFlagBranch},                 // 0x37
    {"if-eqz", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x38
    {"if-nez", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x39
    {"if-ltz", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x3a
    {"if-gez", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x3b
    {"if-gtz", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x3c
    {"if-lez", Format::k21t, IndexKind::kNone, kFlagContinue | kFlagBranch},                // 0x3d
    {"unused-3e", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x3e
    {"unused-3f", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x3f
    {"unused-40", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x40
    {"unused-41", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x41
    {"unused-42", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x42
    {"unused-43", Format::k10x, IndexKind::kNone, kFlagInvalid},                            // 0x43
    {"aget", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},                   // 0x44
    {"aget-wide", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x45
    {"aget-object", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},            // 0x46
    {"aget-boolean", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},           // 0x47
    {"aget-byte", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x48
    {"aget-char", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x49
    {"aget-short", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},             // 0x4a
    {"aput", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},                   // 0x4b
    {"aput-wide", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x4c
    {"aput-object", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},            // 0x4d
    {"aput-boolean", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},           // 0x4e
    {"aput-byte", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x4f
    {"aput-char", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},              // 0x50
    {"aput-short", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},             // 0x51
    {"iget", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},                  // 0x52
    {"iget-wide", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x53
    {"iget-object", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},           // 0x54
    {"iget-boolean", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},          // 0x55
    {"iget-byte", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x56
    {"iget-char", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x57
    {"iget-short", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},            // 0x58
    {"iput", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},                  // 0x59
    {"iput-wide", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x5a
    {"iput-object", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},           // 0x5b
    {"iput-boolean", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},          // 0x5c
    {"iput-byte", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x5d
    {"iput-char", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x5e
    {"iput-short", Format::k22c, IndexKind::kField, kFlagContinue | kFlagThrow},            // 0x5f
    {"sget", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},                  // 0x60
    {"sget-wide", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x61
    {"sget-object", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},           // 0x62
    {"sget-boolean", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},          // 0x63
    {"sget-byte", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x64
    {"sget-char", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x65
    {"sget-short", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},            // 0x66
    {"sput", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},                  // 0x67
    {"sput-wide", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x68
    {"sput-object", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},           // 0x69
    {"sput-boolean", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},          // 0x6a
    {"sput-byte", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x6b
    {"sput-char", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},             // 0x6c
    {"sput-short", Format::k21c, IndexKind::kField, kFlagContinue | kFlagThrow},            // 0x6d
    {"invoke-virtual", Format::k35c, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x6e
    {"invoke-super", Format::k35c, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x6f
    {"invoke-direct", Format::k35c, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x70
    {"invoke-static", Format::k35c, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x71
    {"invoke-interface", Format::k35c, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke},                  // 0x72
    {"unused-73", Format::k10x, IndexKind::kNone, kFlagInvalid}, // 0x73
    {"invoke-virtual/range", Format::k3rc, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x74
    {"invoke-super/range", Format::k3rc, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x75
    {"invoke-direct/range", Format::k3rc, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x76
    {"invoke-static/range", Format::k3rc, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0x77
    {"invoke-interface/range", Format::k3rc, IndexKind::kMethod,
     kFlagContinue | kFlagThrow | kFlagInvoke},                                     // 0x78
    {"unused-79", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0x79
    {"unused-7a", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0x7a
    {"neg-int", Format::k12x, IndexKind::kNone, kFlagContinue},                     // 0x7b
    {"not-int", Format::k12x, IndexKind::kNone, kFlagContinue},                     // 0x7c
    {"neg-long", Format::k12x, IndexKind::kNone, kFlagContinue},                    // 0x7d
    {"not-long", Format::k12x, IndexKind::kNone, kFlagContinue},                    // 0x7e
    {"neg-float", Format::k12x, IndexKind::kNone, kFlagContinue},                   // 0x7f
    {"neg-double", Format::k12x, IndexKind::kNone, kFlagContinue},                  // 0x80
    {"int-to-long", Format::k12x, IndexKind::kNone, kFlagContinue},                 // 0x81
    {"int-to-float", Format::k12x, IndexKind::kNone, kFlagContinue},                // 0x82
    {"int-to-double", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0x83
    {"long-to-int", Format::k12x, IndexKind::kNone, kFlagContinue},                 // 0x84
    {"long-to-float", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0x85
    {"long-to-double", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0x86
    {"float-to-int", Format::k12x, IndexKind::kNone, kFlagContinue},                // 0x87
    {"float-to-long", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0x88
    {"float-to-double", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0x89
    {"double-to-int", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0x8a
    {"double-to-long", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0x8b
    {"double-to-float", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0x8c
    {"int-to-byte", Format::k12x, IndexKind::kNone, kFlagContinue},                 // 0x8d
    {"int-to-char", Format::k12x, IndexKind::kNone, kFlagContinue},                 // 0x8e
    {"int-to-short", Format::k12x, IndexKind::kNone, kFlagContinue},                // 0x8f
    {"add-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x90
    {"sub-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x91
    {"mul-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x92
    {"div-int", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},        // 0x93
    {"rem-int", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},        // 0x94
    {"and-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x95
    {"or-int", Format::k23x, IndexKind::kNone, kFlagContinue},                      // 0x96
    {"xor-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x97
    {"shl-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x98
    {"shr-int", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0x99
    {"ushr-int", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0x9a
    {"add-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0x9b
    {"sub-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0x9c
    {"mul-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0x9d
    {"div-long", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},       // 0x9e
    {"rem-long", Format::k23x, IndexKind::kNone, kFlagContinue | kFlagThrow},       // 0x9f
    {"and-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0xa0
    {"or-long", Format::k23x, IndexKind::kNone, kFlagContinue},                     // 0xa1
    {"xor-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0xa2
    {"shl-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0xa3
    {"shr-long", Format::k23x, IndexKind::kNone, kFlagContinue},                    // 0xa4
    {"ushr-long", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xa5
    {"add-float", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xa6
    {"sub-float", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xa7
    {"mul-float", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xa8
    {"div-float", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xa9
    {"rem-float", Format::k23x, IndexKind::kNone, kFlagContinue},                   // 0xaa
    {"add-double", Format::k23x, IndexKind::kNone, kFlagContinue},                  // 0xab
    {"sub-double", Format::k23x, IndexKind::kNone, kFlagContinue},                  // 0xac
    {"mul-double", Format::k23x, IndexKind::kNone, kFlagContinue},                  // 0xad
    {"div-double", Format::k23x, IndexKind::kNone, kFlagContinue},                  // 0xae
    {"rem-double", Format::k23x, IndexKind::kNone, kFlagContinue},                  // 0xaf
    {"add-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb0
    {"sub-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb1
    {"mul-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb2
    {"div-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue | kFlagThrow},  // 0xb3
    {"rem-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue | kFlagThrow},  // 0xb4
    {"and-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb5
    {"or-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},                // 0xb6
    {"xor-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb7
    {"shl-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb8
    {"shr-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xb9
    {"ushr-int/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xba
    {"add-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xbb
    {"sub-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xbc
    {"mul-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xbd
    {"div-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue | kFlagThrow}, // 0xbe
    {"rem-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue | kFlagThrow}, // 0xbf
    {"and-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xc0
    {"or-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},               // 0xc1
    {"xor-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xc2
    {"shl-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xc3
    {"shr-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},              // 0xc4
    {"ushr-long/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xc5
    {"add-float/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xc6
    {"sub-float/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xc7
    {"mul-float/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xc8
    {"div-float/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xc9
    {"rem-float/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},             // 0xca
    {"add-double/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},            // 0xcb
    {"sub-double/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},            // 0xcc
    {"mul-double/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},            // 0xcd
    {"div-double/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},            // 0xce
    {"rem-double/2addr", Format::k12x, IndexKind::kNone, kFlagContinue},            // 0xcf
    {"add-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue},               // 0xd0
    {"rsub-int", Format::k22s, IndexKind::kNone, kFlagContinue},                    // 0xd1
    {"mul-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue},               // 0xd2
    {"div-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue | kFlagThrow},  // 0xd3
    {"rem-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue | kFlagThrow},  // 0xd4
    {"and-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue},               // 0xd5
    {"or-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue},                // 0xd6
    {"xor-int/lit16", Format::k22s, IndexKind::kNone, kFlagContinue},               // 0xd7
    {"add-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xd8
    {"rsub-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},               // 0xd9
    {"mul-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xda
    {"div-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue | kFlagThrow},   // 0xdb
    {"rem-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue | kFlagThrow},   // 0xdc
    {"and-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xdd
    {"or-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                 // 0xde
    {"xor-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xdf
    {"shl-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xe0
    {"shr-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},                // 0xe1
    {"ushr-int/lit8", Format::k22b, IndexKind::kNone, kFlagContinue},               // 0xe2
    {"unused-e3", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe3
    {"unused-e4", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe4
    {"unused-e5", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe5
    {"unused-e6", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe6
    {"unused-e7", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe7
    {"unused-e8", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe8
    {"unused-e9", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xe9
    {"unused-ea", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xea
    {"unused-eb", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xeb
    {"unused-ec", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xec
    {"unused-ed", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xed
    {"unused-ee", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xee
    {"unused-ef", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xef
    {"unused-f0", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf0
    {"unused-f1", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf1
    {"unused-f2", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf2
    {"unused-f3", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf3
    {"unused-f4", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf4
    {"unused-f5", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf5
    {"unused-f6", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf6
    {"unused-f7", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf7
    {"unused-f8", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf8
    {"unused-f9", Format::k10x, IndexKind::kNone, kFlagInvalid},                    // 0xf9
    {"invoke-polymorphic", Format::k45cc, IndexKind::kMethodAndProto,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0xfa
    {"invoke-polymorphic/range", Format::k4rcc, IndexKind::kMethodAndProto,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0xfb
    {"invoke-custom", Format::k35c, IndexKind::kCallSite,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0xfc
    {"invoke-custom/range", Format::k3rc, IndexKind::kCallSite,
     kFlagContinue | kFlagThrow | kFlagInvoke}, // 0xfd
    {"const-method-handle", Format::k21c, IndexKind::kMethodHandle,
     kFlagContinue | kFlagThrow},                                                       // 0xfe
    {"const-method-type", Format::k21c, IndexKind::kProto, kFlagContinue | kFlagThrow}, // 0xff
}};

constexpr std::array<std::string_view, 35> kFormatNames = {"10x",
                                                           "12x",
                                                           "11n",
                                                           "11x",
                                                           "10t",
                                                           "20t",
                                                           "20bc",
                                                           "22x",
                                                           "21t",
                                                           "21s",
                                                           "21h",
                                                           "21c",
                                                           "23x",
                                                           "22b",
                                                           "22t",
                                                           "22s",
                                                           "22c",
                                                           "22cs",
                                                           "30t",
                                                           "32x",
                                                           "31i",
                                                           "31t",
                                                           "31c",
                                                           "35c",
                                                           "35ms",
                                                           "35mi",
                                                           "3rc",
                                                           "3rms",
                                                           "3rmi",
                                                           "45cc",
                                                           "4rcc",
                                                           "51l",
                                                           "packed-switch-payload",
                                                           "sparse-switch-payload",
                                                           "fill-array-data-payload"};

constexpr std::array<uint8_t, 35> kFormatSizes = {
    1, 1, 1, 1, 1, 2, 2, 2, 2, // 10x 12x 11n 11x 10t 20t 20bc 22x 21t
    2, 2, 2, 2, 2, 2, 2, 2, 2, // 21s 21h 21c 23x 22b 22t 22s 22c 22cs
    3, 3, 3, 3, 3, 3, 3, 3, 3, // 30t 32x 31i 31t 31c 35c 35ms 35mi 3rc
    3, 3, 4, 4, 5, 0, 0, 0};   // 3rms 3rmi 45cc 4rcc 51l payloads

constexpr uint16_t kPackedSwitchIdent = 0x0100;
constexpr uint16_t kSparseSwitchIdent = 0x0200;
constexpr uint16_t kFillArrayDataIdent = 0x0300;

inline int32_t load_i32(ByteView v, uint32_t i) {
  return static_cast<int32_t>(load_u32le(v.data() + 4u * i));
}

// Payload pseudo-instructions: nop opcode with an identifying high byte.
DecodeStatus decode_payload(uint16_t ident, CodeUnits code, uint32_t pc, Instruction& out) {
  const uint32_t avail = code.size() - pc;
  const ByteView bytes = code.bytes();
  const size_t base = size_t{pc} * 2;
  out.opcode = 0x00;
  out.index_kind = IndexKind::kNone;
  if (ident == kPackedSwitchIdent) {
    out.format = Format::kPackedSwitchPayload;
    if (avail < 4) return DecodeStatus::kTruncated;
    const uint32_t n = code[pc + 1];
    const uint64_t units = uint64_t{n} * 2 + 4;
    if (units > avail) return DecodeStatus::kTruncated;
    out.size = static_cast<uint32_t>(units);
    out.payload_count = n;
    out.first_key = static_cast<int32_t>(code[pc + 2] | (uint32_t{code[pc + 3]} << 16));
    out.targets = bytes.subspan(base + 8, size_t{n} * 4);
    return DecodeStatus::kOk;
  }
  if (ident == kSparseSwitchIdent) {
    out.format = Format::kSparseSwitchPayload;
    if (avail < 2) return DecodeStatus::kTruncated;
    const uint32_t n = code[pc + 1];
    const uint64_t units = uint64_t{n} * 4 + 2;
    if (units > avail) return DecodeStatus::kTruncated;
    out.size = static_cast<uint32_t>(units);
    out.payload_count = n;
    out.keys = bytes.subspan(base + 4, size_t{n} * 4);
    out.targets = bytes.subspan(base + 4 + size_t{n} * 4, size_t{n} * 4);
    return DecodeStatus::kOk;
  }
  out.format = Format::kFillArrayDataPayload;
  if (avail < 4) return DecodeStatus::kTruncated;
  const uint16_t width = code[pc + 1];
  const uint32_t n = code[pc + 2] | (uint32_t{code[pc + 3]} << 16);
  const uint64_t data_bytes = uint64_t{width} * n;
  const uint64_t units = (data_bytes + 1) / 2 + 4;
  if (units > avail) return DecodeStatus::kTruncated;
  out.size = static_cast<uint32_t>(units);
  out.payload_count = n;
  out.element_width = width;
  out.array_data = bytes.subspan(base + 8, static_cast<size_t>(data_bytes));
  return DecodeStatus::kOk;
}

} // namespace

const OpcodeInfo& opcode_info(uint8_t op) { return kOpcodes[op]; }

std::string_view to_string(Format format) { return kFormatNames[static_cast<size_t>(format)]; }

uint32_t format_size(Format f) { return kFormatSizes[static_cast<size_t>(f)]; }

std::string_view to_string(IndexKind kind) {
  switch (kind) {
    case IndexKind::kNone: return "none";
    case IndexKind::kString: return "string";
    case IndexKind::kType: return "type";
    case IndexKind::kField: return "field";
    case IndexKind::kMethod: return "method";
    case IndexKind::kProto: return "proto";
    case IndexKind::kCallSite: return "call_site";
    case IndexKind::kMethodHandle: return "method_handle";
    case IndexKind::kMethodAndProto: return "method_and_proto";
    case IndexKind::kVtableOffset: return "vtable_offset";
    case IndexKind::kFieldOffset: return "field_offset";
    case IndexKind::kInlineMethod: return "inline_method";
    case IndexKind::kVerifyError: return "verify_error";
  }
  return "?";
}

std::string_view to_string(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kTruncated: return "truncated";
    case DecodeStatus::kInvalidOpcode: return "invalid_opcode";
    case DecodeStatus::kInvalidOperand: return "invalid_operand";
  }
  return "?";
}

std::string_view Instruction::name() const {
  switch (format) {
    case Format::kPackedSwitchPayload: return "packed-switch-payload";
    case Format::kSparseSwitchPayload: return "sparse-switch-payload";
    case Format::kFillArrayDataPayload: return "fill-array-data-payload";
    default: return opcode_info(opcode).name;
  }
}

int32_t Instruction::switch_key(uint32_t i) const {
  if (format == Format::kSparseSwitchPayload) return load_i32(keys, i);
  return static_cast<int32_t>(static_cast<uint32_t>(first_key) + i);
}

int32_t Instruction::switch_target(uint32_t i) const { return load_i32(targets, i); }

uint32_t Instruction::register_count() const {
  switch (format) {
    case Format::k35c:
    case Format::k35ms:
    case Format::k35mi:
    case Format::k45cc:
    case Format::k3rc:
    case Format::k3rms:
    case Format::k3rmi:
    case Format::k4rcc: return a;
    default: return 0;
  }
}

uint32_t Instruction::register_at(uint32_t i) const {
  switch (format) {
    case Format::k35c:
    case Format::k35ms:
    case Format::k35mi:
    case Format::k45cc: return i < 5 ? args[i] : 0;
    default: return c + i;
  }
}

DecodeStatus decode_format(Format f, CodeUnits code, uint32_t pc, Instruction& out) {
  if (pc >= code.size()) return DecodeStatus::kTruncated;
  const uint32_t size = format_size(f);
  out.pc = pc;
  out.format = f;
  if (size == 0) { // payload pseudo-format requested explicitly
    const uint16_t ident = f == Format::kPackedSwitchPayload   ? kPackedSwitchIdent
                           : f == Format::kSparseSwitchPayload ? kSparseSwitchIdent
                                                               : kFillArrayDataIdent;
    return decode_payload(ident, code, pc, out);
  }
  out.size = size;
  if (size > code.size() - pc) return DecodeStatus::kTruncated;
  const uint16_t u0 = code[pc];
  const uint32_t aa = u0 >> 8;         // AA
  const uint32_t a4 = (u0 >> 8) & 0xf; // A of B|A
  const uint32_t b4 = u0 >> 12;        // B of B|A
  out.opcode = static_cast<uint8_t>(u0 & 0xff);
  out.a = out.b = out.c = 0;
  out.literal = 0;
  out.branch = 0;
  out.index = out.index2 = 0;
  switch (f) {
    case Format::k10x: break;
    case Format::k12x:
      out.a = a4;
      out.b = b4;
      break;
    case Format::k11n:
      out.a = a4;
      out.literal = static_cast<int8_t>(b4 << 4) >> 4;
      break;
    case Format::k11x: out.a = aa; break;
    case Format::k10t: out.branch = static_cast<int8_t>(aa); break;
    case Format::k20t: out.branch = static_cast<int16_t>(code[pc + 1]); break;
    case Format::k20bc:
      out.a = aa;
      out.index = code[pc + 1];
      break;
    case Format::k22x:
      out.a = aa;
      out.b = code[pc + 1];
      break;
    case Format::k21t:
      out.a = aa;
      out.branch = static_cast<int16_t>(code[pc + 1]);
      break;
    case Format::k21s:
      out.a = aa;
      out.literal = static_cast<int16_t>(code[pc + 1]);
      break;
    case Format::k21h:
      out.a = aa;
      // const/high16 fills the top of 32 bits, const-wide/high16 the top of 64 bits.
      if (out.opcode == 0x19) {
        out.literal = static_cast<int64_t>(uint64_t{code[pc + 1]} << 48);
      } else {
        out.literal = static_cast<int32_t>(uint32_t{code[pc + 1]} << 16);
      }
      break;
    case Format::k21c:
      out.a = aa;
      out.index = code[pc + 1];
      break;
    case Format::k23x:
      out.a = aa;
      out.b = code[pc + 1] & 0xff;
      out.c = code[pc + 1] >> 8;
      break;
    case Format::k22b:
      out.a = aa;
      out.b = code[pc + 1] & 0xff;
      out.literal = static_cast<int8_t>(code[pc + 1] >> 8);
      break;
    case Format::k22t:
      out.a = a4;
      out.b = b4;
      out.branch = static_cast<int16_t>(code[pc + 1]);
      break;
    case Format::k22s:
      out.a = a4;
      out.b = b4;
      out.literal = static_cast<int16_t>(code[pc + 1]);
      break;
    case Format::k22c:
    case Format::k22cs:
      out.a = a4;
      out.b = b4;
      out.index = code[pc + 1];
      break;
    case Format::k30t:
      out.branch = static_cast<int32_t>(code[pc + 1] | (uint32_t{code[pc + 2]} << 16));
      break;
    case Format::k32x:
      out.a = code[pc + 1];
      out.b = code[pc + 2];
      break;
    case Format::k31i:
      out.a = aa;
      out.literal = static_cast<int32_t>(code[pc + 1] | (uint32_t{code[pc + 2]} << 16));
      break;
    case Format::k31t:
      out.a = aa;
      out.branch = static_cast<int32_t>(code[pc + 1] | (uint32_t{code[pc + 2]} << 16));
      break;
    case Format::k31c:
      out.a = aa;
      out.index = code[pc + 1] | (uint32_t{code[pc + 2]} << 16);
      break;
    case Format::k35c:
    case Format::k35ms:
    case Format::k35mi:
    case Format::k45cc: {
      out.a = b4; // A|G|op: the count is the high nibble
      const uint16_t u2 = code[pc + 2];
      out.args[0] = static_cast<uint8_t>(u2 & 0xf);
      out.args[1] = static_cast<uint8_t>((u2 >> 4) & 0xf);
      out.args[2] = static_cast<uint8_t>((u2 >> 8) & 0xf);
      out.args[3] = static_cast<uint8_t>(u2 >> 12);
      out.args[4] = static_cast<uint8_t>(a4);
      out.index = code[pc + 1];
      out.b = out.index;
      out.c = out.args[0];
      if (f == Format::k45cc) out.index2 = code[pc + 3];
      if (out.a > 5) return DecodeStatus::kInvalidOperand;
      break;
    }
    case Format::k3rc:
    case Format::k3rms:
    case Format::k3rmi:
    case Format::k4rcc:
      out.a = aa;
      out.index = code[pc + 1];
      out.b = out.index;
      out.c = code[pc + 2];
      if (f == Format::k4rcc) out.index2 = code[pc + 3];
      break;
    case Format::k51l:
      out.a = aa;
      out.literal =
          static_cast<int64_t>(uint64_t{code[pc + 1]} | (uint64_t{code[pc + 2]} << 16) |
                               (uint64_t{code[pc + 3]} << 32) | (uint64_t{code[pc + 4]} << 48));
      break;
    case Format::kPackedSwitchPayload:
    case Format::kSparseSwitchPayload:
    case Format::kFillArrayDataPayload: break; // handled above
  }
  return DecodeStatus::kOk;
}

DecodeStatus decode_instruction(CodeUnits code, uint32_t pc, Instruction& out) {
  if (pc >= code.size()) {
    out.pc = pc;
    out.size = 0;
    return DecodeStatus::kTruncated;
  }
  const uint16_t u0 = code[pc];
  const uint8_t op = static_cast<uint8_t>(u0 & 0xff);
  if (op == 0x00 && (u0 >> 8) != 0) {
    const uint16_t ident = u0;
    if (ident == kPackedSwitchIdent || ident == kSparseSwitchIdent ||
        ident == kFillArrayDataIdent) {
      out.pc = pc;
      return decode_payload(ident, code, pc, out);
    }
    // A nop with a non-zero high byte that is no payload: decode as plain nop (dexdump does).
  }
  const OpcodeInfo& info = kOpcodes[op];
  const DecodeStatus s = decode_format(info.format, code, pc, out);
  out.index_kind = info.index_kind;
  if (s != DecodeStatus::kOk) return s;
  if ((info.flags & kFlagInvalid) != 0) return DecodeStatus::kInvalidOpcode;
  return DecodeStatus::kOk;
}

bool InstructionIterator::next(Instruction& out) {
  if (status_ == DecodeStatus::kTruncated || pc_ >= code_.size()) return false;
  const DecodeStatus s = decode_instruction(code_, pc_, out);
  last_ = s;
  switch (s) {
    case DecodeStatus::kOk: break;
    case DecodeStatus::kTruncated: status_ = s; return false;
    case DecodeStatus::kInvalidOpcode:
    case DecodeStatus::kInvalidOperand:
      if (invalid_++ == 0) first_invalid_pc_ = pc_;
      break;
  }
  pc_ += out.size == 0 ? 1 : out.size;
  return true;
}

} // namespace appaudit::dex
