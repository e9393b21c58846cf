#include "src/dockerfile/parser.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::dockerfile::Ast;
using hoist::dockerfile::chomp_heredoc;
using hoist::dockerfile::format_diagnostic;
using hoist::dockerfile::Heredoc;
using hoist::dockerfile::Node;
using hoist::dockerfile::parse;
using hoist::dockerfile::parse_heredoc_word;
using hoist::dockerfile::Position;

namespace {

Ast parsed(std::string_view text) {
    auto ast = parse(text);
    INFO(text);
    REQUIRE(ast);
    return std::move(*ast);
}

std::string dump(std::string_view text) {
    return parsed(text).dump();
}

std::string error(std::string_view text) {
    auto ast = parse(text);
    INFO(text);
    REQUIRE_FALSE(ast);
    CHECK(ast.error().code() == Errc::invalid_argument);
    return ast.error().what();
}

Heredoc heredoc(std::string name, std::string content, bool expand = true, bool chomp = false, unsigned fd = 0) {
    return Heredoc{std::move(name), fd, expand, chomp, std::move(content)};
}

}  // namespace

TEST_CASE("parse dumps instructions as BuildKit's Node.Dump does", "[dockerfile]") {
    CHECK(dump("FROM ubuntu:14.04\nRUN echo hi\n") == "(from \"ubuntu:14.04\")\n(run \"echo hi\")\n");
    CHECK(dump("from alpine AS build\n") == "(from \"alpine\" \"AS\" \"build\")\n");
    CHECK(dump("EXPOSE 80  443\t8080\n") == "(expose \"80\" \"443\" \"8080\")\n");
    CHECK(dump("CMD [\"a\", \"b\"]\nCMD []\n") == "(cmd \"a\" \"b\")\n(cmd)\n");
    CHECK(dump("WORKDIR /a b\nUSER root:root\n") == "(workdir \"/a b\")\n(user \"root:root\")\n");
    CHECK(dump("ARG foo bar=baz \"a b\"=c\n") == "(arg \"foo\" \"bar=baz\" \"\\\"a b\\\"=c\")\n");
}

TEST_CASE("parse matches instruction names in any case and keeps them as written", "[dockerfile]") {
    Ast ast = parsed("From a\nrUn b\nCOPY c d\n");
    REQUIRE(ast.nodes.size() == 3);
    CHECK(ast.nodes[0].name == "From");
    CHECK(ast.nodes[1].name == "rUn");
    CHECK(ast.dump() == "(from \"a\")\n(run \"b\")\n(copy \"c\" \"d\")\n");
}

TEST_CASE("parse keeps an unknown instruction with one empty value", "[dockerfile]") {
    CHECK(dump("FROM a\nFOO bar baz\nBAR\n") == "(from \"a\")\n(foo \"\")\n(bar \"\")\n");
}

TEST_CASE("parse reads ENV and LABEL pairs, the legacy form included", "[dockerfile]") {
    CHECK(dump("ENV name value with spaces\n") == "(env \"name\" \"value with spaces\" \"\")\n");
    CHECK(dump("ENV a=1 b=\"2 3\" c=d\\ e\n") ==
          "(env \"a\" \"1\" \"=\" \"b\" \"\\\"2 3\\\"\" \"=\" \"c\" \"d\\\\ e\" \"=\")\n");
    CHECK(dump("LABEL maintainer Someone <a@b.c>\n") == "(label \"maintainer\" \"Someone <a@b.c>\" \"\")\n");
    CHECK(dump("LABEL \"com.example\"=\"x y\"\n") == "(label \"\\\"com.example\\\"\" \"\\\"x y\\\"\" \"=\")\n");
    CHECK(dump("ENV\n") == "(env)\n");
}

TEST_CASE("parse rejects ENV and LABEL without a value or with a word lacking '='", "[dockerfile]") {
    CHECK(error("FROM busybox\n\nENV PATH\n") == "Dockerfile:3:5: ENV must have two arguments\nENV PATH\n    ^");
    CHECK(error("LABEL a=b c\n") ==
          "Dockerfile:1:11: Syntax error - can't find = in \"c\". Must be of the form: name=value\n"
          "LABEL a=b c\n"
          "          ^");
}

