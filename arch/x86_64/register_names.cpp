#include "arch/x86_64/register_names.hpp"

#include "kernel/format.hpp"

namespace bulkhead::x86 {

namespace {

// In the x86 register numbering (vmx::Gpr).
constexpr const char* kGprNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
constexpr size_t kGprNameCount = sizeof kGprNames / sizeof kGprNames[0];

constexpr BitName kCr0[] = {{0, "PE"}, {1, "MP"}, {2, "EM"}, {3, "TS"},  {4, "ET"},  {5, "NE"},
                            {16, "WP"}, {18, "AM"}, {29, "NW"}, {30, "CD"}, {31, "PG"}};
constexpr BitName kCr4[] = {{0, "VME"},        {1, "PVI"},     {2, "TSD"},   {3, "DE"},      {4, "PSE"},
                            {5, "PAE"},        {6, "MCE"},     {7, "PGE"},   {8, "PCE"},     {9, "OSFXSR"},
                            {10, "OSXMMEXCPT"}, {11, "UMIP"},   {12, "LA57"}, {13, "VMXE"},   {14, "SMXE"},
                            {16, "FSGSBASE"},  {17, "PCIDE"},  {18, "OSXSAVE"}, {19, "KL"},  {20, "SMEP"},
                            {21, "SMAP"},      {22, "PKE"},    {23, "CET"},  {24, "PKS"},    {25, "UINTR"}};
constexpr BitName kEfer[] = {{0, "SCE"}, {8, "LME"}, {10, "LMA"}, {11, "NXE"}};
constexpr BitName kRflags[] = {{0, "CF"},  {2, "PF"},  {4, "AF"},  {6, "ZF"},  {7, "SF"},   {8, "TF"},
                               {9, "IF"},  {10, "DF"}, {11, "OF"}, {14, "NT"}, {16, "RF"},  {17, "VM"},
                               {18, "AC"}, {19, "VIF"}, {20, "VIP"}, {21, "ID"}};
// RFLAGS bit 1 is always 1 and IOPL (13:12) is a number, not a flag.
constexpr uint64_t kRflagsNotFlags = (1ull << 1) | (3ull << 12);

template <size_t N>
constexpr BitNames names_of(const BitName (&bits)[N]) {
    return {bits, N};
}

constexpr unsigned kBits = 64;

}  // namespace

const char* gpr_name(vmx::Gpr gpr) {
    const auto index = static_cast<size_t>(gpr);
    return index < kGprNameCount ? kGprNames[index] : "?";
}

BitNames cr0_bit_names() { return names_of(kCr0); }
BitNames cr4_bit_names() { return names_of(kCr4); }
BitNames efer_bit_names() { return names_of(kEfer); }
BitNames rflags_bit_names() { return names_of(kRflags); }

size_t format_flags(uint64_t value, BitNames names, char* out, size_t capacity) {
    size_t used = 0;
    auto put = [&](const char* text, unsigned bit) {
        const size_t room = used < capacity ? capacity - used : 0;
        used += text != nullptr ? format(out + (room ? used : 0), room, "%s%s", used ? " " : "", text)
                                : format(out + (room ? used : 0), room, "%sbit%u", used ? " " : "", bit);
    };
    if (names.bits == kRflags) value &= ~kRflagsNotFlags;
    for (unsigned bit = 0; bit < kBits; ++bit) {
        if ((value & (1ull << bit)) == 0) continue;
        const char* name = nullptr;
        for (size_t i = 0; i < names.count; ++i)
            if (names.bits[i].bit == bit) name = names.bits[i].name;
        put(name, bit);
    }
    if (capacity != 0 && used == 0) out[0] = '\0';
    return used;
}

}  // namespace bulkhead::x86
