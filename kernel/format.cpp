// printf-style formatting. See format.hpp for what is supported.
//
// A conversion specification is parsed into a FormatSpec, its argument is
// fetched, and the text is laid out as one field:
//
//   [spaces] [prefix: sign or 0x] [zeros] [body] [spaces]
//
// Every conversion fills in that same layout (emit_field), which is what keeps
// padding rules in one place.
#include "kernel/format.hpp"

#include <stdint.h>

#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

constexpr unsigned kDecimal = 10;
constexpr unsigned kHexadecimal = 16;
constexpr unsigned kOctal = 8;

// A 64-bit value needs at most 22 octal digits (more than decimal or hex).
constexpr size_t kMaxDigits = 22;

// %p prints every nibble of the address: two hex digits per byte.
constexpr size_t kPointerHexDigits = sizeof(uintptr_t) * 2;

// printf takes widths and precisions as int; digit strings beyond that are
// nonsense, so parsing stops growing the number there instead of overflowing.
constexpr size_t kMaxParsedNumber = INT32_MAX;

const char kLowerDigits[] = "0123456789abcdef";
const char kUpperDigits[] = "0123456789ABCDEF";
const char kNullString[] = "(null)";
const char kPointerPrefix[] = "0x";

enum class Length { Default, Char, Short, Long, LongLong, Size, IntMax, PtrDiff };

struct FormatSpec {
    bool left_align = false;   // '-'
    bool zero_pad = false;     // '0'
    bool alternate = false;    // '#'
    bool plus_sign = false;    // '+'
    bool space_sign = false;   // ' '
    size_t width = 0;
    bool has_precision = false;
    size_t precision = 0;
    Length length = Length::Default;
};

// On x86_64 va_list is an array type, so a va_list function parameter is
// really a pointer and cannot be passed on by reference. Wrapping our own copy
// in a struct lets every helper consume arguments from the same list.
struct Arguments {
    va_list list;
};

class Output {
public:
    Output(FormatSink sink, void* context) : sink_(sink), context_(context) {}

    void put(char c) { sink_(context_, c); }

    void write(const char* text, size_t length) {
        for (size_t i = 0; i < length; ++i) put(text[i]);
    }

    void repeat(char c, size_t count) {
        for (size_t i = 0; i < count; ++i) put(c);
    }

private:
    FormatSink sink_;
    void* context_;
};

