#include "drivers/local_apic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/local_apic.hpp"
#include "arch/x86_64/msr.hpp"

namespace bulkhead {

namespace apic = x86::apic;

namespace {
// Polls of the delivery-status bit before an IPI counts as lost.
constexpr uint32_t kDeliveryPollLimit = 1'000'000;
}  // namespace

void LocalApic::init() {
    const uint64_t base_msr = x86::read_msr(x86::Msr::ApicBase);
    x2apic_ = (base_msr & apic::kBaseX2apicEnable) != 0;
    base_ = base_msr & apic::kBaseAddressMask;
    write(apic::kSpuriousVector, apic::kSoftwareEnable | apic::kSpuriousVectorNumber);
}

uint32_t LocalApic::read(uint32_t offset) const {
    if (x2apic_) return static_cast<uint32_t>(x86::read_msr(static_cast<x86::Msr>(apic::kX2apicMsrBase + (offset >> 4))));
    return *reinterpret_cast<volatile uint32_t*>(base_ + offset);
}

void LocalApic::write(uint32_t offset, uint32_t value) {
    if (x2apic_)
        x86::write_msr(static_cast<x86::Msr>(apic::kX2apicMsrBase + (offset >> 4)), value);
    else
        *reinterpret_cast<volatile uint32_t*>(base_ + offset) = value;
}

uint32_t LocalApic::id() const {
    if (x2apic_) return static_cast<uint32_t>(x86::read_msr(static_cast<x86::Msr>(apic::kX2apicIdMsr)));
    return read(apic::kIdRegister) >> apic::kXapicIdShift;
}

bool LocalApic::send(uint32_t apic_id, uint32_t command) {
    if (x2apic_) {
        // One 64-bit write sends it; x2APIC has no delivery-status bit to poll.
        x86::write_msr(static_cast<x86::Msr>(apic::kX2apicIcrMsr),
                       (uint64_t{apic_id} << apic::kX2apicDestinationShift) | command);
        return true;
    }
    write(apic::kInterruptCommandHigh, apic_id << apic::kXapicIdShift);
    write(apic::kInterruptCommandLow, command);   // this write sends it
    for (uint32_t i = 0; i < kDeliveryPollLimit; ++i) {
        if ((read(apic::kInterruptCommandLow) & apic::kDeliveryPending) == 0) return true;
        x86::pause();
    }
    return false;
}

bool LocalApic::send_init(uint32_t apic_id) {
    return send(apic_id, apic::kDeliveryInit | apic::kLevelAssert | apic::kTriggerLevel);
}

bool LocalApic::send_startup(uint32_t apic_id, uint64_t entry_page_address) {
    const auto vector = static_cast<uint32_t>(entry_page_address >> apic::kStartupPageShift);
    return send(apic_id, apic::kDeliveryStartup | vector);
}

}  // namespace bulkhead

namespace bulkhead {

bool LocalApic::send_fixed(uint32_t apic_id, uint8_t vector) {
    return send(apic_id, apic::kDeliveryFixed | apic::kLevelAssert | vector);
}

void LocalApic::end_of_interrupt() { write(apic::kEndOfInterrupt, 0); }

}  // namespace bulkhead
