#include "vmm/exit_statistics.hpp"

namespace bulkhead {

// A selection of the n largest: n is small (the summary prints a handful).
size_t KeyedCounters::busiest(KeyedCount* out, size_t n) const {
    size_t found = 0;
    for (const KeyedCount& c : slots_) {
        if (!c.used) continue;
        size_t at = found < n ? found++ : n;
        if (at == n) {
            if (n == 0 || c.total() <= out[n - 1].total()) continue;
            at = n - 1;
        }
        // Insertion into the sorted prefix.
        while (at > 0 && out[at - 1].total() < c.total()) {
            out[at] = out[at - 1];
            --at;
        }
        out[at] = c;
    }
    return found;
}

}  // namespace bulkhead
