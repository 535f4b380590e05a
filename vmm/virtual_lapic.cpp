#include "vmm/virtual_lapic.hpp"

namespace bulkhead {

namespace apic = x86::apic;

namespace {

constexpr unsigned kBitsPerRegister = 32;
// Writable bits of the registers that keep only some of what is written.
constexpr uint32_t kLogicalIdMask = 0xff000000;
constexpr uint32_t kDestinationModelMask = 0xf0000000;
constexpr uint32_t kSpuriousWritable = 0x3ff;   // vector and software enable
constexpr uint32_t kDivideWritable = apic::kDivideLowBits | apic::kDivideHighBit;
constexpr uint32_t kLvtCommonWritable = apic::kLvtVectorMask | apic::kLvtDeliveryModeMask | apic::kLvtMasked;
constexpr uint32_t kLvtLintWritable =
    kLvtCommonWritable | apic::kLvtInputPolarity | apic::kLvtTriggerLevel;
constexpr uint32_t kLvtTimerWritable = apic::kLvtVectorMask | apic::kLvtMasked | apic::kLvtTimerModeMask;
constexpr uint32_t kLvtErrorWritable = apic::kLvtVectorMask | apic::kLvtMasked;

bool in_bitmap_range(uint32_t offset, uint32_t base) {
    return offset >= base && offset < base + apic::kVectorBitmapRegisters * apic::kRegisterStride;
}

uint32_t bitmap_index(uint32_t offset, uint32_t base) { return (offset - base) / apic::kRegisterStride; }

}  // namespace

void VirtualLapic::reset(uint32_t apic_id, uint32_t tsc_per_tick) {
    *this = VirtualLapic{};
    id_ = apic_id << apic::kXapicIdShift;
    tsc_per_tick_ = tsc_per_tick == 0 ? 1 : tsc_per_tick;
}

// ---- bitmaps ---------------------------------------------------------------------

void VirtualLapic::set_bit(Bitmap& bits, uint8_t vector) {
    bits[vector / kBitsPerRegister] |= 1u << (vector % kBitsPerRegister);
}

void VirtualLapic::clear_bit(Bitmap& bits, uint8_t vector) {
    bits[vector / kBitsPerRegister] &= ~(1u << (vector % kBitsPerRegister));
}

int VirtualLapic::highest_bit(const Bitmap& bits) {
    for (int reg = apic::kVectorBitmapRegisters - 1; reg >= 0; --reg)
        if (bits[reg] != 0) return reg * kBitsPerRegister + (31 - __builtin_clz(bits[reg]));
    return -1;
}

// ---- priorities -------------------------------------------------------------------

// PPR: the task priority, or the class of the highest interrupt in service
// if that is higher (Intel SDM Vol. 3A, 11.8.3.1).
uint32_t VirtualLapic::processor_priority() const {
    const int isr = highest_bit(in_service_);
    const uint32_t isr_class = isr < 0 ? 0 : static_cast<uint32_t>(isr) & apic::kPriorityClassMask;
    const uint32_t tpr_class = task_priority_ & apic::kPriorityClassMask;
    return tpr_class >= isr_class ? task_priority_ : isr_class;
}

bool VirtualLapic::interrupt_ready(uint8_t& vector) const {
    if (!software_enabled()) return false;
    const int irr = highest_bit(requested_);
    if (irr < 0) return false;
    if ((static_cast<uint32_t>(irr) & apic::kPriorityClassMask) <= (processor_priority() & apic::kPriorityClassMask))
        return false;
    vector = static_cast<uint8_t>(irr);
    return true;
}

void VirtualLapic::acknowledge(uint8_t vector) {
    clear_bit(requested_, vector);
    set_bit(in_service_, vector);
}

void VirtualLapic::raise(uint8_t vector, bool level_triggered) {
    if (vector < apic::kFirstValidVector) {
        error_pending_ |= apic::kErrorReceiveIllegalVector;
        return;
    }
    set_bit(requested_, vector);
    if (level_triggered)
        set_bit(trigger_mode_, vector);
    else
        clear_bit(trigger_mode_, vector);
}

// EOI retires the highest interrupt in service; if it was level-triggered,
// the I/O APIC that sent it must hear of it (its remote IRR).
VirtualLapic::WriteEffect VirtualLapic::end_of_interrupt() {
    WriteEffect effect;
    const int isr = highest_bit(in_service_);
    if (isr < 0) return effect;
    const auto vector = static_cast<uint8_t>(isr);
    clear_bit(in_service_, vector);
    if (trigger_mode_[vector / kBitsPerRegister] & (1u << (vector % kBitsPerRegister))) {
        clear_bit(trigger_mode_, vector);
        effect.level_eoi = true;
        effect.eoi_vector = vector;
    }
    return effect;
}

// ---- registers --------------------------------------------------------------------

uint32_t* VirtualLapic::lvt(uint32_t offset) {
    switch (offset) {
        case apic::kLvtCmci: return &lvt_cmci_;
        case apic::kLvtTimer: return &lvt_timer_;
        case apic::kLvtThermal: return &lvt_thermal_;
        case apic::kLvtPerformance: return &lvt_performance_;
        case apic::kLvtLint0: return &lvt_lint0_;
        case apic::kLvtLint1: return &lvt_lint1_;
        case apic::kLvtError: return &lvt_error_;
        default: return nullptr;
    }
}

uint32_t VirtualLapic::read(uint32_t offset, uint64_t now) {
    if (in_bitmap_range(offset, apic::kInService)) return in_service_[bitmap_index(offset, apic::kInService)];
    if (in_bitmap_range(offset, apic::kTriggerMode)) return trigger_mode_[bitmap_index(offset, apic::kTriggerMode)];
    if (in_bitmap_range(offset, apic::kInterruptRequest))
        return requested_[bitmap_index(offset, apic::kInterruptRequest)];
    if (const uint32_t* entry = lvt(offset)) return *entry;
    switch (offset) {
        case apic::kIdRegister: return id_;
        case apic::kVersionRegister:
            return apic::kIntegratedApicVersion | (apic::kMaxLvtEntry << apic::kMaxLvtShift);
        case apic::kTaskPriority: return task_priority_;
        case apic::kArbitrationPriority: return processor_priority();
        case apic::kProcessorPriority: return processor_priority();
        case apic::kLogicalDestination: return logical_destination_;
        case apic::kDestinationFormat: return destination_format_;
        case apic::kSpuriousVector: return spurious_;
        case apic::kErrorStatus: return error_latched_;
        case apic::kInterruptCommandLow: return icr_low_;
        case apic::kInterruptCommandHigh: return icr_high_;
        case apic::kTimerInitialCount: return initial_count_;
        case apic::kTimerCurrentCount: return current_count(now);
        case apic::kTimerDivide: return divide_;
        default: return 0;   // EOI and reserved offsets read as 0
    }
}

VirtualLapic::WriteEffect VirtualLapic::write(uint32_t offset, uint32_t value, uint64_t now) {
    WriteEffect timer_effect;
    timer_effect.timer_changed = true;
    if (lvt(offset) != nullptr) {
        write_lvt(offset, value);
        return offset == apic::kLvtTimer ? timer_effect : WriteEffect{};
    }
    switch (offset) {
        case apic::kIdRegister: id_ = value & (apic::kVectorMask << apic::kXapicIdShift); break;
        case apic::kTaskPriority: task_priority_ = value & apic::kVectorMask; break;
        case apic::kEndOfInterrupt: return end_of_interrupt();
        case apic::kLogicalDestination: logical_destination_ = value & kLogicalIdMask; break;
        case apic::kDestinationFormat: destination_format_ = value | ~kDestinationModelMask; break;
        case apic::kSpuriousVector: write_spurious(value); return timer_effect;   // may mask the timer
        // A write latches the errors seen since the last one (11.5.3).
        case apic::kErrorStatus:
            error_latched_ = error_pending_;
            error_pending_ = 0;
            break;
        case apic::kInterruptCommandHigh: icr_high_ = value; break;
        case apic::kInterruptCommandLow: write_icr(value); break;
        case apic::kTimerInitialCount: start_count(value, now); return timer_effect;
        case apic::kTimerDivide: divide_ = value & kDivideWritable; return timer_effect;
        default: break;   // read-only and reserved registers ignore writes
    }
    return {};
}

void VirtualLapic::write_lvt(uint32_t offset, uint32_t value) {
    uint32_t writable = kLvtCommonWritable;
    if (offset == apic::kLvtTimer) writable = kLvtTimerWritable;
    else if (offset == apic::kLvtLint0 || offset == apic::kLvtLint1) writable = kLvtLintWritable;
    else if (offset == apic::kLvtError) writable = kLvtErrorWritable;
    uint32_t entry = value & writable;
    // A software-disabled APIC keeps every LVT entry masked (11.4.7.2).
    if (!software_enabled()) entry |= apic::kLvtMasked;
    if (offset == apic::kLvtTimer && (entry & apic::kLvtTimerModeMask) != timer_mode()) {
        // Changing the timer mode disarms the timer (11.5.4.1).
        counting_ = false;
        initial_count_ = 0;
        deadline_ = 0;
    }
    *lvt(offset) = entry;
}

void VirtualLapic::write_spurious(uint32_t value) {
    spurious_ = value & kSpuriousWritable;
    if (software_enabled()) return;
    uint32_t* const entries[] = {&lvt_cmci_, &lvt_timer_, &lvt_thermal_, &lvt_performance_,
                                 &lvt_lint0_, &lvt_lint1_, &lvt_error_};
    for (uint32_t* entry : entries) *entry |= apic::kLvtMasked;
}

// Only fixed interrupts to this vCPU itself mean anything with one vCPU.
void VirtualLapic::write_icr(uint32_t value) {
    icr_low_ = value & ~apic::kDeliveryPending;   // delivered at once
    if ((value & apic::kIcrDeliveryModeMask) != apic::kDeliveryFixed) return;
    const uint32_t shorthand = value & apic::kIcrShorthandMask;
    const bool to_self = shorthand == apic::kIcrShorthandSelf || shorthand == apic::kIcrShorthandAllIncludingSelf ||
                         (shorthand == apic::kIcrShorthandNone && !(value & apic::kIcrDestinationLogical) &&
                          (icr_high_ >> apic::kXapicIdShift) == (id_ >> apic::kXapicIdShift));
    const uint8_t vector = static_cast<uint8_t>(value & apic::kIcrVectorMask);
    if (!to_self) return;
    if (vector < apic::kFirstValidVector) {
        error_pending_ |= apic::kErrorSendIllegalVector;
        return;
    }
    raise(vector);
}

// ---- the timer --------------------------------------------------------------------

// TSC ticks per timer count: the input clock's ratio times the divide
// configuration, whose bits 3,1,0 form a 3-bit code: 0 -> 2, 1 -> 4, ...,
// 6 -> 128, 7 -> 1.
uint64_t VirtualLapic::divisor() const {
    const uint32_t code =
        (divide_ & apic::kDivideLowBits) | ((divide_ & apic::kDivideHighBit) >> apic::kDivideHighBitShift);
    return uint64_t{tsc_per_tick_} * (code == apic::kDivideByOneCode ? 1 : uint64_t{2} << code);
}

void VirtualLapic::start_count(uint32_t count, uint64_t now) {
    if (timer_mode() == apic::kLvtTimerTscDeadline) return;   // the count is not used then
    initial_count_ = count;
    count_start_ = now;
    counting_ = count != 0;
}

uint32_t VirtualLapic::current_count(uint64_t now) const {
    if (!counting_ || timer_mode() == apic::kLvtTimerTscDeadline) return 0;
    const uint64_t elapsed = (now - count_start_) / divisor();
    return elapsed >= initial_count_ ? 0 : static_cast<uint32_t>(initial_count_ - elapsed);
}

void VirtualLapic::write_tsc_deadline(uint64_t deadline) {
    if (timer_mode() != apic::kLvtTimerTscDeadline) return;
    deadline_ = deadline;
}

uint64_t VirtualLapic::timer_due() const {
    if (timer_mode() == apic::kLvtTimerTscDeadline) return deadline_;
    if (!counting_) return 0;
    return count_start_ + uint64_t{initial_count_} * divisor();
}

void VirtualLapic::fire_timer() {
    if (!(lvt_timer_ & apic::kLvtMasked)) raise(static_cast<uint8_t>(lvt_timer_ & apic::kLvtVectorMask));
}

void VirtualLapic::update_timer(uint64_t now) {
    const uint64_t due = timer_due();
    if (due == 0 || now < due) return;
    fire_timer();
    if (timer_mode() == apic::kLvtTimerTscDeadline) {
        deadline_ = 0;
    } else if (timer_mode() == apic::kLvtTimerPeriodic) {
        // The next period starts where this one ended; periods missed while
        // the vCPU did not run are dropped, as one interrupt (a guest that
        // counts ticks must use the TSC for time, as Linux does).
        const uint64_t period = uint64_t{initial_count_} * divisor();
        count_start_ = due + ((now - due) / period) * period;
    } else {
        counting_ = false;
    }
}

}  // namespace bulkhead
