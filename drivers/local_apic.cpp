#include "drivers/local_apic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
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

// ---- the wake-up timer ------------------------------------------------------------

namespace {
constexpr uint32_t kDivideByOne = 0xb;          // divide configuration 1011b
constexpr uint32_t kMaxCount = 0xffffffff;
constexpr uint64_t kCalibrationDivisor = 1000;  // measure for 1/1000 s
constexpr unsigned kFixedPointShift = 32;
}  // namespace

void LocalApic::calibrate_timer(uint64_t tsc_hz) {
    tsc_deadline_mode_ = (x86::cpuid(x86::cpuid_bits::kLeafFeatures).ecx & x86::cpuid_bits::kFeaturesEcxTscDeadline) != 0;
    if (tsc_deadline_mode_) return;
    // One-shot, masked, counting down from the top for 1 ms of TSC time.
    write(apic::kTimerDivide, kDivideByOne);
    write(apic::kLvtTimer, apic::kLvtMasked | apic::kLvtTimerOneShot);
    write(apic::kTimerInitialCount, kMaxCount);
    const uint64_t start = x86::read_tsc();
    uint64_t elapsed = 0;
    while ((elapsed = x86::read_tsc() - start) < tsc_hz / kCalibrationDivisor) x86::pause();
    const uint64_t counted = kMaxCount - read(apic::kTimerCurrentCount);
    write(apic::kTimerInitialCount, 0);
    counts_per_tsc_q32_ = elapsed == 0 ? 0 : (counted << kFixedPointShift) / elapsed;
}

void LocalApic::enable_timer(uint8_t vector) {
    write(apic::kTimerDivide, kDivideByOne);
    write(apic::kLvtTimer, vector | (tsc_deadline_mode_ ? apic::kLvtTimerTscDeadline : apic::kLvtTimerOneShot));
}

void LocalApic::arm_timer(uint64_t tsc_deadline) {
    if (tsc_deadline_mode_) {
        x86::write_msr(x86::Msr::TscDeadline, tsc_deadline);   // a deadline already past fires at once
        return;
    }
    const uint64_t now = x86::read_tsc();
    const uint64_t ticks = tsc_deadline > now ? tsc_deadline - now : 1;
    const unsigned __int128 counts = (static_cast<unsigned __int128>(ticks) * counts_per_tsc_q32_) >> kFixedPointShift;
    // Too far ahead for one count: the CPU wakes early and arms again.
    write(apic::kTimerInitialCount, counts == 0 ? 1 : counts > kMaxCount ? kMaxCount : static_cast<uint32_t>(counts));
}

void LocalApic::disarm_timer() {
    if (tsc_deadline_mode_)
        x86::write_msr(x86::Msr::TscDeadline, 0);
    else
        write(apic::kTimerInitialCount, 0);
}

}  // namespace bulkhead
