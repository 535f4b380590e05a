// The partition configuration parser and validator. See partition_config.hpp
// for the contract and docs/configuration.md for the format.
//
// One pass over the file, line by line. Each partition line goes through the
// same steps, and the first problem found is the one reported:
//
//   1. the line as text: length, control characters;
//   2. the words: `partition` first, known keys, values present, no key twice;
//   3. the required keys: name, image, memory;
//   4. each value on its own, in key order (name, image, memory, cpu, ...);
//   5. the machine and the other partitions: fixed placement inside RAM, off
//      reserved ranges, off earlier partitions; enough free memory left.
//
// Names are checked for duplicates against every earlier line, accepted or
// not: diagnostics and logs name partitions, so two lines with one name would
// make them ambiguous. Memory, on the other hand, is only held by partitions
// that were accepted, so placements and free memory are checked against
// those alone.
#include "vmm/partition_config.hpp"

#include "kernel/cmdline.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

constexpr char kCommentStart = '#';
constexpr char kPlacementSeparator = '@';
constexpr char kLineFeed = '\n';
constexpr char kCarriageReturn = '\r';
constexpr char kTab = '\t';
constexpr unsigned char kFirstPrintable = 0x20;  // below: control characters
constexpr unsigned char kDelete = 0x7f;
constexpr const char* kEntryKeyword = "partition";

// Long enough for the longest diagnostic with every echoed value clipped.
constexpr size_t kMessageCapacity = 256;
// Text from the file is echoed at most this long, so one absurd value cannot
// push the explanation out of the message.
constexpr size_t kMaxEchoedLength = 40;
constexpr const char* kClipMarker = "...";

constexpr uint64_t kDecimalBase = 10;
constexpr uint64_t kHexBase = 16;
constexpr size_t kMaxDigits = 20;  // UINT64_MAX has 20 decimal digits
constexpr uint64_t kTiB = 1024 * kGiB;

// The diagnostics spell these limits out in words; if one changes, the
// messages that quote it must change with it.
static_assert(kMaxPartitions == 16, "update \"too many partitions (at most 16)\"");
static_assert(kMaxPartitionNameLength == 15, "update \"1 to 15 of a-z\"");
static_assert(kMaxGuestCmdlineLength == 255, "update \"at most 255 fit\"");
static_assert(kMaxConfigLineLength == 512, "update \"longer than 512 characters\"");
static_assert(kMinPartitionMemory == 2 * kMiB && kPartitionMemoryGranule == 2 * kMiB,
              "update the 2 MiB memory messages");
static_assert(kMaxPartitionMemory == 4 * kGiB, "update \"exceeds the 4 GiB partition limit\"");

constexpr bool is_blank(char c) { return c == ' ' || c == kTab; }

// A (pointer, length) view into the file or the line buffer.
struct Slice {
    const char* text;
    size_t length;
};

// ---- Building one diagnostic without a formatter ----

class Message {
  public:
    Message() { text_[0] = '\0'; }

    void append(const char* s) {
        while (*s != '\0') put(*s++);
    }

    // Text from the file, between quotes and clipped to kMaxEchoedLength.
    void append_quoted(Slice s) {
        put('\'');
        append_clipped(s);
        put('\'');
    }

    void append_clipped(Slice s) {
        const size_t shown = s.length > kMaxEchoedLength ? kMaxEchoedLength : s.length;
        for (size_t i = 0; i < shown; ++i) put(s.text[i]);
        if (shown < s.length) append(kClipMarker);
    }

    void append_decimal(uint64_t value) { append_number(value, kDecimalBase); }

    void append_hex(uint64_t value) {
        append("0x");
        append_number(value, kHexBase);
    }

    const char* text() const { return text_; }

  private:
    void append_number(uint64_t value, uint64_t base) {
        char digits[kMaxDigits];
        size_t count = 0;
        do {
            digits[count++] = "0123456789abcdef"[value % base];
            value /= base;
        } while (value != 0);
        while (count > 0) put(digits[--count]);
    }

    // Keeps one byte for the NUL; anything beyond the capacity is dropped.
    void put(char c) {
        if (length_ + 1 >= kMessageCapacity) return;
        text_[length_++] = c;
        text_[length_] = '\0';
    }

    char text_[kMessageCapacity];
    size_t length_ = 0;
};

// ---- The keys ----