TEST_CASE("parse takes JSON arrays as exec form and anything else as shell form", "[dockerfile]") {
    Ast ast = parsed("CMD [\"echo\", \"hi\"]\nCMD echo hi\nCMD ['echo']\nCMD [\"unterminated\"\nCMD [\"a\"] b\n");
    CHECK(ast.nodes[0].json);
    CHECK(ast.nodes[0].values == std::vector<std::string>{"echo", "hi"});
    CHECK_FALSE(ast.nodes[1].json);
    CHECK(ast.nodes[1].values == std::vector<std::string>{"echo hi"});
    CHECK(ast.nodes[2].values == std::vector<std::string>{"['echo']"});
    CHECK(ast.nodes[3].values == std::vector<std::string>{"[\"unterminated\""});
    CHECK(ast.nodes[4].values == std::vector<std::string>{"[\"a\"] b"});
}

TEST_CASE("parse decodes JSON strings as Go does", "[dockerfile]") {
    CHECK(dump(R"(CMD ["\" \\ \/ \b \f \n \r \t \u0000 \u00e9 \ud83d\ude00 \ud800"])") ==
          "(cmd \"\\\" \\\\ / \\b \\f \\n \\r \\t \\x00 \u00e9 \U0001F600 \uFFFD\")\n");
    // Whitespace JSON allows, and only that, around the elements.
    CHECK(dump("CMD [\t\"a\" ,\r\"b\" ]\n") == "(cmd \"a\" \"b\")\n");
    CHECK(dump("CMD [\v\"a\"]\n") == "(cmd \"[\\v\\\"a\\\"]\")\n");
}

TEST_CASE("parse rejects a JSON array with an element that is not a string", "[dockerfile]") {
    CHECK(error("CMD [ \"echo\", [ \"nested json\" ] ]") ==
          "Dockerfile:1:5: when using JSON array syntax, arrays must be comprised of strings only\n"
          "CMD [ \"echo\", [ \"nested json\" ] ]\n"
          "    ^");
    CHECK_FALSE(parse("RUN [\"a\", 1]\n"));
    CHECK_FALSE(parse("COPY [\"a\", null]\n"));
    CHECK_FALSE(parse("ENTRYPOINT [{}]\n"));
    // Not JSON at all (a syntax error anywhere): shell form, no error.
    CHECK(dump("RUN [\"a\", 1,]\n") == "(run \"[\\\"a\\\", 1,]\")\n");
}

TEST_CASE("parse splits ADD, COPY and VOLUME at whitespace unless they are JSON", "[dockerfile]") {
    CHECK(dump("COPY\ta  b\t/c/\n") == "(copy \"a\" \"b\" \"/c/\")\n");
    CHECK(dump("ADD [\"a b\", \"/c\"]\n") == "(add \"a b\" \"/c\")\n");
    CHECK(dump("VOLUME /a /b\nVOLUME [\"/c\"]\n") == "(volume \"/a\" \"/b\")\n(volume \"/c\")\n");
}

TEST_CASE("parse takes the flags before the arguments, quotes and escapes removed", "[dockerfile]") {
    Ast ast = parsed(
        "COPY --from=build --chown=\"a b\" x y\n"
        "COPY --doit=true -- --not-a-flag /tmp/\n"
        "RUN --mount=type=cache,target=/x echo --ok\n"
        "COPY --a=\\\"q x y\n"
        "COPY --empty='' x y\n");
    CHECK(ast.nodes[0].flags == std::vector<std::string>{"--from=build", "--chown=a b"});
    CHECK(ast.nodes[0].values == std::vector<std::string>{"x", "y"});
    CHECK(ast.nodes[1].flags == std::vector<std::string>{"--doit=true"});
    CHECK(ast.nodes[1].values == std::vector<std::string>{"--not-a-flag", "/tmp/"});
    CHECK(ast.nodes[2].flags == std::vector<std::string>{"--mount=type=cache,target=/x"});
    CHECK(ast.nodes[2].values == std::vector<std::string>{"echo --ok"});
    CHECK(ast.nodes[3].flags == std::vector<std::string>{"--a=\"q"});
    CHECK(ast.nodes[4].flags == std::vector<std::string>{"--empty="});
    CHECK(ast.dump() ==
          "(copy [\"--from=build\" \"--chown=a b\"] \"x\" \"y\")\n"
          "(copy [\"--doit=true\"] \"--not-a-flag\" \"/tmp/\")\n"
          "(run [\"--mount=type=cache,target=/x\"] \"echo --ok\")\n"
          "(copy [\"--a=\\\"q\"] \"x\" \"y\")\n"
          "(copy [\"--empty=\"] \"x\" \"y\")\n");
}

