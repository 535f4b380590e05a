#pragma once

namespace bulkhead {
inline constexpr const char* kVersion = "0.1.0";
}
