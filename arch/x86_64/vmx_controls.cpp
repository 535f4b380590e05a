#include "arch/x86_64/vmx_controls.hpp"

#include "kernel/lib/string.hpp"

namespace bulkhead::x86::vmx {

namespace {

constexpr unsigned kControlBits = 32;

struct BitName {
    uint32_t bit;
    const char* name;
};

constexpr BitName kPinNames[] = {{pin_based::kExternalInterruptExiting, "external-interrupt exiting"},
                                 {pin_based::kNmiExiting, "NMI exiting"},
                                 {pin_based::kVirtualNmis, "virtual NMIs"},
                                 {pin_based::kPreemptionTimer, "VMX-preemption timer"}};
constexpr BitName kProcNames[] = {{proc_based::kInterruptWindowExiting, "interrupt-window exiting"},
                                  {proc_based::kHltExiting, "HLT exiting"},
                                  {proc_based::kMwaitExiting, "MWAIT exiting"},
                                  {proc_based::kMonitorExiting, "MONITOR exiting"},
                                  {proc_based::kUseIoBitmaps, "use I/O bitmaps"},
                                  {proc_based::kUseMsrBitmaps, "use MSR bitmaps"},
                                  {proc_based::kActivateSecondaryControls, "activate secondary controls"}};
constexpr BitName kProc2Names[] = {{proc_based2::kEnableEpt, "enable EPT"},
                                   {proc_based2::kEnableRdtscp, "enable RDTSCP"},
                                   {proc_based2::kEnableVpid, "enable VPID"},
                                   {proc_based2::kUnrestrictedGuest, "unrestricted guest"},
                                   {proc_based2::kEnableInvpcid, "enable INVPCID"},
                                   {proc_based2::kEnableXsaves, "enable XSAVES/XRSTORS"}};
constexpr BitName kExitNames[] = {{exit_ctl::kHostAddressSpaceSize, "host address-space size"},
                                  {exit_ctl::kAcknowledgeInterruptOnExit, "acknowledge interrupt on exit"},
                                  {exit_ctl::kSavePat, "save IA32_PAT"},
                                  {exit_ctl::kLoadPat, "load IA32_PAT"},
                                  {exit_ctl::kSaveEfer, "save IA32_EFER"},
                                  {exit_ctl::kLoadEfer, "load IA32_EFER"},
                                  {exit_ctl::kSavePreemptionTimer, "save VMX-preemption timer value"}};
constexpr BitName kEntryNames[] = {{entry_ctl::kIa32eModeGuest, "IA-32e mode guest"},
                                   {entry_ctl::kLoadPat, "load IA32_PAT"},
                                   {entry_ctl::kLoadEfer, "load IA32_EFER"}};

template <size_t N>
const char* find_name(const BitName (&names)[N], uint32_t bit) {
    for (const BitName& n : names)
        if (n.bit == bit) return n.name;
    return nullptr;
}

void append(char* buffer, size_t capacity, const char* text) {
    size_t at = bounded_strlen(buffer, capacity);
    for (; *text != '\0' && at + 1 < capacity; ++text) buffer[at++] = *text;
    if (capacity != 0) buffer[at < capacity ? at : capacity - 1] = '\0';
}

}  // namespace

const char* to_string(ControlField field) {
    switch (field) {
        case ControlField::PinBased: return "pin-based";
        case ControlField::ProcBased: return "primary processor-based";
        case ControlField::ProcBased2: return "secondary processor-based";
        case ControlField::Exit: return "VM-exit";
        case ControlField::Entry: return "VM-entry";
    }
    return "?";
}

const char* control_bit_name(ControlField field, unsigned bit) {
    const uint32_t mask = 1u << bit;
    const char* name = nullptr;
    switch (field) {
        case ControlField::PinBased: name = find_name(kPinNames, mask); break;
        case ControlField::ProcBased: name = find_name(kProcNames, mask); break;
        case ControlField::ProcBased2: name = find_name(kProc2Names, mask); break;
        case ControlField::Exit: name = find_name(kExitNames, mask); break;
        case ControlField::Entry: name = find_name(kEntryNames, mask); break;
    }
    return name != nullptr ? name : "unnamed control";
}

void describe_missing_controls(ControlField field, uint32_t missing, char* buffer, size_t capacity) {
    if (capacity == 0) return;
    buffer[0] = '\0';
    for (unsigned bit = 0; bit < kControlBits; ++bit) {
        if ((missing & (1u << bit)) == 0) continue;
        if (buffer[0] != '\0') append(buffer, capacity, ", ");
        append(buffer, capacity, control_bit_name(field, bit));
    }
}

}  // namespace bulkhead::x86::vmx
