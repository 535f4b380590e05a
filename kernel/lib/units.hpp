// Binary size units (powers of 1024), as memory sizes are written everywhere,
// and the time units the run limit and the control plane's figures use.
#pragma once

#include <stdint.h>

namespace bulkhead {
inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;
inline constexpr uint64_t kMicrosecondsPerMillisecond = 1000;
}  // namespace bulkhead
