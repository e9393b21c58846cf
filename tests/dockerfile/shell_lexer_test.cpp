#include "src/dockerfile/shell_lexer.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::dockerfile::ShellLexer;
using hoist::dockerfile::ShellLexerOptions;
using hoist::dockerfile::Variables;

namespace {

const Variables& variables() {
    static const Variables k_variables = {
        {"PWD", "/home"},  {"EMPTY", ""},     {"X", "abcabc"},
        {"STAR", "a*c"},   {"NL", "a\nb"},    {"SPACE", "abc  def"},
        {"안녕", "hello"}, {"DOLLAR0", "$0"}, {"PATHS", "/usr/local/bin:/usr/bin"},
    };
    return k_variables;
}

std::string expand(std::string_view word, char escape = '\\') {
    auto expanded = ShellLexer(escape).process_word(word, variables());
    REQUIRE(expanded);
    return *expanded;
}

std::string expand_error(std::string_view word) {
    auto expanded = ShellLexer().process_word(word, variables());
    REQUIRE_FALSE(expanded);
    CHECK(expanded.error().code() == Errc::invalid_argument);
    return expanded.error().what();
}

std::vector<std::string> fields(std::string_view word, ShellLexerOptions options = {}) {
    auto split = ShellLexer('\\', options).process_words(word, variables());
    REQUIRE(split);
    return *split;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("ShellLexer expands $V and ${V}, unset names to nothing", "[dockerfile]") {
    CHECK(expand("$PWD") == "/home");
    CHECK(expand("${PWD}") == "/home");
    CHECK(expand("a${PWD}b") == "a/homeb");
    CHECK(expand("$PWD.x") == "/home.x");
    CHECK(expand("$UNSET") == "");
    CHECK(expand("${UNSET}x") == "x");
    CHECK(expand("$안녕") == "hello");  // names are Unicode letters, digits and _
    CHECK(expand("$") == "$");
    CHECK(expand("$.") == "$.");
    CHECK(expand("a$ b") == "a$ b");
}

TEST_CASE("ShellLexer reads positional and special parameters as names that are never set", "[dockerfile]") {
    CHECK(expand("$1x") == "x");
    CHECK(expand("$123x") == "x");
    CHECK(expand("${1:-one}") == "one");
    CHECK(expand("$@@") == "@");
    CHECK(expand("$#x") == "x");
    CHECK(expand("${#:-n}") == "n");
    CHECK(expand("$$") == "");
}

TEST_CASE("ShellLexer ${V:-w} and ${V-w} tell unset from empty", "[dockerfile]") {
    CHECK(expand("${UNSET:-w}") == "w");
    CHECK(expand("${EMPTY:-w}") == "w");
    CHECK(expand("${PWD:-w}") == "/home");
    CHECK(expand("${UNSET-w}") == "w");
    CHECK(expand("${EMPTY-w}") == "");
    CHECK(expand("${PWD-w}") == "/home");
    CHECK(expand("${UNSET:-${EMPTY:-$PWD}}") == "/home");
    CHECK(expand("${UNSET:-a b 'c}' \"$PWD\"}") == "a b c} /home");
}

TEST_CASE("ShellLexer ${V:+w} and ${V+w} tell unset from empty", "[dockerfile]") {
    CHECK(expand("${UNSET:+w}") == "");
    CHECK(expand("${EMPTY:+w}") == "");
    CHECK(expand("${PWD:+w}") == "w");
    CHECK(expand("${UNSET+w}") == "");
    CHECK(expand("${EMPTY+w}") == "w");
    CHECK(expand("${PWD+${X}}") == "abcabc");
}

TEST_CASE("ShellLexer ${V:?m} and ${V?m} fail with BuildKit's messages", "[dockerfile]") {
    CHECK(expand("${PWD:?m}") == "/home");
    CHECK(expand("${PWD?m}") == "/home");
    CHECK(expand("${EMPTY?m}") == "");
    CHECK(expand_error("${UNSET:?}") == R"(failed to process "${UNSET:?}": UNSET: is not allowed to be unset)");
    CHECK(expand_error("${UNSET?}") == R"(failed to process "${UNSET?}": UNSET: is not allowed to be unset)");
    CHECK(expand_error("${EMPTY:?}") == R"(failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty)");
    CHECK(expand_error("${UNSET:?set it in $PWD}") ==
          R"(failed to process "${UNSET:?set it in $PWD}": UNSET: set it in /home)");
    CHECK(expand_error("${EMPTY:?no}") == R"(failed to process "${EMPTY:?no}": EMPTY: no)");
}

TEST_CASE("ShellLexer ${V#p} and ${V##p} remove the shortest and the longest matching prefix", "[dockerfile]") {
    CHECK(expand("${X#a}") == "bcabc");
    CHECK(expand("${X#b}") == "abcabc");
    CHECK(expand("${X#*b}") == "cabc");
    CHECK(expand("${X##*b}") == "c");
    CHECK(expand("${X#a*}") == "bcabc");
    CHECK(expand("${X##a*}") == "");
    CHECK(expand("${X#?b}") == "cabc");
    CHECK(expand("${X#*}") == "abcabc");
    CHECK(expand("${STAR#a\\*}") == "c");
    CHECK(expand("${STAR#a\\?}") == "a*c");
    CHECK(expand("${PATHS##*:}") == "/usr/bin");
    CHECK(expand("${UNSET#a}") == "");
    // As in Go's regexp, * and ? never match a newline.
    CHECK(expand("${NL#*b}") == "a\nb");
    CHECK(expand("${NL#a?}") == "a\nb");
}

TEST_CASE("ShellLexer ${V%p} and ${V%%p} remove the shortest and the longest matching suffix", "[dockerfile]") {
    CHECK(expand("${X%c}") == "abcab");
    CHECK(expand("${X%b*}") == "abca");
    CHECK(expand("${X%%b*}") == "a");
    CHECK(expand("${X%a*c}") == "abc");
    CHECK(expand("${X%%a*c}") == "");
    CHECK(expand("${X%?}") == "abcab");
    CHECK(expand("${PATHS%:*}") == "/usr/local/bin");
    CHECK(expand("${PATHS%%/*}") == "");
    CHECK(expand("${STAR%\\*c}") == "a");
}

TEST_CASE("ShellLexer ${V/p/r} replaces the first, longest match and ${V//p/r} every one", "[dockerfile]") {
    CHECK(expand("${X/b/Z}") == "aZcabc");
    CHECK(expand("${X//b/Z}") == "aZcaZc");
    CHECK(expand("${X/b*/Z}") == "aZ");
    CHECK(expand("${X//?/-}") == "------");
    CHECK(expand("${X/x/Z}") == "abcabc");
    CHECK(expand("${X//b/}") == "acac");
    CHECK(expand("${X///-}") == "-a-b-c-a-b-c-");
    CHECK(expand("${X/\\//Z}") == "abcabc");
    CHECK(expand("${PATHS//\\//|}") == "|usr|local|bin:|usr|bin");
    CHECK(expand("${PATHS/:*/}") == "/usr/local/bin");
    CHECK(expand("${UNSET/a/b}") == "");
    // Only the replace-all form reads `$0` in the replacement as the match, as Go's ReplaceAllString.
    CHECK(expand("${X//b/'<$0>'}") == "a<b>ca<b>c");
    CHECK(expand("${X/b/'<$0>'}") == "a<$0>cabc");
    CHECK(expand("${X//b/$DOLLAR0$DOLLAR0}") == "abbcabbc");
    CHECK(expand("${X//b/'$1$$${0}'}") == "a$bca$bc");
}

TEST_CASE("ShellLexer removes quotes; single quotes keep everything, double quotes expand", "[dockerfile]") {
    CHECK(expand("he'll'o") == "hello");
    CHECK(expand("'$PWD'") == "$PWD");
    CHECK(expand("'a\\b'") == "a\\b");
    CHECK(expand("\"$PWD\"") == "/home");
    CHECK(expand("\"a'b\"") == "a'b");
    CHECK(expand("'a\"b'") == "a\"b");
    CHECK(expand("\"\\$PWD\"") == "$PWD");
    CHECK(expand("\"\\\"\"") == "\"");
    CHECK(expand("\"a\\tb\"") == "a\\tb");
    CHECK(expand("\"a\\\\b\"") == "a\\b");
}

TEST_CASE("ShellLexer's escape character escapes the next one, and a trailing one is dropped", "[dockerfile]") {
    CHECK(expand("a\\ b") == "a b");
    CHECK(expand("\\$PWD") == "$PWD");
    CHECK(expand("a\\tb") == "atb");
    CHECK(expand("a\\'b") == "a'b");
    CHECK(expand("a\\") == "a");
    CHECK(expand("a\\\\") == "a\\");
    CHECK(expand("\\${}") == "${}");
}

TEST_CASE("ShellLexer with the backtick escape leaves backslashes alone", "[dockerfile]") {
    CHECK(expand("a`$PWD", '`') == "a$PWD");
    CHECK(expand("a\\$PWD", '`') == "a\\/home");
    CHECK(expand("\"a`\"b\"", '`') == "a\"b");
    CHECK(expand("C:\\path", '`') == "C:\\path");
}

TEST_CASE("ShellLexer reads words as Go does: U+FFFD for invalid UTF-8, a leading BOM dropped", "[dockerfile]") {
    CHECK(expand("a\xff"
                 "b") ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(expand("\xEF\xBB\xBF$PWD") == "/home");
    CHECK(expand("a\xEF\xBB\xBF") == "a\xEF\xBB\xBF");
}

TEST_CASE("ShellLexer rejects malformed words with BuildKit's messages", "[dockerfile]") {
    CHECK(expand_error("he'llo") ==
          R"(failed to process "he'llo": unexpected end of statement while looking for matching single-quote)");
    CHECK(expand_error("\"hello") ==
          R"(failed to process "\"hello": unexpected end of statement while looking for matching double-quote)");
    CHECK(expand_error("\"hello\\\"") ==
          R"(failed to process "\"hello\\\"": unexpected end of statement while looking for matching double-quote)");
    CHECK(expand_error("${}") == R"(failed to process "${}": syntax error: bad substitution)");
    CHECK(expand_error("${:-x}") == R"(failed to process "${:-x}": syntax error: bad substitution)");
    CHECK(expand_error("${{a}") == R"(failed to process "${{a}": syntax error: bad substitution)");
    CHECK(expand_error("${") == R"(failed to process "${": syntax error: missing '}')");
    CHECK(expand_error("${a:-b") == R"(failed to process "${a:-b": syntax error: missing '}')");
    CHECK(expand_error("${a") == "failed to process \"${a\": unsupported modifier (\xEF\xBF\xBD) in substitution");
    CHECK(expand_error("${a.}") == R"(failed to process "${a.}": unsupported modifier (.) in substitution)");
    CHECK(expand_error("${a:=b}") == R"(failed to process "${a:=b}": unsupported modifier (:=) in substitution)");
    CHECK(expand_error("${a:b}") == R"(failed to process "${a:b}": unsupported modifier (:b) in substitution)");
    CHECK(expand_error("${a:#b}") == R"(failed to process "${a:#b}": unsupported modifier (:#) in substitution)");
    CHECK(expand_error("${a:%b}") == R"(failed to process "${a:%b}": unsupported modifier (:%) in substitution)");
    CHECK(expand_error("${a/b}") == R"(failed to process "${a/b}": syntax error: missing '/' in ${})");
    CHECK(expand_error("${a/b/c") == R"(failed to process "${a/b/c": syntax error: missing '}')");
    CHECK(expand_error("${a:-${}}") == R"(failed to process "${a:-${}}": syntax error: bad substitution)");
    CHECK(expand_error("${a:-${EMPTY:?no}}") == R"(failed to process "${a:-${EMPTY:?no}}": EMPTY: no)");
    CHECK(expand_error("${X#a\\x}") ==
          R"(failed to process "${X#a\\x}": invalid pattern (a\x) in substitution: invalid escape '\x')");
    // ${V%p} reverses the pattern to search, and the message shows it reversed.
    CHECK(expand_error("${X%a\\x}") ==
          R"(failed to process "${X%a\\x}": invalid pattern (\xa) in substitution: invalid escape '\x')");
    CHECK(expand_error("${X/\\x/y}") ==
          R"(failed to process "${X/\\x/y}": invalid pattern (\x) in substitution: invalid escape '\x')");
}

TEST_CASE("ShellLexer quotes the word in its messages as Go's %q does", "[dockerfile]") {
    CHECK(expand_error("\t${}") == R"(failed to process "\t${}": syntax error: bad substitution)");
    CHECK(expand_error("\xff${}") == R"(failed to process "\xff${}": syntax error: bad substitution)");
    CHECK(expand_error("안녕${}") == R"(failed to process "안녕${}": syntax error: bad substitution)");
}

TEST_CASE("ShellLexer refuses nesting deeper than its limit rather than exhaust the stack", "[dockerfile]") {
    std::string word;
    for (int i = 0; i < 5000; ++i) {
        word += "${a:-";
    }
    CHECK(expand_error(word).ends_with(": syntax error: nested too deeply"));
}

TEST_CASE("ShellLexer::process_words splits at unquoted white space, also from values", "[dockerfile]") {
    CHECK(fields("hello") == Fields{"hello"});
    CHECK(fields("  a  b  ") == Fields{"a", "b"});
    CHECK(fields("a${SPACE}b") == Fields{"aabc", "defb"});
    CHECK(fields("a\"${SPACE}\"b") == Fields{"aabc  defb"});
    CHECK(fields("a'${SPACE}'b") == Fields{"a${SPACE}b"});
    CHECK(fields("a\\ b c") == Fields{"a b", "c"});
    CHECK(fields("\"\" x") == Fields{"x"});
    CHECK(fields("") == Fields{});
    CHECK(fields("a\u00a0b") == Fields{"a", "b"});  // Go's unicode.IsSpace
}

TEST_CASE("ShellLexer::process_words keeps << and the blanks after it in one field", "[dockerfile]") {
    CHECK(fields("cat <<EOF") == Fields{"cat", "<<EOF"});
    CHECK(fields("cat << EOF") == Fields{"cat", "<< EOF"});
    CHECK(fields("a<b") == Fields{"a<b"});
}

TEST_CASE("ShellLexer::process_words drops the start of a field before a ${V<op>w}, as BuildKit does", "[dockerfile]") {
    CHECK(fields("pre${UNSET}post") == Fields{"prepost"});
    CHECK(fields("pre${UNSET:-x}post") == Fields{"xpost"});
    CHECK(fields("a pre${UNSET:-x}") == Fields{"a", "x"});
    CHECK(fields("pre\"${UNSET:-x}\"") == Fields{"x"});
    CHECK(fields("pre${UNSET:-}") == Fields{});
}

TEST_CASE("ShellLexerOptions keep quotes, keep escapes, skip quotes or leave unset names", "[dockerfile]") {
    CHECK(fields("\"a\"'b'", {.raw_quotes = true}) == Fields{"\"a\"'b'"});
    CHECK(fields("a\\ b", {.raw_escapes = true}) == Fields{"a\\ b"});
    CHECK(fields("\"a\\\"b\"", {.raw_escapes = true}) == Fields{"a\\\"b"});
    CHECK(fields("'$PWD'", {.skip_quotes = true}) == Fields{"'/home'"});
    ShellLexer keep_unset('\\', {.skip_unset = true});
    CHECK(keep_unset.process_word("$U ${U} ${U:-x} ${U#a} $PWD", variables()).value() ==
          "$U ${U} ${U:-x} ${U#a} /home");
    // BuildKit writes the replace-all form back with a single '/'.
    CHECK(keep_unset.process_word("${U/a/b} ${U//a/b}", variables()).value() == "${U/a/b} ${U/a/b}");
}

TEST_CASE("ShellLexer::process_word_with_matches names what was set and what was not", "[dockerfile]") {
    auto expansion = ShellLexer().process_word_with_matches("$PWD ${NOPE:-$X} ${EMPTY}", variables());
    REQUIRE(expansion);
    CHECK(expansion->word == "/home abcabc ");
    CHECK(expansion->matched == std::set<std::string, std::less<>>{"EMPTY", "PWD", "X"});
    CHECK(expansion->unmatched == std::set<std::string, std::less<>>{"NOPE"});
}

TEST_CASE("go_quote quotes as Go's strconv.Quote", "[dockerfile]") {
    using hoist::dockerfile::go_quote;
    CHECK(go_quote("plain") == R"("plain")");
    CHECK(go_quote("a\"b\\c") == R"("a\"b\\c")");
    CHECK(go_quote("\a\b\f\n\r\t\v") == R"("\a\b\f\n\r\t\v")");
    CHECK(go_quote(std::string("\x00\x01\x7f", 3)) == R"("\x00\x01\x7f")");
    CHECK(go_quote("\xff\xc3") == R"("\xff\xc3")");
    CHECK(go_quote("héllo 한국어 😀") == R"("héllo 한국어 😀")");
    CHECK(go_quote("\u00a0\u00ad\u2028\ue000") == R"("\u00a0\u00ad\u2028\ue000")");
    CHECK(go_quote("\U000e0001") == R"("\U000e0001")");
    CHECK(go_quote("\xc2\x85") == R"("\u0085")");
}

TEST_CASE("decode_rune decodes as Go's utf8.DecodeRuneInString", "[dockerfile]") {
    using hoist::dockerfile::decode_rune;
    auto check = [](std::string_view text, char32_t value, std::size_t size) {
        auto rune = decode_rune(text);
        CHECK(rune.value == value);
        CHECK(rune.size == size);
    };
    check("a", 'a', 1);
    check("é", 0xE9, 2);
    check("한", 0xD55C, 3);
    check("😀", 0x1F600, 4);
    check("", 0xFFFD, 0);
    check("\xc0\x80", 0xFFFD, 1);          // overlong
    check("\xed\xa0\x80", 0xFFFD, 1);      // surrogate
    check("\xf4\x90\x80\x80", 0xFFFD, 1);  // beyond U+10FFFF
    check("\xe2\x82", 0xFFFD, 1);          // truncated
}