enum class Key : uint8_t {
    Name, Image, Memory, Cpu, Weight, OnFault, Expect, UnassignedIo, Cmdline, Start, Control, Initrd, Trace,
    UserHypercalls
};
constexpr size_t kKeyCount = 14;

struct KeyInfo {
    const char* name;
    bool required;
};

// Indexed by Key. The order is also the order values are checked in.
constexpr KeyInfo kKeys[kKeyCount] = {
    {"name", true},      {"image", true},  {"memory", true},        {"cpu", false},     {"weight", false},
    {"on_fault", false}, {"expect", false}, {"unassigned_io", false}, {"cmdline", false}, {"start", false},
    {"control", false}, {"initrd", false},  {"trace", false},         {"user_hypercalls", false},
};

constexpr size_t index_of(Key key) { return static_cast<size_t>(key); }
constexpr const char* key_name(Key key) { return kKeys[index_of(key)].name; }

bool find_key(Slice word, Key& out) {
    for (size_t i = 0; i < kKeyCount; ++i) {
        if (equals(word.text, word.length, kKeys[i].name)) {
            out = static_cast<Key>(i);
            return true;
        }
    }
    return false;
}

// Spelling <-> value tables shared by the parser and to_string.
template <typename T>
struct NamedValue {
    const char* name;
    T value;
};

constexpr NamedValue<OnFault> kOnFaultNames[] = {
    {"stop", OnFault::Stop},
    {"restart", OnFault::Restart},
};

constexpr NamedValue<Expectation> kExpectationNames[] = {
    {"pass", Expectation::Pass},
    {"fault", Expectation::Fault},
    {"any", Expectation::Any},
};

constexpr NamedValue<UnassignedIo> kUnassignedIoNames[] = {
    {"stop", UnassignedIo::Stop},
    {"ignore", UnassignedIo::Ignore},
};

constexpr NamedValue<StartMode> kStartNames[] = {
    {"boot", StartMode::Boot},
    {"manual", StartMode::Manual},
};

constexpr NamedValue<bool> kYesNoNames[] = {
    {"yes", true},
    {"no", false},
};

template <typename T, size_t N>
const char* name_of(const NamedValue<T> (&table)[N], T value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return "unknown";
}

// ---- Who a diagnostic is about ----

// A partition is named by its `name=` when that is a valid name, otherwise
// by its line number: a broken name is no use for finding the line.
struct Label {
    bool named;
    Slice name;
    size_t line;
};

void start_diagnostic(Message& message, const Label& label) {
    message.append("config: ");
    if (label.named) {
        message.append("partition ");
        message.append_quoted(label.name);
    } else {
        message.append("line ");
        message.append_decimal(label.line);
    }
    message.append(": ");
}

void start_key_diagnostic(Message& message, const Label& label, Key key) {
    start_diagnostic(message, label);
    message.append("key '");
    message.append(key_name(key));
    message.append("': ");
}

// ---- Lines ----

struct Line {
    const char* text;
    size_t length;  // without the line feed and a CR just before it
    size_t number;  // 1-based, as editors count
};

// Splits the file at line feeds. A CR before the LF is dropped, so files
// written on Windows (CRLF) read the same.
class LineReader {
  public:
    LineReader(const char* text, size_t length) : cursor_(text), end_(text + length) {}

    bool next(Line& line) {
        if (cursor_ >= end_) return false;
        const char* start = cursor_;
        while (cursor_ < end_ && *cursor_ != kLineFeed) ++cursor_;
        size_t length = static_cast<size_t>(cursor_ - start);
        if (cursor_ < end_) ++cursor_;  // step over the LF
        if (length > 0 && start[length - 1] == kCarriageReturn) --length;
        line = Line{start, length, ++number_};
        return true;
    }

  private:
    const char* cursor_;
    const char* end_;
    size_t number_ = 0;
};

// Blank lines and lines whose first non-blank character is '#' carry no
// partition, whatever their length.
bool is_ignorable(const Line& line) {
    size_t i = 0;
    while (i < line.length && is_blank(line.text[i])) ++i;
    return i == line.length || line.text[i] == kCommentStart;
}

// Tabs are blanks; every other control character (a stray CR, a NUL from a
// binary file given by mistake) is rejected rather than guessed at.
bool find_control_character(const Line& line, unsigned char& found) {
    for (size_t i = 0; i < line.length; ++i) {
        const auto c = static_cast<unsigned char>(line.text[i]);
        if ((c < kFirstPrintable && line.text[i] != kTab) || c == kDelete) {
            found = c;
            return true;
        }
    }
    return false;
}