TEST_CASE("parse nests ONBUILD's trigger", "[dockerfile]") {
    CHECK(dump("ONBUILD RUN [\"echo\", \"test\"]\nONBUILD COPY --from=a . /\nONBUILD\n") ==
          "(onbuild (run \"echo\" \"test\"))\n(onbuild (copy [\"--from=a\"] \".\" \"/\"))\n(onbuild)\n");
    CHECK(dump("ONBUILD ONBUILD RUN x\n") == "(onbuild (onbuild (run \"x\")))\n");
}

TEST_CASE("parse reads HEALTHCHECK's type and command", "[dockerfile]") {
    CHECK(dump("HEALTHCHECK --interval=5s CMD [\"a\"]\nHEALTHCHECK NONE\nHEALTHCHECK CMD curl -f x\n") ==
          "(healthcheck [\"--interval=5s\"] \"CMD\" \"a\")\n(healthcheck \"NONE\")\n"
          "(healthcheck \"CMD\" \"curl -f x\")\n");
}

TEST_CASE("parse joins continuation lines, skipping comments and empty lines inside", "[dockerfile]") {
    Ast ast = parsed(
        "FROM a\n"
        "RUN echo hello \\\n"
        "# a comment\n"
        "\n"
        "  world \\  \n"
        "\tagain\n");
    REQUIRE(ast.nodes.size() == 2);
    CHECK(ast.nodes[1].values == std::vector<std::string>{"echo hello   world \tagain"});
    CHECK(ast.nodes[1].start_line == 2);
    CHECK(ast.nodes[1].end_line == 6);
    REQUIRE(ast.warnings.size() == 1);
    CHECK(ast.warnings[0] == "Empty continuation line found in: RUN echo hello   world \tagain");
}

TEST_CASE("parse ends a file in a continuation at the last line", "[dockerfile]") {
    CHECK(dump("FROM alpine:3.5\n\nRUN something \\") == "(from \"alpine:3.5\")\n(run \"something\")\n");
}

TEST_CASE("parse does not continue a line that ends in an escaped escape", "[dockerfile]") {
    CHECK(dump("RUN a \\\\\nRUN b\n") == "(run \"a \\\\\\\\\")\n(run \"b\")\n");
}

TEST_CASE("parse honours the escape directive", "[dockerfile]") {
    Ast ast = parsed("# escape=`\n\nFROM image\nENV GOPATH `\n\\go\nRUN a \\\n");
    CHECK(ast.escape == '`');
    REQUIRE(ast.directives.size() == 1);
    CHECK(ast.directives[0].name == "escape");
    CHECK(ast.directives[0].value == "`");
    CHECK(ast.directives[0].line == 1);
    CHECK(ast.dump() == "(from \"image\")\n(env \"GOPATH\" \"\\\\go\" \"\")\n(run \"a \\\\\")\n");
}

TEST_CASE("parse reads directives only at the top", "[dockerfile]") {
    Ast ast = parsed("#  SYNTAX = docker/dockerfile:1  \n# check=skip=all\n# escape=`\nFROM a\n");
    REQUIRE(ast.directives.size() == 3);
    CHECK(ast.directives[0].name == "syntax");
    CHECK(ast.directives[0].value == "docker/dockerfile:1");
    CHECK(ast.directives[1].name == "check");
    CHECK(ast.directives[1].value == "skip=all");
    CHECK(ast.escape == '`');
    // After a plain comment or an empty line, `# escape=` is a comment.
    CHECK(parsed("# hello\n# escape=`\nFROM a\n").escape == '\\');
    CHECK(parsed("\n# escape=`\nFROM a\n").escape == '\\');
    CHECK(parsed("FROM a\n# escape=`\n").escape == '\\');
    CHECK(parsed("# unknown=1\n# escape=`\nFROM a\n").escape == '\\');
}

TEST_CASE("parse rejects a repeated directive and an invalid escape character", "[dockerfile]") {
    CHECK(error("# syntax=a\n# syntax=b\nFROM a\n") ==
          "Dockerfile:2:1: only one syntax parser directive can be used\n# syntax=b\n^");
    CHECK(error("# escape=x\nFROM a\n") ==
          "Dockerfile:1:1: invalid escape token 'x' does not match ` or \\\n# escape=x\n^");
}

TEST_CASE("parse keeps the comments right above an instruction", "[dockerfile]") {
    Ast ast = parsed("# syntax=x\n# one\n# two\nFROM a\n# gone\n\nRUN b\n#\nRUN c\n");
    CHECK(ast.nodes[0].comments == std::vector<std::string>{"one", "two"});
    CHECK(ast.nodes[1].comments == std::vector<std::string>{"gone"});
    CHECK(ast.nodes[2].comments.empty());
}

