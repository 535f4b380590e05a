// A small printf-style formatter for the console logger.
//
// The hypervisor has no C library, so it brings its own formatter. It covers
// what kernel messages need and nothing that would require floating point
// (the kernel is built with -mgeneral-regs-only):
//
//   conversions  %% %c %s %d %i %u %o %x %X %p
//   flags        '-' (left-align)  '0' (zero-pad)  '#' (0x / 0 prefix)
//                '+' and ' ' (sign of positive signed numbers)
//   width        digits or '*' (taken from an int argument; negative means '-')
//   precision    digits or '*': minimum digits for integers, maximum bytes for
//                %s, so "%.*s" prints strings that are not NUL-terminated
//   length       hh h l ll z j t
//
// Results match the C library's snprintf, with these deliberate exceptions:
//   - %p always prints "0x" and 16 hex digits, so addresses line up in logs;
//   - %s of a null pointer prints "(null)" (cut short by a precision, if any);
//   - an unknown conversion such as "%q" or "%f" is printed as written, so a
//     bad format string shows up in the log instead of vanishing. It consumes
//     no argument (beyond any '*' it contains).
//   - width and integer precision are capped at kMaxFieldWidth, so a garbage
//     '*' argument cannot make the kernel print billions of spaces.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace bulkhead {

// Largest width (and integer precision) honoured; larger values are clamped.
inline constexpr size_t kMaxFieldWidth = 4096;

// Receives the formatted output one character at a time. `context` is passed
// through untouched, so a sink can keep its state there (a buffer, a port).
using FormatSink = void (*)(void* context, char c);

// Formats straight into `sink`; no buffer and no length limit.
void vformat_to(FormatSink sink, void* context, const char* fmt, va_list args);

// snprintf-like: writes at most capacity - 1 characters plus a NUL (nothing at
// all when capacity is 0, in which case buffer may be null). Returns the length
// the complete output needs, not counting the NUL; a result >= capacity means
// the output was truncated.
size_t vformat(char* buffer, size_t capacity, const char* fmt, va_list args);
size_t format(char* buffer, size_t capacity, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace bulkhead