// ---- Words ----

enum class WordProblem : uint8_t { None, NotAPartition, UnknownKey, MissingValue, BadQuote, Repeated };

// The words of one partition line, sorted by key. Values point into the
// line buffer.
struct EntryWords {
    Slice values[kKeyCount];
    bool present[kKeyCount];
    // The first problem in word order; `word` is what to echo and `key` the
    // key it concerns (when it is a known key).
    WordProblem problem;
    Slice word;
    Key key;
};

Slice word_text(const CmdlineWord& word, const char* end) {
    return Slice{word.key, static_cast<size_t>(end - word.key)};
}

void note_problem(EntryWords& words, WordProblem problem, Slice word, Key key) {
    if (words.problem != WordProblem::None) return;  // the first one is reported
    words.problem = problem;
    words.word = word;
    words.key = key;
}

void collect_key_word(const CmdlineWord& word, EntryWords& words) {
    const Slice key_text{word.key, word.key_length};
    Key key = Key::Name;
    if (!find_key(key_text, key)) {
        note_problem(words, WordProblem::UnknownKey, key_text, key);
    } else if (!word.has_value) {
        note_problem(words, WordProblem::MissingValue, key_text, key);
    } else if (word.bad_quote) {
        note_problem(words, WordProblem::BadQuote, key_text, key);
    } else if (words.present[index_of(key)]) {
        note_problem(words, WordProblem::Repeated, key_text, key);
    } else {
        words.present[index_of(key)] = true;
        words.values[index_of(key)] = Slice{word.value, word.value_length};
    }
}

// Reads every word even after a problem, so that a valid name later on the
// line can still label the diagnostic.
void collect_words(const char* line, EntryWords& words) {
    words = EntryWords{};
    const char* cursor = line;
    CmdlineWord word{};
    bool first = true;
    while (next_cmdline_word(cursor, word)) {
        // Like a shell: a word that starts with '#' begins a comment.
        if (word.key_length > 0 && word.key[0] == kCommentStart) return;
        if (first) {
            first = false;
            if (word.has_value || !equals(word.key, word.key_length, kEntryKeyword))
                note_problem(words, WordProblem::NotAPartition, word_text(word, cursor), Key::Name);
            continue;
        }
        collect_key_word(word, words);
    }
}

// ---- Checking values, one key at a time ----
// Each check writes the field on success, or appends the explanation to the
// message (after "key 'x': ") and returns false.

constexpr bool is_name_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_valid_name(Slice name) {
    if (name.length == 0 || name.length > kMaxPartitionNameLength) return false;
    for (size_t i = 0; i < name.length; ++i)
        if (!is_name_character(name.text[i])) return false;
    return true;
}

void copy_string(Slice from, char* to) {
    memcpy(to, from.text, from.length);
    to[from.length] = '\0';
}

bool check_name_syntax(Slice value, char (&name)[kMaxPartitionNameLength + 1], Message& message) {
    if (!is_valid_name(value)) {
        message.append_quoted(value);
        message.append(" is not a valid name (1 to 15 of a-z, 0-9, '_', '-')");
        return false;
    }
    copy_string(value, name);
    return true;
}

bool module_is_named(const ConfigInputs& inputs, size_t index, Slice name) {
    if (inputs.module_names == nullptr) return false;
    const char* module = inputs.module_names[index];
    // A module without a name is never an image, not even for `image=""`.
    return module != nullptr && module[0] != '\0' && equals(name.text, name.length, module);
}

bool check_image(Slice value, const ConfigInputs& inputs, size_t& image_module, Message& message) {
    size_t matches = 0;
    size_t found = 0;
    for (size_t i = 0; i < inputs.module_count; ++i) {
        if (!module_is_named(inputs, i, value)) continue;
        if (i == inputs.config_module) {
            message.append_quoted(value);
            message.append(" is the configuration, not a guest image");
            return false;
        }
        if (matches++ == 0) found = i;
    }
    if (matches == 0) {
        message.append("no boot module named ");
        message.append_quoted(value);
        return false;
    }
    // Picking one of two equally named images could run the wrong guest.
    if (matches > 1) {
        message.append_decimal(matches);
        message.append(" boot modules are named ");
        message.append_quoted(value);
        return false;
    }
    image_module = found;
    return true;
}