TEST_CASE("parse strips a byte-order mark and carriage returns", "[dockerfile]") {
    CHECK(dump("\xEF\xBB\xBF# escape=`\r\nFROM a\r\nRUN b `\r\n c\r\n") == "(from \"a\")\n(run \"b  c\")\n");
}

TEST_CASE("parse records each instruction's lines and positions", "[dockerfile]") {
    Ast ast = parsed("\n\nFROM a\n\n  RUN  --mount=x \\\n   echo hi\nCOPY <<EOF /x\nbody\nEOF\n");
    REQUIRE(ast.nodes.size() == 3);
    CHECK(ast.nodes[0].start_line == 3);
    CHECK(ast.nodes[0].end_line == 3);
    CHECK(ast.nodes[1].start_line == 5);
    CHECK(ast.nodes[1].end_line == 6);
    CHECK(ast.nodes[1].position == Position{5, 3});
    CHECK(ast.nodes[1].flag_positions == std::vector<Position>{{5, 8}});
    CHECK(ast.nodes[1].arguments_position == Position{6, 4});
    CHECK(ast.nodes[2].start_line == 7);
    CHECK(ast.nodes[2].end_line == 9);
}

TEST_CASE("parse extracts heredocs from RUN, COPY and ADD", "[dockerfile]") {
    Ast ast = parsed(
        "FROM alpine\n"
        "RUN <<EMPTY\n"
        "EMPTY\n"
        "RUN 3<<EMPTY2\n"
        "EMPTY2\n"
        "RUN \"<<NOHEREDOC\"\n"
        "RUN <<INDENT\n"
        "\tfoo\n"
        "\tbar\n"
        "INDENT\n"
        "RUN <<-UNINDENT\n"
        "\tbaz\n"
        "\tUNINDENT\n"
        "RUN <<-'NOEXPAND'\n"
        "\tdon't expand $NAME\n"
        "NOEXPAND\n"
        "COPY <<FILE1 <<FILE2 /dest\n"
        "content 1\n"
        "FILE1\n"
        "content 2\n"
        "FILE2\n"
        "COPY <<X <<Y /dest\n"
        "Y\n"
        "X\n"
        "X\n"
        "Y\n"
        "RUN --mount=type=cache,target=/foo <<COMMENT python3\n"
        "# internal comment\n"
        "COMMENT\n");
    std::vector<std::vector<Heredoc>> expected = {
        {},
        {heredoc("EMPTY", "")},
        {heredoc("EMPTY2", "", true, false, 3)},
        {},
        {heredoc("INDENT", "\tfoo\n\tbar\n")},
        {heredoc("UNINDENT", "\tbaz\n", true, true)},
        {heredoc("NOEXPAND", "\tdon't expand $NAME\n", false, true)},
        {heredoc("FILE1", "content 1\n"), heredoc("FILE2", "content 2\n")},
        {heredoc("X", "Y\n"), heredoc("Y", "X\n")},
        {heredoc("COMMENT", "# internal comment\n")},
    };
    REQUIRE(ast.nodes.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(ast.nodes[i].heredocs == expected[i]);
    }
    // The heredoc word stays an argument; the body is not part of the line.
    CHECK(ast.nodes[7].values == std::vector<std::string>{"<<FILE1", "<<FILE2", "/dest"});
    CHECK(ast.nodes[9].values == std::vector<std::string>{"<<COMMENT python3"});
}

TEST_CASE("parse reads quoted and escaped heredoc delimiters as BuildKit does", "[dockerfile]") {
    struct Case {
        std::string line;
        std::string body;
        Heredoc expected;
    };
    const std::vector<Case> cases = {
        {"RUN <<eo'f'", "echo foo\neof\n", heredoc("eof", "echo foo\n", false)},
        {"RUN <<eo\\'f", "echo foo\neo'f\n", heredoc("eo'f", "echo foo\n", true)},
        {"RUN <<'e'o\\'f", "echo foo\neo'f\n", heredoc("eo'f", "echo foo\n", false)},
        {"RUN <<'one two'", "echo bar\none two\n", heredoc("one two", "echo bar\n", false)},
        {"RUN <<$EOF", "$EOF\n", heredoc("$EOF", "", true)},
        {"RUN <<  EOF", "EOF\n", heredoc("EOF", "", true)},
        {"RUN <<  EOF  > foo", "EOF\n", heredoc("EOF", "", true)},
        {"COPY <<file.txt /dest", "hello world\nfile.txt\n", heredoc("file.txt", "hello world\n", true)},
    };
    for (const Case& c : cases) {
        CAPTURE(c.line);
        Ast ast = parsed(c.line + "\n" + c.body);
        REQUIRE(ast.nodes.size() == 1);
        CHECK(ast.nodes[0].heredocs == std::vector<Heredoc>{c.expected});
    }
}

