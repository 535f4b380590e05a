// Unit tests for kernel/format: the host C library's snprintf is the oracle
// wherever the two are meant to agree.
#include <catch2/catch.hpp>

#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernel/format.hpp"

namespace {

constexpr size_t kBufferSize = 256;

// Runs both formatters on the same arguments and checks text and return value.
#define CHECK_LIKE_SNPRINTF(...)                                               \
    do {                                                                       \
        char expected[kBufferSize];                                            \
        char actual[kBufferSize];                                              \
        const int expected_length = snprintf(expected, kBufferSize, __VA_ARGS__); \
        const size_t actual_length = bulkhead::format(actual, kBufferSize, __VA_ARGS__); \
        INFO("format: " << #__VA_ARGS__);                                     \
        CHECK(std::string(actual) == std::string(expected));                  \
        CHECK(actual_length == static_cast<size_t>(expected_length));         \
    } while (0)

// Calls vformat without the printf format attribute, so tests can pass format
// strings the compiler would (rightly) reject, such as "%q".
size_t format_unchecked(char* buffer, size_t capacity, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const size_t length = bulkhead::vformat(buffer, capacity, fmt, args);
    va_end(args);
    return length;
}

std::string unchecked(const char* fmt, ...) {
    char buffer[kBufferSize];
    va_list args;
    va_start(args, fmt);
    bulkhead::vformat(buffer, sizeof(buffer), fmt, args);
    va_end(args);
    return buffer;
}

template <typename... Args>
std::string formatted(const char* fmt, Args... args) {
    char buffer[kBufferSize];
    format_unchecked(buffer, sizeof(buffer), fmt, args...);
    return buffer;
}

struct StringSink {
    std::string text;
    static void put(void* context, char c) { static_cast<StringSink*>(context)->text += c; }
};

std::string stream(const char* fmt, ...) {
    StringSink sink;
    va_list args;
    va_start(args, fmt);
    bulkhead::vformat_to(StringSink::put, &sink, fmt, args);
    va_end(args);
    return sink.text;
}

}  // namespace

TEST_CASE("format: plain text and percent", "[format]") {
    CHECK_LIKE_SNPRINTF("%s", "");
    CHECK_LIKE_SNPRINTF("hello, world");
    CHECK_LIKE_SNPRINTF("100%%");
    CHECK_LIKE_SNPRINTF("%%%%");
    CHECK_LIKE_SNPRINTF("a%%b%%c");
}

TEST_CASE("format: characters", "[format]") {
    CHECK_LIKE_SNPRINTF("%c", 'x');
    CHECK_LIKE_SNPRINTF("[%3c]", 'x');
    CHECK_LIKE_SNPRINTF("[%-3c]", 'x');
    CHECK_LIKE_SNPRINTF("%c%c%c", 'a', 'b', 'c');
    CHECK_LIKE_SNPRINTF("[%*c]", 4, 'y');
}

TEST_CASE("format: strings", "[format]") {
    CHECK_LIKE_SNPRINTF("%s", "text");
    CHECK_LIKE_SNPRINTF("[%10s]", "right");
    CHECK_LIKE_SNPRINTF("[%-10s]", "left");
    CHECK_LIKE_SNPRINTF("[%2s]", "longer than width");
    CHECK_LIKE_SNPRINTF("[%.3s]", "abcdef");
    CHECK_LIKE_SNPRINTF("[%.0s]", "abcdef");
    CHECK_LIKE_SNPRINTF("[%.s]", "abcdef");
    CHECK_LIKE_SNPRINTF("[%.10s]", "abc");
    CHECK_LIKE_SNPRINTF("[%8.3s]", "abcdef");
    CHECK_LIKE_SNPRINTF("[%-8.3s]", "abcdef");
    CHECK_LIKE_SNPRINTF("[%*s]", 6, "ab");
    CHECK_LIKE_SNPRINTF("[%*s]", -6, "ab");
    CHECK_LIKE_SNPRINTF("[%-*s]", 6, "ab");
    CHECK_LIKE_SNPRINTF("[%.*s]", 2, "abcdef");
    CHECK_LIKE_SNPRINTF("[%.*s]", -1, "abcdef");
    CHECK_LIKE_SNPRINTF("[%*.*s]", 5, 2, "abcdef");
    CHECK_LIKE_SNPRINTF("%s=%s", "key", "value");
}

TEST_CASE("format: precision reads no further than it may", "[format]") {
    // Not NUL-terminated: any read past the 3 bytes would trip the sanitizers.
    const char unterminated[3] = {'a', 'b', 'c'};
    CHECK(formatted("[%.*s]", 3, unterminated) == "[abc]");
    CHECK(formatted("[%.*s]", 2, unterminated) == "[ab]");
    CHECK(formatted("[%5.*s]", 3, unterminated) == "[  abc]");
}

TEST_CASE("format: null string", "[format]") {
    const char* volatile null_string = nullptr;  // volatile: keep the compiler out of it
    CHECK(formatted("%s", null_string) == "(null)");
    CHECK(formatted("[%8s]", null_string) == "[  (null)]");
    CHECK(formatted("[%-8s]", null_string) == "[(null)  ]");
    CHECK(formatted("[%.3s]", null_string) == "[(nu]");
}

TEST_CASE("format: signed decimal", "[format]") {
    CHECK_LIKE_SNPRINTF("%d", 0);
    CHECK_LIKE_SNPRINTF("%d", 42);
    CHECK_LIKE_SNPRINTF("%d", -42);
    CHECK_LIKE_SNPRINTF("%i", -7);
    CHECK_LIKE_SNPRINTF("%d", INT_MAX);
    CHECK_LIKE_SNPRINTF("%d", INT_MIN);
    CHECK_LIKE_SNPRINTF("%ld", LONG_MIN);
    CHECK_LIKE_SNPRINTF("%ld", LONG_MAX);
    CHECK_LIKE_SNPRINTF("%lld", static_cast<long long>(INT64_MIN));
    CHECK_LIKE_SNPRINTF("%lld", static_cast<long long>(INT64_MAX));
    CHECK_LIKE_SNPRINTF("%lli", -1LL);
    CHECK_LIKE_SNPRINTF("%zd", static_cast<ptrdiff_t>(-5));
    CHECK_LIKE_SNPRINTF("%jd", static_cast<intmax_t>(INT64_MIN));
    CHECK_LIKE_SNPRINTF("%td", static_cast<ptrdiff_t>(-123456789));
}

TEST_CASE("format: short and char length modifiers truncate", "[format]") {
    CHECK_LIKE_SNPRINTF("%hd", static_cast<short>(-1234));
    CHECK_LIKE_SNPRINTF("%hhd", static_cast<signed char>(-128));
    CHECK_LIKE_SNPRINTF("%hhd", static_cast<signed char>(127));
    CHECK_LIKE_SNPRINTF("%hu", static_cast<unsigned short>(65535));
    CHECK_LIKE_SNPRINTF("%hhu", static_cast<unsigned char>(255));
    CHECK_LIKE_SNPRINTF("%hhx", static_cast<unsigned char>(0xAB));
    // An int that does not fit is cut down to the named type, as in C.
    CHECK(formatted("%hhd", 0x1FF) == "-1");
    CHECK(formatted("%hhu", 0x1FF) == "255");
    CHECK(formatted("%hd", 0x18000) == "-32768");
    CHECK(formatted("%hx", 0x12345) == "2345");
}

TEST_CASE("format: unsigned and hexadecimal", "[format]") {
    CHECK_LIKE_SNPRINTF("%u", 0u);
    CHECK_LIKE_SNPRINTF("%u", UINT_MAX);
    CHECK_LIKE_SNPRINTF("%lu", ULONG_MAX);
    CHECK_LIKE_SNPRINTF("%llu", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_LIKE_SNPRINTF("%zu", SIZE_MAX);
    CHECK_LIKE_SNPRINTF("%ju", static_cast<uintmax_t>(UINT64_MAX));
    CHECK_LIKE_SNPRINTF("%x", 0xdeadbeefu);
    CHECK_LIKE_SNPRINTF("%X", 0xdeadbeefu);
    CHECK_LIKE_SNPRINTF("%x", 0u);
    CHECK_LIKE_SNPRINTF("%llx", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_LIKE_SNPRINTF("%llX", 0x0123456789ABCDEFull);
    CHECK_LIKE_SNPRINTF("%lx", 0xffff800000000000ul);
    CHECK_LIKE_SNPRINTF("%zx", static_cast<size_t>(0x1000));
    CHECK_LIKE_SNPRINTF("%o", 8u);
    CHECK_LIKE_SNPRINTF("%llo", static_cast<unsigned long long>(UINT64_MAX));
}

TEST_CASE("format: width and padding", "[format]") {
    CHECK_LIKE_SNPRINTF("[%5d]", 42);
    CHECK_LIKE_SNPRINTF("[%-5d]", 42);
    CHECK_LIKE_SNPRINTF("[%05d]", 42);
    CHECK_LIKE_SNPRINTF("[%05d]", -42);
    CHECK_LIKE_SNPRINTF("[%1d]", 12345);
    CHECK_LIKE_SNPRINTF("[%08x]", 0xbeefu);
    CHECK_LIKE_SNPRINTF("[%016llx]", 0x1234ull);
    CHECK_LIKE_SNPRINTF("[%016llX]", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_LIKE_SNPRINTF("[%25lld]", static_cast<long long>(INT64_MIN));
    CHECK_LIKE_SNPRINTF("[%025lld]", static_cast<long long>(INT64_MIN));
    CHECK_LIKE_SNPRINTF("[%-25llu]", static_cast<unsigned long long>(UINT64_MAX));
    CHECK_LIKE_SNPRINTF("[%*d]", 6, 7);
    CHECK_LIKE_SNPRINTF("[%*d]", -6, 7);
    CHECK_LIKE_SNPRINTF("[%0*d]", 6, -7);
    CHECK_LIKE_SNPRINTF("[%*d]", 0, 7);
    CHECK_LIKE_SNPRINTF("[%0d]", 0);
}

TEST_CASE("format: integer precision", "[format]") {
    CHECK_LIKE_SNPRINTF("[%.5d]", 42);
    CHECK_LIKE_SNPRINTF("[%.5d]", -42);
    CHECK_LIKE_SNPRINTF("[%8.5d]", -42);
    CHECK_LIKE_SNPRINTF("[%-8.5d]", 42);
    CHECK_LIKE_SNPRINTF("[%.0d]", 0);     // zero with precision zero: no digits
    CHECK_LIKE_SNPRINTF("[%5.0d]", 0);
    CHECK_LIKE_SNPRINTF("[%.d]", 0);
    CHECK_LIKE_SNPRINTF("[%.0d]", 3);
    CHECK_LIKE_SNPRINTF("[%.0x]", 0u);
    CHECK_LIKE_SNPRINTF("[%.8x]", 0xabcu);
    CHECK_LIKE_SNPRINTF("[%.*d]", 4, 9);
    CHECK_LIKE_SNPRINTF("[%.*d]", -4, 9);
    CHECK_LIKE_SNPRINTF("[%*.*d]", 7, 4, -9);
    CHECK_LIKE_SNPRINTF("[%.2d]", 12345);
    CHECK_LIKE_SNPRINTF("[%.30llu]", static_cast<unsigned long long>(UINT64_MAX));
}

// C defines these, but GCC warns that one flag cancels the other; the point
// here is precisely to check that the cancelled flag has no effect.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST_CASE("format: overridden flags", "[format]") {
    CHECK_LIKE_SNPRINTF("[%-05d]", -42);     // '-' beats '0'
    CHECK_LIKE_SNPRINTF("[%08.5d]", 42);     // a precision beats '0'
    CHECK_LIKE_SNPRINTF("[%#08.4x]", 0xau);
    CHECK_LIKE_SNPRINTF("[%+ d]", 5);        // '+' beats ' '
}
#pragma GCC diagnostic pop

TEST_CASE("format: flags # + and space", "[format]") {
    CHECK_LIKE_SNPRINTF("%#x", 0x1fu);
    CHECK_LIKE_SNPRINTF("%#X", 0x1fu);
    CHECK_LIKE_SNPRINTF("%#x", 0u);  // no prefix on zero
    CHECK_LIKE_SNPRINTF("[%#10x]", 0xabcu);
    CHECK_LIKE_SNPRINTF("[%#-10x]", 0xabcu);
    CHECK_LIKE_SNPRINTF("[%#010x]", 0xabcu);
    CHECK_LIKE_SNPRINTF("[%#.6x]", 0xabcu);
    CHECK_LIKE_SNPRINTF("[%#018llx]", 0xffffffff80000000ull);
    CHECK_LIKE_SNPRINTF("%#o", 8u);
    CHECK_LIKE_SNPRINTF("%#o", 0u);
    CHECK_LIKE_SNPRINTF("%#.3o", 8u);
    CHECK_LIKE_SNPRINTF("%+d", 5);
    CHECK_LIKE_SNPRINTF("%+d", -5);
    CHECK_LIKE_SNPRINTF("%+d", 0);
    CHECK_LIKE_SNPRINTF("% d", 5);
    CHECK_LIKE_SNPRINTF("% d", -5);
    CHECK_LIKE_SNPRINTF("[%+05d]", 5);
    CHECK_LIKE_SNPRINTF("[% 05d]", 5);
    CHECK_LIKE_SNPRINTF("[%-+5d]", 5);
}

TEST_CASE("format: mixed arguments stay in step", "[format]") {
    CHECK_LIKE_SNPRINTF("%s %d %c %llx %u %zu %s", "a", -1, 'z', 0xfeedull, 17u, SIZE_MAX, "end");
    CHECK_LIKE_SNPRINTF("%hhd %lld %hd %ld", static_cast<signed char>(-3), -4LL,
                        static_cast<short>(-5), -6L);
    CHECK_LIKE_SNPRINTF("[%*.*s|%-*d|%0*x]", 6, 3, "abcdef", 4, 12, 6, 0xabu);
}

TEST_CASE("format: pointers are 0x plus 16 hex digits", "[format]") {
    char buffer[kBufferSize];
    bulkhead::format(buffer, sizeof(buffer), "%p", reinterpret_cast<void*>(0xffffffff80001000));
    CHECK(std::string(buffer) == "0xffffffff80001000");
    bulkhead::format(buffer, sizeof(buffer), "%p", static_cast<void*>(nullptr));
    CHECK(std::string(buffer) == "0x0000000000000000");
    bulkhead::format(buffer, sizeof(buffer), "%p", reinterpret_cast<void*>(0x1234));
    CHECK(std::string(buffer) == "0x0000000000001234");
    bulkhead::format(buffer, sizeof(buffer), "[%20p]", reinterpret_cast<void*>(0x1));
    CHECK(std::string(buffer) == "[  0x0000000000000001]");
    bulkhead::format(buffer, sizeof(buffer), "[%-20p]", reinterpret_cast<void*>(0x1));
    CHECK(std::string(buffer) == "[0x0000000000000001  ]");
    const size_t length =
        bulkhead::format(buffer, sizeof(buffer), "%p %d", reinterpret_cast<void*>(0x10), 3);
    CHECK(std::string(buffer) == "0x0000000000000010 3");
    CHECK(length == 20);
}

TEST_CASE("format: unknown conversions print verbatim", "[format]") {
    CHECK(unchecked("%q") == "%q");
    CHECK(unchecked("a%qb") == "a%qb");
    CHECK(unchecked("[%-5q]") == "[%-5q]");
    CHECK(unchecked("%lq") == "%lq");
    CHECK(unchecked("%n") == "%n");
    // An unknown conversion consumes no argument: the %d still gets its 7.
    CHECK(unchecked("%y %d", 7) == "%y 7");
    // A lone '%' or a cut-off specification at the end is kept, too.
    CHECK(unchecked("100%") == "100%");
    CHECK(unchecked("%5") == "%5");
    CHECK(unchecked("%ll") == "%ll");
    CHECK(unchecked("%-") == "%-");
    char buffer[kBufferSize];
    CHECK(format_unchecked(buffer, sizeof(buffer), "x%q") == 3);
}

TEST_CASE("format: huge widths are capped", "[format]") {
    char buffer[kBufferSize];
    const size_t length = format_unchecked(buffer, sizeof(buffer), "%*d", INT_MAX, 1);
    CHECK(length == bulkhead::kMaxFieldWidth);
    CHECK(format_unchecked(buffer, sizeof(buffer), "%*d", INT_MIN, 1) == bulkhead::kMaxFieldWidth);
    CHECK(buffer[0] == '1');  // INT_MIN width means left-aligned
    CHECK(format_unchecked(buffer, sizeof(buffer), "%99999999999999999999d", 1) ==
          bulkhead::kMaxFieldWidth);
    CHECK(format_unchecked(buffer, sizeof(buffer), "%.99999999999999999999d", 1) ==
          bulkhead::kMaxFieldWidth);
    CHECK(std::string(buffer).size() == kBufferSize - 1);
}

TEST_CASE("format: truncation matches snprintf", "[format]") {
    const char* const text = "0123456789";
    for (size_t capacity = 1; capacity <= 12; ++capacity) {
        char expected[16];
        char actual[16];
        memset(expected, '#', sizeof(expected));
        memset(actual, '#', sizeof(actual));
        const int expected_length = snprintf(expected, capacity, "%s", text);
        const size_t actual_length = bulkhead::format(actual, capacity, "%s", text);
        INFO("capacity " << capacity);
        CHECK(actual_length == static_cast<size_t>(expected_length));
        CHECK(actual_length == 10);
        // Same bytes written, and nothing beyond capacity touched.
        CHECK(memcmp(actual, expected, sizeof(actual)) == 0);
        CHECK(actual[capacity - 1 < 10 ? capacity - 1 : 10] == '\0');
    }
}

TEST_CASE("format: truncation in the middle of a number", "[format]") {
    char buffer[8];
    const size_t length = bulkhead::format(buffer, sizeof(buffer), "v=%lld!",
                                           static_cast<long long>(INT64_MIN));
    CHECK(length == strlen("v=-9223372036854775808!"));
    CHECK(std::string(buffer) == "v=-9223");
}

TEST_CASE("format: capacity 0 writes nothing, capacity 1 only the NUL", "[format]") {
    char guard[4] = {'#', '#', '#', '#'};
    CHECK(bulkhead::format(guard, 0, "hello %d", 42) == 8);
    CHECK(guard[0] == '#');
    // Like snprintf(NULL, 0, ...): a sizing call needs no buffer at all.
    CHECK(bulkhead::format(nullptr, 0, "%s", "size me") == 7);

    CHECK(bulkhead::format(guard, 1, "hello %d", 42) == 8);
    CHECK(guard[0] == '\0');
    CHECK(guard[1] == '#');

    CHECK(bulkhead::format(guard, 1, "%s", "") == 0);
    CHECK(guard[0] == '\0');
}

TEST_CASE("format: exact fit", "[format]") {
    char buffer[6];
    memset(buffer, '#', sizeof(buffer));
    CHECK(bulkhead::format(buffer, sizeof(buffer), "%s", "hello") == 5);
    CHECK(std::string(buffer) == "hello");
    CHECK(bulkhead::format(buffer, sizeof(buffer), "%s", "hello!") == 6);
    CHECK(std::string(buffer) == "hello");
}

TEST_CASE("format: vformat_to streams without a length limit", "[format]") {
    CHECK(stream("%s-%d-%#x", "abc", -12, 255u) == "abc--12-0xff");
    CHECK(stream("") == "");
    std::string expected(1000, ' ');
    expected += "x";
    CHECK(stream("%1001s", "x") == expected);
}
