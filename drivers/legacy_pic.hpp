// The two 8259 interrupt controllers every PC still has. Bulkhead does not
// take interrupts from them; it masks every line at boot so that no legacy
// interrupt (the BIOS's timer, say) arrives while a guest runs.
#pragma once

namespace bulkhead {

void mask_legacy_pic();

}  // namespace bulkhead