TEST_CASE("parse finds no heredoc in exec form or in other instructions", "[dockerfile]") {
    Ast ast = parsed("RUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\nUSER <<INVALID\nINVALID\n");
    REQUIRE(ast.nodes.size() == 4);
    for (const Node& node : ast.nodes) {
        CHECK(node.heredocs.empty());
    }
}

TEST_CASE("parse finds heredocs in an ONBUILD trigger", "[dockerfile]") {
    Ast ast = parsed("ONBUILD RUN <<EOF\necho hi\nEOF\n");
    REQUIRE(ast.nodes.size() == 1);
    CHECK(ast.nodes[0].heredocs == std::vector<Heredoc>{heredoc("EOF", "echo hi\n")});
    CHECK(ast.nodes[0].end_line == 3);
}

TEST_CASE("parse rejects an unterminated heredoc", "[dockerfile]") {
    CHECK(error("FROM a\nCOPY <<A <<B /x\nA\nbody\n") ==
          "Dockerfile:2:10: unterminated heredoc\nCOPY <<A <<B /x\n         ^");
}

TEST_CASE("parse_heredoc_word tells heredoc words from others", "[dockerfile]") {
    for (std::string word :
         {"<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"", "<<EO\"F\"", "<< EOF", "<<- EOF"}) {
        CAPTURE(word);
        auto heredoc = parse_heredoc_word(word);
        REQUIRE(heredoc);
        CHECK(heredoc->name == "EOF");
    }
    for (std::string word : {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"}) {
        CAPTURE(word);
        auto heredoc = parse_heredoc_word(word);
        REQUIRE(heredoc);
        CHECK(heredoc->name.empty());
    }
    for (std::string word : {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""}) {
        CAPTURE(word);
        CHECK_FALSE(parse_heredoc_word(word));
    }
    CHECK(parse_heredoc_word("<<-EOF")->chomp);
    CHECK_FALSE(parse_heredoc_word("<<'EOF'")->expand);
    CHECK(parse_heredoc_word("12<<EOF")->file_descriptor == 12);
}

TEST_CASE("chomp_heredoc strips the leading tabs of every line", "[dockerfile]") {
    CHECK(chomp_heredoc("\thello\n\t\tworld\n  \tkept\n") == "hello\nworld\n  \tkept\n");
}

TEST_CASE("parse rejects a file without instructions", "[dockerfile]") {
    CHECK(error("") == "Dockerfile:1:1: file with no instructions");
    CHECK(error("# Hello\n# These are just comments\n\n") == "Dockerfile:1:1: file with no instructions\n# Hello\n^");
    // A lone continuation is an instruction with no name, as in BuildKit.
    CHECK(dump("\\\n\n") == "(\"\")\n");
}

TEST_CASE("parse rejects a line longer than BuildKit's limit", "[dockerfile]") {
    std::string ok = "FROM a\nLABEL x=" + std::string(65535 - 8, 'a') + "\n";
    CHECK(parse(ok));
    std::string too_long = "FROM a\nLABEL x=" + std::string(65536 - 8, 'a') + "\n";
    auto ast = parse(too_long);
    REQUIRE_FALSE(ast);
    CHECK(ast.error().what().starts_with(
        "Dockerfile:2:1: dockerfile line greater than max allowed size of 65535\nLABEL x=aaaa"));
}

TEST_CASE("parse names the file as given in messages", "[dockerfile]") {
    auto ast = parse("ENV x\n", "sub/Dockerfile.dev");
    REQUIRE_FALSE(ast);
    CHECK(ast.error().what() == "sub/Dockerfile.dev:1:5: ENV must have two arguments\nENV x\n    ^");
}

TEST_CASE("format_diagnostic puts the caret under the column, tabs and wide characters included", "[dockerfile]") {
    CHECK(format_diagnostic("F", "a\n\tb\xC3\xA9x\n", {2, 4}, "m") == "F:2:4: m\n\tb\xC3\xA9x\n\t  ^");
    CHECK(format_diagnostic("F", "a\n", {3, 1}, "m") == "F:3:1: m");
    std::string long_line(300, 'x');
    std::string shown = format_diagnostic("F", long_line, {1, 150}, "m");
    CHECK(shown == "F:1:150: m\n..." + std::string(160, 'x') + "...\n" + std::string(3 + 80, ' ') + "^");
}
