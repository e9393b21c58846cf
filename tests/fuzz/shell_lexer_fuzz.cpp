// libFuzzer target: any word through Docker's shell-word expansion, with every lexer option.
// Input: one byte of switches (bit 0: backtick escape, 1: raw quotes, 2: raw escapes, 3: skip
// quotes, 4: skip unset), then the word, then optionally a NUL and the value of $V (so patterns
// meet values the fuzzer chose). Errors are fine; crashes, hangs, sanitizer reports and
// ProcessWord and ProcessWords disagreeing about an error are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "src/dockerfile/shell_lexer.hpp"

using namespace hoist::dockerfile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    unsigned switches = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string_view word = rest;
    Variables variables = {
        {"A", "abcabc"}, {"E", ""}, {"S", "a b  c"}, {"N", "x\ny"}, {"U", "안녕\xff"}, {"P", "$0*?\\"},
    };
    if (auto nul = rest.find('\0'); nul != std::string_view::npos) {
        word = rest.substr(0, nul);
        variables["V"] = std::string(rest.substr(nul + 1));
    }
    ShellLexerOptions options{
        .raw_quotes = (switches & 2) != 0,
        .raw_escapes = (switches & 4) != 0,
        .skip_quotes = (switches & 8) != 0,
        .skip_unset = (switches & 16) != 0,
    };
    ShellLexer lexer((switches & 1) != 0 ? '`' : '\\', options);

    auto expanded = lexer.process_word_with_matches(word, variables);
    auto fields = lexer.process_words(word, variables);
    if (expanded.has_value() != fields.has_value()) {
        std::abort();
    }
    if (!expanded && !expanded.error().what().starts_with("failed to process \"")) {
        std::abort();
    }
    auto plain = lexer.process_word(word, variables);
    if (plain.has_value() != expanded.has_value() || (plain && *plain != expanded->word)) {
        std::abort();
    }
    std::string quoted = go_quote(word);
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
        std::abort();
    }
    return 0;
}