// parse_size plus a T suffix. Terabytes are never a valid partition size,
// but "3T exceeds the limit" helps more than "3T is not a size".
bool parse_memory_size(Slice text, uint64_t& size) {
    if (text.length > 0 && (text.text[text.length - 1] == 'T' || text.text[text.length - 1] == 't')) {
        uint64_t count = 0;
        if (!parse_u64(text.text, text.length - 1, count) || count > UINT64_MAX / kTiB) return false;
        size = count * kTiB;
        return true;
    }
    return parse_size(text.text, text.length, size);
}

bool check_memory_size(Slice text, uint64_t& size, Message& message) {
    if (!parse_memory_size(text, size)) {
        message.append_quoted(text);
        message.append(" is not a size (a number with an optional K, M or G suffix)");
        return false;
    }
    const char* problem = nullptr;
    if (size > kMaxPartitionMemory)
        problem = " exceeds the 4 GiB partition limit";
    else if (size < kMinPartitionMemory)
        problem = " is below the 2 MiB minimum";
    else if (size % kPartitionMemoryGranule != 0)
        problem = " is not a multiple of 2 MiB";
    if (problem == nullptr) return true;
    message.append_clipped(text);
    message.append(problem);
    return false;
}

bool check_memory_address(Slice text, uint64_t& base, Message& message) {
    if (!parse_u64(text.text, text.length, base)) {
        message.append_quoted(text);
        message.append(" is not an address");
        return false;
    }
    if (base % kPartitionMemoryGranule != 0) {
        message.append("placement ");
        message.append_clipped(text);
        message.append(" is not 2 MiB-aligned");
        return false;
    }
    return true;
}

size_t find_char(Slice text, char wanted) {
    for (size_t i = 0; i < text.length; ++i)
        if (text.text[i] == wanted) return i;
    return text.length;
}

// `SIZE` or `SIZE@ADDR`.
bool check_memory(Slice value, PartitionConfig& config, Message& message) {
    const size_t at = find_char(value, kPlacementSeparator);
    if (!check_memory_size(Slice{value.text, at}, config.memory_size, message)) return false;
    if (at == value.length) return true;
    const Slice address{value.text + at + 1, value.length - at - 1};
    if (!check_memory_address(address, config.host_physical_base, message)) return false;
    config.fixed_placement = true;
    return true;
}

bool check_cpu(Slice value, uint32_t cpu_count, uint32_t& cpu, Message& message) {
    uint64_t number = 0;
    if (!parse_u64(value.text, value.length, number)) {
        message.append_quoted(value);
        message.append(" is not a CPU number");
        return false;
    }
    if (number >= cpu_count) {
        message.append("CPU ");
        message.append_decimal(number);
        message.append(" does not exist (this machine has ");
        message.append_decimal(cpu_count);
        message.append(")");
        return false;
    }
    cpu = static_cast<uint32_t>(number);
    return true;
}

bool check_weight(Slice value, uint32_t& weight, Message& message) {
    uint64_t number = 0;
    if (!parse_u64(value.text, value.length, number) || number < kMinWeight || number > kMaxWeight) {
        message.append_quoted(value);
        message.append(" is not a weight from 1 to 100");
        return false;
    }
    weight = static_cast<uint32_t>(number);
    return true;
}

template <typename T, size_t N>
bool check_choice(const NamedValue<T> (&table)[N], Slice value, T& out, Message& message) {
    for (const auto& entry : table) {
        if (equals(value.text, value.length, entry.name)) {
            out = entry.value;
            return true;
        }
    }
    message.append_quoted(value);
    message.append(" is not one of: ");
    for (size_t i = 0; i < N; ++i) {
        if (i > 0) message.append(", ");
        message.append(table[i].name);
    }
    return false;
}

bool check_cmdline(Slice value, char (&cmdline)[kMaxGuestCmdlineLength + 1], Message& message) {
    if (value.length > kMaxGuestCmdlineLength) {
        message.append_decimal(value.length);
        message.append(" characters, at most 255 fit");
        return false;
    }
    copy_string(value, cmdline);
    return true;
}

// ---- The parse as a whole ----

constexpr size_t kNoLine = 0;

struct NamedLine {
    char name[kMaxPartitionNameLength + 1];
    size_t line;
};

