#pragma once

namespace bulkhead {
void run_global_constructors();
}
