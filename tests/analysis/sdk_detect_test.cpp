#include "analysis/sdk_detect.hpp"

#include <gtest/gtest.h>

// Placeholder until the SDK detection tests land.
TEST(SdkDetect, Builds) { SUCCEED(); }