constexpr size_t clamp_field(size_t value) {
    return value > kMaxFieldWidth ? kMaxFieldWidth : value;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ---------------------------------------------------------------- parsing

const char* parse_flags(const char* cursor, FormatSpec& spec) {
    for (;; ++cursor) {
        switch (*cursor) {
            case '-': spec.left_align = true; break;
            case '0': spec.zero_pad = true; break;
            case '#': spec.alternate = true; break;
            case '+': spec.plus_sign = true; break;
            case ' ': spec.space_sign = true; break;
            default: return cursor;
        }
    }
}

const char* parse_number(const char* cursor, size_t& value) {
    value = 0;
    for (; is_digit(*cursor); ++cursor) {
        const size_t digit = static_cast<size_t>(*cursor - '0');
        value = value * kDecimal + digit;
        if (value > kMaxParsedNumber) value = kMaxParsedNumber;
    }
    return cursor;
}

const char* parse_width(const char* cursor, FormatSpec& spec, Arguments& args) {
    if (*cursor != '*') {
        cursor = parse_number(cursor, spec.width);
        spec.width = clamp_field(spec.width);
        return cursor;
    }
    const int requested = va_arg(args.list, int);
    // C says a negative '*' width means the '-' flag plus the positive width.
    if (requested < 0) spec.left_align = true;
    // Negate in unsigned arithmetic: -INT_MIN does not fit in an int.
    const unsigned magnitude = requested < 0 ? 0u - static_cast<unsigned>(requested)
                                             : static_cast<unsigned>(requested);
    spec.width = clamp_field(magnitude);
    return cursor + 1;
}

const char* parse_precision(const char* cursor, FormatSpec& spec, Arguments& args) {
    if (*cursor != '.') return cursor;
    ++cursor;
    if (*cursor != '*') {
        // A lone '.' means precision zero, which parse_number yields.
        spec.has_precision = true;
        return parse_number(cursor, spec.precision);
    }
    const int requested = va_arg(args.list, int);
    // C says a negative '*' precision is taken as if none had been given.
    spec.has_precision = requested >= 0;
    spec.precision = requested >= 0 ? static_cast<size_t>(requested) : 0;
    return cursor + 1;
}

const char* parse_length(const char* cursor, FormatSpec& spec) {
    // Reading cursor[1] is safe whenever cursor[0] is not the terminating NUL.
    switch (*cursor) {
        case 'h':
            if (cursor[1] == 'h') { spec.length = Length::Char; return cursor + 2; }
            spec.length = Length::Short;
            return cursor + 1;
        case 'l':
            if (cursor[1] == 'l') { spec.length = Length::LongLong; return cursor + 2; }
            spec.length = Length::Long;
            return cursor + 1;
        case 'z': spec.length = Length::Size; return cursor + 1;
        case 'j': spec.length = Length::IntMax; return cursor + 1;
        case 't': spec.length = Length::PtrDiff; return cursor + 1;
        default: return cursor;
    }
}

// ------------------------------------------------------ fetching arguments

// Narrow types arrive promoted to int (C's default argument promotions), so
// they are fetched as int and then cut back to the size the format names.
int64_t fetch_signed(Arguments& args, Length length) {
    switch (length) {
        case Length::Char: return static_cast<signed char>(va_arg(args.list, int));
        case Length::Short: return static_cast<short>(va_arg(args.list, int));
        case Length::Long: return va_arg(args.list, long);
        case Length::LongLong: return va_arg(args.list, long long);
        // size_t has no named signed twin in freestanding C++; same width.
        case Length::Size: return static_cast<int64_t>(va_arg(args.list, size_t));
        case Length::IntMax: return va_arg(args.list, intmax_t);
        case Length::PtrDiff: return va_arg(args.list, ptrdiff_t);
        case Length::Default: break;
    }
    return va_arg(args.list, int);
}

uint64_t fetch_unsigned(Arguments& args, Length length) {
    switch (length) {
        case Length::Char: return static_cast<unsigned char>(va_arg(args.list, unsigned));
        case Length::Short: return static_cast<unsigned short>(va_arg(args.list, unsigned));
        case Length::Long: return va_arg(args.list, unsigned long);
        case Length::LongLong: return va_arg(args.list, unsigned long long);
        case Length::Size: return va_arg(args.list, size_t);
        case Length::IntMax: return va_arg(args.list, uintmax_t);
        case Length::PtrDiff: return static_cast<uint64_t>(va_arg(args.list, ptrdiff_t));
        case Length::Default: break;
    }
    return va_arg(args.list, unsigned);
}

// --------------------------------------------------------------- emitting

struct Field {
    const char* prefix = "";
    size_t prefix_length = 0;
    size_t leading_zeros = 0;
    const char* body = "";
    size_t body_length = 0;
    bool zero_fill_allowed = false;  // may width padding use '0'? (numbers only)
};

void emit_field(Output& out, const FormatSpec& spec, Field field) {
    const size_t content = field.prefix_length + field.leading_zeros + field.body_length;
    size_t padding = spec.width > content ? spec.width - content : 0;
    // Zero padding goes between the sign/prefix and the digits ("-0042"),
    // so it is folded into the leading zeros rather than emitted up front.
    if (field.zero_fill_allowed && spec.zero_pad && !spec.left_align) {
        field.leading_zeros += padding;
        padding = 0;
    }
    if (!spec.left_align) out.repeat(' ', padding);
    out.write(field.prefix, field.prefix_length);
    out.repeat('0', field.leading_zeros);
    out.write(field.body, field.body_length);
    if (spec.left_align) out.repeat(' ', padding);
}

struct Digits {
    char text[kMaxDigits];
    size_t start = kMaxDigits;  // digits occupy text[start, kMaxDigits)

    const char* begin() const { return text + start; }
    size_t count() const { return kMaxDigits - start; }
};

// Renders the digits of `value` right-aligned in the Digits buffer.
void render_digits(uint64_t value, unsigned base, bool uppercase, Digits& digits) {
    const char* alphabet = uppercase ? kUpperDigits : kLowerDigits;
    do {
        digits.text[--digits.start] = alphabet[value % base];
        value /= base;
    } while (value != 0);
}

const char* sign_prefix(const FormatSpec& spec, bool negative) {
    if (negative) return "-";
    if (spec.plus_sign) return "+";
    if (spec.space_sign) return " ";
    return "";
}

const char* radix_prefix(const FormatSpec& spec, uint64_t value, char conversion) {
    // C prints the 0x prefix only for non-zero values.
    if (!spec.alternate || value == 0) return "";
    if (conversion == 'x') return "0x";
    if (conversion == 'X') return "0X";
    return "";
}

// Lays out an integer of the given magnitude. `prefix` is the sign or "0x".
void emit_integer(Output& out, const FormatSpec& spec, uint64_t magnitude, const char* prefix,
                  char conversion) {
    const unsigned base = conversion == 'o'                       ? kOctal
                          : (conversion == 'x' || conversion == 'X') ? kHexadecimal
                                                                     : kDecimal;
    Digits digits;
    // C: a zero value with precision zero prints no digits at all.
    if (!(magnitude == 0 && spec.has_precision && spec.precision == 0))
        render_digits(magnitude, base, conversion == 'X', digits);

    const size_t precision = clamp_field(spec.precision);
    size_t zeros = precision > digits.count() ? precision - digits.count() : 0;
    // '#' with %o guarantees the output starts with a 0.
    const bool starts_with_zero = zeros > 0 || (digits.count() > 0 && *digits.begin() == '0');
    if (base == kOctal && spec.alternate && !starts_with_zero) zeros = 1;

    Field field;
    field.prefix = prefix;
    field.prefix_length = strlen(prefix);
    field.leading_zeros = zeros;
    field.body = digits.begin();
    field.body_length = digits.count();
    // An explicit precision already fixes the number of zeros; C then ignores '0'.
    field.zero_fill_allowed = !spec.has_precision;
    emit_field(out, spec, field);
}

void emit_signed(Output& out, const FormatSpec& spec, Arguments& args) {
    const int64_t value = fetch_signed(args, spec.length);
    const bool negative = value < 0;
    // Negate in unsigned arithmetic so INT64_MIN works (-INT64_MIN overflows).
    const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value)
                                        : static_cast<uint64_t>(value);
    emit_integer(out, spec, magnitude, sign_prefix(spec, negative), 'd');
}