struct ParseState {
    const ConfigInputs& inputs;
    ParsedConfig& out;
    ConfigDiagnosticSink sink;
    void* context;
    size_t entries = 0;          // partition lines seen, accepted or not
    uint64_t bytes_claimed = 0;  // memory of the accepted partitions
    // The valid name of every partition line so far, for duplicate checks.
    // Lines past kMaxPartitions are rejected before they get here.
    NamedLine names[kMaxPartitions] = {};
    size_t name_count = 0;
};

void reject(ParseState& state, const Message& message) {
    ++state.out.rejected;
    if (state.sink != nullptr) state.sink(state.context, message.text());
}

// The earlier line with this name, or kNoLine.
size_t earlier_line_named(const ParseState& state, Slice name) {
    for (size_t i = 0; i < state.name_count; ++i)
        if (equals(name.text, name.length, state.names[i].name)) return state.names[i].line;
    return kNoLine;
}

void remember_name(ParseState& state, Slice name, size_t line) {
    if (state.name_count == kMaxPartitions) return;
    NamedLine& entry = state.names[state.name_count++];
    copy_string(name, entry.name);
    entry.line = line;
}

bool report_word_problem(const EntryWords& words, const Label& label, Message& message) {
    if (words.problem == WordProblem::None) return false;
    if (words.problem == WordProblem::NotAPartition) {
        start_diagnostic(message, label);
        message.append("expected 'partition' at the start of the line, found ");
        message.append_quoted(words.word);
        return true;
    }
    if (words.problem == WordProblem::UnknownKey) {
        start_diagnostic(message, label);
        message.append("unknown key ");
        message.append_quoted(words.word);
        return true;
    }
    start_key_diagnostic(message, label, words.key);
    if (words.problem == WordProblem::MissingValue) {
        message.append("needs a value (");
        message.append(key_name(words.key));
        message.append("=...)");
    } else if (words.problem == WordProblem::BadQuote) {
        message.append("a quoted value needs a closing quote followed by a blank or the end of the line");
    } else {
        message.append("given more than once");
    }
    return true;
}

bool report_missing_key(const EntryWords& words, const Label& label, Message& message) {
    for (size_t i = 0; i < kKeyCount; ++i) {
        if (!kKeys[i].required || words.present[i]) continue;
        start_key_diagnostic(message, label, static_cast<Key>(i));
        message.append("missing (every partition needs one)");
        return true;
    }
    return false;
}

// Defaults for the optional keys; the checks below overwrite what is given.
PartitionConfig default_partition() {
    PartitionConfig config{};
    config.cpu = 0;
    config.weight = kDefaultWeight;
    config.on_fault = OnFault::Stop;
    config.expect = Expectation::Pass;
    config.unassigned_io = UnassignedIo::Stop;
    config.start = StartMode::Boot;
    config.initrd_module = kNoModule;
    config.control = false;
    return config;
}

// Step 4: every value on its own. Stops at the first bad one. `duplicate_of`
// is the earlier line with the same name, or kNoLine.
bool check_values(const ParseState& state, const EntryWords& words, const Label& label, size_t duplicate_of,
                  PartitionConfig& config, Message& message) {
    for (size_t i = 0; i < kKeyCount; ++i) {
        if (!words.present[i]) continue;
        const Key key = static_cast<Key>(i);
        const Slice value = words.values[i];
        Message detail;
        bool good = true;
        switch (key) {
            case Key::Name: {
                good = check_name_syntax(value, config.name, detail);
                if (good && duplicate_of != kNoLine) {
                    detail.append("duplicate of line ");
                    detail.append_decimal(duplicate_of);
                    good = false;
                }
                break;
            }
            case Key::Image: good = check_image(value, state.inputs, config.image_module, detail); break;
            case Key::Memory: good = check_memory(value, config, detail); break;
            case Key::Cpu: good = check_cpu(value, state.inputs.cpu_count, config.cpu, detail); break;
            case Key::Weight: good = check_weight(value, config.weight, detail); break;
            case Key::OnFault: good = check_choice(kOnFaultNames, value, config.on_fault, detail); break;
            case Key::Expect: good = check_choice(kExpectationNames, value, config.expect, detail); break;
            case Key::UnassignedIo:
                good = check_choice(kUnassignedIoNames, value, config.unassigned_io, detail);
                config.unassigned_io_given = true;
                break;
            case Key::Cmdline: good = check_cmdline(value, config.cmdline, detail); break;
            case Key::Start: good = check_choice(kStartNames, value, config.start, detail); break;
            case Key::Control: good = check_choice(kYesNoNames, value, config.control, detail); break;
            case Key::Initrd: good = check_image(value, state.inputs, config.initrd_module, detail); break;
            case Key::Trace: good = check_choice(kYesNoNames, value, config.trace, detail); break;
            case Key::UserHypercalls: good = check_choice(kYesNoNames, value, config.user_hypercalls, detail); break;
        }
        if (!good) {
            start_key_diagnostic(message, label, key);
            message.append(detail.text());
            return false;
        }
    }
    return true;
}