void emit_unsigned(Output& out, const FormatSpec& spec, Arguments& args, char conversion) {
    const uint64_t value = fetch_unsigned(args, spec.length);
    emit_integer(out, spec, value, radix_prefix(spec, value, conversion), conversion);
}

void emit_pointer(Output& out, const FormatSpec& spec, Arguments& args) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(va_arg(args.list, void*));
    Digits digits;
    render_digits(address, kHexadecimal, false, digits);
    Field field;
    field.prefix = kPointerPrefix;
    field.prefix_length = sizeof(kPointerPrefix) - 1;
    field.leading_zeros = kPointerHexDigits - digits.count();
    field.body = digits.begin();
    field.body_length = digits.count();
    emit_field(out, spec, field);
}

void emit_string(Output& out, const FormatSpec& spec, Arguments& args) {
    const char* text = va_arg(args.list, const char*);
    if (text == nullptr) text = kNullString;
    Field field;
    field.body = text;
    // With a precision, never look further than that many bytes: the caller
    // may pass a buffer that has no NUL terminator ("%.*s").
    field.body_length = spec.has_precision ? bounded_strlen(text, spec.precision) : strlen(text);
    emit_field(out, spec, field);
}

void emit_character(Output& out, const FormatSpec& spec, Arguments& args) {
    const char c = static_cast<char>(va_arg(args.list, int));
    Field field;
    field.body = &c;
    field.body_length = 1;
    emit_field(out, spec, field);
}

// Returns false for a conversion character this formatter does not know.
bool emit_conversion(Output& out, char conversion, const FormatSpec& spec, Arguments& args) {
    switch (conversion) {
        case '%': out.put('%'); return true;
        case 'c': emit_character(out, spec, args); return true;
        case 's': emit_string(out, spec, args); return true;
        case 'd':
        case 'i': emit_signed(out, spec, args); return true;
        case 'u':
        case 'o':
        case 'x':
        case 'X': emit_unsigned(out, spec, args, conversion); return true;
        case 'p': emit_pointer(out, spec, args); return true;
        default: return false;
    }
}

// Handles one conversion starting at the '%' and returns where the plain text
// after it resumes.
const char* format_conversion(Output& out, const char* percent, Arguments& args) {
    FormatSpec spec;
    const char* cursor = parse_flags(percent + 1, spec);
    cursor = parse_width(cursor, spec, args);
    cursor = parse_precision(cursor, spec, args);
    cursor = parse_length(cursor, spec);

    const char conversion = *cursor;
    if (conversion != '\0' && emit_conversion(out, conversion, spec, args)) return cursor + 1;

    // Unknown (or missing, at the end of the string): echo the whole
    // specification so the mistake is visible in the output.
    const char* end = conversion == '\0' ? cursor : cursor + 1;
    out.write(percent, static_cast<size_t>(end - percent));
    return end;
}

// Context of the sink behind vformat: fills the buffer, counts everything.
struct BufferWriter {
    char* buffer;
    size_t capacity;
    size_t needed;  // characters produced so far, written or not
};

void write_to_buffer(void* context, char c) {
    auto* writer = static_cast<BufferWriter*>(context);
    // Keep the last byte for the NUL; past that, only count.
    if (writer->needed + 1 < writer->capacity) writer->buffer[writer->needed] = c;
    ++writer->needed;
}

}  // namespace

void vformat_to(FormatSink sink, void* context, const char* fmt, va_list args) {
    Output out(sink, context);
    Arguments arguments;
    va_copy(arguments.list, args);
    while (*fmt != '\0') {
        if (*fmt == '%')
            fmt = format_conversion(out, fmt, arguments);
        else
            out.put(*fmt++);
    }
    va_end(arguments.list);
}

size_t vformat(char* buffer, size_t capacity, const char* fmt, va_list args) {
    BufferWriter writer{buffer, capacity, 0};
    vformat_to(write_to_buffer, &writer, fmt, args);
    if (capacity > 0) {
        const size_t last = capacity - 1;
        buffer[writer.needed < last ? writer.needed : last] = '\0';
    }
    return writer.needed;
}

size_t format(char* buffer, size_t capacity, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const size_t needed = vformat(buffer, capacity, fmt, args);
    va_end(args);
    return needed;
}

}  // namespace bulkhead