constexpr bool is_empty(PhysRange range) { return range.end <= range.base; }
constexpr bool overlaps(PhysRange a, PhysRange b) { return a.base < b.end && b.base < a.end; }

// Whether the available ranges, taken together, cover all of `range`. They
// may overlap or merely touch, so walk forward: find a range that contains
// the first uncovered byte, continue from its end. Each step uses up one
// range, which bounds the loop.
bool inside_available_ram(const ConfigInputs& inputs, PhysRange range) {
    uint64_t covered_to = range.base;
    for (size_t step = 0; step <= inputs.available_count && covered_to < range.end; ++step) {
        bool advanced = false;
        for (size_t i = 0; i < inputs.available_count; ++i) {
            const PhysRange ram = inputs.available_ram[i];
            if (ram.base <= covered_to && covered_to < ram.end) {
                covered_to = ram.end;
                advanced = true;
                break;
            }
        }
        if (!advanced) return false;
    }
    return covered_to >= range.end;
}

void append_range(Message& message, PhysRange range) {
    message.append_hex(range.base);
    message.append("-");
    message.append_hex(range.end);
}

// Step 5 for `memory=SIZE@ADDR`: the machine first, then the partitions
// accepted so far.
bool check_fixed_placement(const ParseState& state, const PartitionConfig& config, Slice value,
                           Message& message) {
    const uint64_t base = config.host_physical_base;
    message.append_clipped(value);
    if (base > UINT64_MAX - config.memory_size) {
        message.append(" runs past the end of the physical address space");
        return false;
    }
    const PhysRange wanted{base, base + config.memory_size};
    if (!inside_available_ram(state.inputs, wanted)) {
        message.append(" is not entirely inside available RAM");
        return false;
    }
    for (size_t i = 0; i < state.inputs.reserved_count; ++i) {
        const PhysRange reserved = state.inputs.reserved[i];
        if (is_empty(reserved) || !overlaps(wanted, reserved)) continue;
        message.append(" overlaps reserved memory ");
        append_range(message, reserved);
        return false;
    }
    for (size_t i = 0; i < state.out.count; ++i) {
        const PartitionConfig& other = state.out.partitions[i];
        if (!other.fixed_placement) continue;
        const PhysRange taken{other.host_physical_base, other.host_physical_base + other.memory_size};
        if (!overlaps(wanted, taken)) continue;
        message.append(" overlaps partition '");
        message.append(other.name);
        message.append("' (");
        append_range(message, taken);
        message.append(")");
        return false;
    }
    return true;
}

bool check_free_memory(const ParseState& state, uint64_t size, Message& message) {
    const uint64_t left =
        state.inputs.free_bytes > state.bytes_claimed ? state.inputs.free_bytes - state.bytes_claimed : 0;
    if (size <= left) return true;
    message.append("not enough free memory (");
    message.append_decimal(size / kMiB);
    message.append(" MiB requested, ");
    message.append_decimal(left / kMiB);
    message.append(" MiB left)");
    return false;
}

// The control capability goes to one partition at most: two could fight
// over the same partitions, and the one to trust would be unclear.
bool check_single_control(const ParseState& state, const Label& label, const PartitionConfig& config,
                          Message& message) {
    if (!config.control) return true;
    for (size_t i = 0; i < state.out.count; ++i) {
        if (!state.out.partitions[i].control) continue;
        start_key_diagnostic(message, label, Key::Control);
        message.append("partition '");
        message.append(state.out.partitions[i].name);
        message.append("' already has the control capability (one partition at most)");
        return false;
    }
    return true;
}

bool check_resources(const ParseState& state, const EntryWords& words, const Label& label,
                     const PartitionConfig& config, Message& message) {
    Message detail;
    const Slice memory = words.values[index_of(Key::Memory)];
    const bool good = (!config.fixed_placement || check_fixed_placement(state, config, memory, detail)) &&
                      check_free_memory(state, config.memory_size, detail);
    if (good) return true;
    start_key_diagnostic(message, label, Key::Memory);
    message.append(detail.text());
    return false;
}

// Steps 1-2 need the line as a NUL-terminated string for the tokenizer.
// False (with the diagnostic written) when the line itself is unusable.
bool check_line_text(const Line& line, char (&buffer)[kMaxConfigLineLength + 1], Message& message) {
    const Label by_line{false, Slice{nullptr, 0}, line.number};
    unsigned char control = 0;
    if (line.length > kMaxConfigLineLength) {
        start_diagnostic(message, by_line);
        message.append("longer than 512 characters");
        return false;
    }
    if (find_control_character(line, control)) {
        start_diagnostic(message, by_line);
        message.append("control character ");
        message.append_hex(control);
        message.append(" (only printable text and tabs belong in the file)");
        return false;
    }
    memcpy(buffer, line.text, line.length);
    buffer[line.length] = '\0';
    return true;
}

Label label_for(const EntryWords& words, size_t line) {
    const Slice name = words.values[index_of(Key::Name)];
    const bool named = words.present[index_of(Key::Name)] && is_valid_name(name);
    return Label{named, name, line};
}

// Steps 2-5 for one partition line; true when the partition is accepted.
bool parse_entry(ParseState& state, const char* text, size_t line, PartitionConfig& config,
                 Message& message) {
    EntryWords words;
    collect_words(text, words);
    const Label label = label_for(words, line);

    if (state.entries > kMaxPartitions) {
        start_diagnostic(message, label);
        message.append("too many partitions (at most 16)");
        return false;
    }
    // Remembered before any other check, so that even a rejected line keeps
    // its name from being reused.
    const size_t duplicate_of = label.named ? earlier_line_named(state, label.name) : kNoLine;
    if (label.named && duplicate_of == kNoLine) remember_name(state, label.name, line);

    return !report_word_problem(words, label, message) && !report_missing_key(words, label, message) &&
           check_values(state, words, label, duplicate_of, config, message) &&
           check_single_control(state, label, config, message) && check_resources(state, words, label, config, message);
}

void handle_line(ParseState& state, const Line& line) {
    if (is_ignorable(line)) return;
    ++state.entries;
    Message message;
    char buffer[kMaxConfigLineLength + 1];
    PartitionConfig config = default_partition();
    if (!check_line_text(line, buffer, message) || !parse_entry(state, buffer, line.number, config, message)) {
        reject(state, message);
        return;
    }
    state.out.partitions[state.out.count++] = config;
    state.bytes_claimed += config.memory_size;
}

// The first blank-separated word of s, or an empty slice.
Slice first_word(const char* s) {
    if (s == nullptr) return Slice{nullptr, 0};
    while (is_blank(*s)) ++s;
    const char* end = s;
    while (*end != '\0' && !is_blank(*end)) ++end;
    return Slice{s, static_cast<size_t>(end - s)};
}

}  // namespace

void parse_partition_config(const ConfigInputs& inputs, ParsedConfig& out, ConfigDiagnosticSink sink,
                            void* context) {
    out = ParsedConfig{};
    ParseState state{inputs, out, sink, context};
    if (inputs.text == nullptr) return;
    LineReader reader(inputs.text, inputs.text_length);
    Line line{};
    while (reader.next(line)) handle_line(state, line);
}

size_t module_name(const char* module_cmdline, char* out, size_t capacity) {
    if (capacity == 0) return 0;
    const Slice name = first_word(module_cmdline);
    if (name.length == 0 || name.length >= capacity) {
        out[0] = '\0';
        return 0;
    }
    copy_string(name, out);
    return name.length;
}

bool find_config_module(const char* const* module_cmdlines, size_t count, size_t& index) {
    for (size_t i = 0; i < count; ++i) {
        const Slice name = first_word(module_cmdlines[i]);
        if (equals(name.text, name.length, kConfigModuleName)) {
            index = i;
            return true;
        }
    }
    return false;
}

const char* to_string(OnFault on_fault) { return name_of(kOnFaultNames, on_fault); }
const char* to_string(Expectation expect) { return name_of(kExpectationNames, expect); }
const char* to_string(UnassignedIo unassigned_io) { return name_of(kUnassignedIoNames, unassigned_io); }
const char* to_string(StartMode start) { return name_of(kStartNames, start); }

}  // namespace bulkhead
