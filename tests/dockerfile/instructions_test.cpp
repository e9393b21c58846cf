#include "src/dockerfile/instructions.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::Result;
using namespace hoist::dockerfile;
using namespace std::chrono_literals;

namespace {

Dockerfile file(std::string_view text) {
    auto parsed = Dockerfile::parse(text);
    INFO(text);
    INFO((parsed ? std::string() : parsed.error().what()));
    REQUIRE(parsed);
    return std::move(*parsed);
}

std::string error(std::string_view text) {
    auto parsed = Dockerfile::parse(text);
    INFO(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code() == Errc::invalid_argument);
    return parsed.error().what();
}

// The first instruction after `FROM a`.
template <class T>
T only(const std::string& line) {
    Dockerfile f = file("FROM a\n" + line + "\n");
    REQUIRE(f.stages.size() == 1);
    REQUIRE_FALSE(f.stages[0].instructions.empty());
    const T* instruction = std::get_if<T>(&f.stages[0].instructions[0]);
    REQUIRE(instruction != nullptr);
    return *instruction;
}

// The message of `line` after `FROM a`, without the location and the quoted line.
std::string message(const std::string& line) {
    std::string text = error("FROM a\n" + line + "\n");
    auto start = text.find(": ");
    auto end = text.find('\n');
    return text.substr(start + 2, end - start - 2);
}

MountSpec mount(std::string_view spec) {
    auto parsed = parse_mount(spec);
    INFO(spec);
    INFO((parsed ? std::string() : parsed.error().what()));
    REQUIRE(parsed);
    return *parsed;
}

std::string mount_error(std::string_view spec) {
    auto parsed = parse_mount(spec);
    INFO(spec);
    REQUIRE_FALSE(parsed);
    return parsed.error().what();
}

}  // namespace

TEST_CASE("Dockerfile::parse splits the file into stages with names and indices", "[dockerfile]") {
    Dockerfile f = file(
        "ARG BASE=alpine\n"
        "FROM ${BASE} AS Build\n"
        "RUN make\n"
        "FROM --platform=linux/arm64 scratch\n"
        "COPY --from=build /out /\n");
    REQUIRE(f.global_args.size() == 1);
    CHECK(f.global_args[0].args == std::vector<ArgDefinition>{{"BASE", "alpine", ""}});
    REQUIRE(f.stages.size() == 2);
    CHECK(f.stages[0].name == "build");
    CHECK(f.stages[0].index == 0);
    CHECK(f.stages[0].from.base == "${BASE}");
    CHECK(f.stages[0].from.code == "FROM ${BASE} AS Build");
    CHECK(f.stages[0].instructions.size() == 1);
    CHECK(f.stages[1].name.empty());
    CHECK(f.stages[1].index == 1);
    CHECK(f.stages[1].from.platform == "linux/arm64");
    CHECK(f.find_stage("BUILD") == &f.stages[0]);
    CHECK(f.find_stage("other") == nullptr);
}

TEST_CASE("Dockerfile::parse allows only ARG before the first FROM", "[dockerfile]") {
    CHECK(error("ARG a\nRUN x\nFROM a\n") ==
          "Dockerfile:2:1: no build stage in current context: RUN before the first FROM (only ARG may come before "
          "it)\nRUN x\n^");
    CHECK(error("ARG a\n") == "Dockerfile:1:1: dockerfile contains no stages to build\nARG a\n^");
}

TEST_CASE("Dockerfile::parse rejects an unknown instruction with a suggestion", "[dockerfile]") {
    CHECK(error("FROM a\nRUNN echo hi\n") ==
          "Dockerfile:2:1: unknown instruction: RUNN (did you mean RUN?)\nRUNN echo hi\n^");
    CHECK(message("  copyy a b") == "unknown instruction: copyy (did you mean copy?)");
    CHECK(message("Frmo a") == "unknown instruction: Frmo (did you mean FROM?)");
    CHECK(message("XYZZY a") == "unknown instruction: XYZZY");
    CHECK(error("FROM a\n  BLAH bar\n") == "Dockerfile:2:3: unknown instruction: BLAH\n  BLAH bar\n  ^");
}

TEST_CASE("Dockerfile::parse names unknown and misplaced flags", "[dockerfile]") {
    CHECK(error("FROM a\nCOPY --chmown=1 a b\n") ==
          "Dockerfile:2:6: unknown flag: --chmown (did you mean --chown?)\nCOPY --chmown=1 a b\n     ^");
    CHECK(error("FROM a\nRUN --network=none --from=x echo\n") ==
          "Dockerfile:2:20: --from is not allowed on RUN (only on COPY)\nRUN --network=none --from=x echo\n" +
              std::string(19, ' ') + "^");
    CHECK(message("ADD --parents a b") == "--parents is not allowed on ADD (only on COPY)");
    CHECK(message("COPY --checksum=sha256:x a b") == "--checksum is not allowed on COPY (only on ADD)");
    CHECK(message("ENV --chown=1 a=b") == "--chown is not allowed on ENV (only on ADD and COPY)");
    CHECK(message("RUN --mont=type=cache echo") == "unknown flag: --mont (did you mean --mount?)");
    CHECK(message("WORKDIR --bogus /x") == "unknown flag: --bogus");
    CHECK(message("HEALTHCHECK --mount=x CMD a") == "--mount is not allowed on HEALTHCHECK (only on RUN)");
    CHECK(error("FROM --chown=1 a\n") ==
          "Dockerfile:1:6: --chown is not allowed on FROM (only on ADD and COPY)\nFROM --chown=1 a\n     ^");
}

TEST_CASE("Dockerfile::parse checks flag values as BuildKit does", "[dockerfile]") {
    CHECK(message("COPY --chown=1 --chown=2 a b") == "duplicate flag specified: --chown");
    CHECK(message("COPY --chown a b") == "missing a value on flag: --chown");
    CHECK(message("COPY --link=maybe a b") == "expecting boolean value for flag --link, not: maybe");
    CHECK(message("COPY --link= a b") == "missing a value on flag: --link");
    CHECK(message("COPY --exclude a b") == "missing a value on flag: --exclude");
    CHECK(only<CopyInstruction>("COPY --link=FALSE a b").link == false);
    CHECK(only<CopyInstruction>("COPY --link=True a b").link == true);
    CHECK(only<CopyInstruction>("COPY --exclude=*.md --exclude=.git a b").excludes ==
          std::vector<std::string>{"*.md", ".git"});
}

TEST_CASE("FROM takes an image, an optional stage name and --platform", "[dockerfile]") {
    Dockerfile f = file("FROM --platform=$BUILDPLATFORM golang:1.22 as Builder\n");
    CHECK(f.stages[0].from.base == "golang:1.22");
    CHECK(f.stages[0].from.stage_name == "builder");
    CHECK(f.stages[0].from.platform == "$BUILDPLATFORM");
    CHECK(error("FROM a AS 1x\n") ==
          "Dockerfile:1:11: invalid name for build stage: \"1x\", name can't start with a number or contain "
          "symbols\nFROM a AS 1x\n          ^");
    CHECK(error("FROM a b\n") == "Dockerfile:1:6: FROM requires either one or three arguments\nFROM a b\n     ^");
    CHECK(error("FROM\n") == "Dockerfile:1:1: FROM requires either one or three arguments\nFROM\n^");
    CHECK(error("FROM a AS b c\n").starts_with("Dockerfile:1:6: FROM requires either one or three arguments"));
    CHECK(file("FROM a AS my-stage_1.x\n").stages[0].name == "my-stage_1.x");
}

TEST_CASE("RUN takes the shell form, the exec form and heredocs", "[dockerfile]") {
    RunInstruction shell = only<RunInstruction>("RUN echo  hi \\\n  there");
    CHECK(shell.command == CommandLine{{"echo  hi   there"}, true, {}});
    CHECK(shell.code == "RUN echo  hi   there");
    RunInstruction exec = only<RunInstruction>("RUN [\"echo\", \"hi\"]");
    CHECK(exec.command == CommandLine{{"echo", "hi"}, false, {}});
    RunInstruction heredoc = only<RunInstruction>("RUN <<-EOF bash\n\techo $HOME\nEOF");
    CHECK(heredoc.command.args == std::vector<std::string>{"<<-EOF bash"});
    CHECK(heredoc.command.files == std::vector<InlineFile>{{"EOF", "\techo $HOME\n", true, true}});
    CHECK(heredoc.end_line == 4);
    CHECK(message("RUN") == "RUN requires at least one argument");
    CHECK(message("RUN []") == "RUN requires at least one argument");
}

TEST_CASE("RUN takes --mount, --network and --security", "[dockerfile]") {
    RunInstruction run = only<RunInstruction>(
        "RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=npm --network=none "
        "--security=insecure make");
    REQUIRE(run.mounts.size() == 2);
    CHECK(run.mounts[0].type == MountType::cache);
    CHECK(run.mounts[0].target == "/root/.cache");
    CHECK(run.mounts[1].type == MountType::secret);
    CHECK(run.mounts[1].id == "npm");
    CHECK(run.mount_flags == std::vector<std::string>{"type=cache,target=/root/.cache", "type=secret,id=npm"});
    CHECK(run.network == "none");
    CHECK(run.security == "insecure");
    CHECK(run.flags_used == std::vector<std::string>{"mount", "network", "security"});
    RunInstruction plain = only<RunInstruction>("RUN true");
    CHECK(plain.network == "default");
    CHECK(plain.security == "sandbox");
    CHECK(plain.mounts.empty());
    CHECK(message("RUN --network=bridge true") == "invalid network mode \"bridge\"");
    CHECK(message("RUN --security=root true") == "security \"root\" is not valid");
    CHECK(error("FROM a\nRUN --network=host --mount=type=foo true\n") ==
          "Dockerfile:2:20: unsupported mount type \"foo\"\nRUN --network=host --mount=type=foo true\n" +
              std::string(19, ' ') + "^");
}

TEST_CASE("parse_mount reads every mount type with its options", "[dockerfile]") {
    MountSpec cache = mount("type=cache,target=/var/cache/apt,id=apt,sharing=locked,mode=0755,uid=1000,gid=1001");
    CHECK(cache.type == MountType::cache);
    CHECK(cache.target == "/var/cache/apt");
    CHECK(cache.id == "apt");
    CHECK(cache.sharing == CacheSharing::locked);
    CHECK(cache.mode == 0755u);
    CHECK(cache.uid == 1000u);
    CHECK(cache.gid == 1001u);
    CHECK_FALSE(cache.read_only);

    MountSpec bind = mount("type=bind,from=build,source=/out,dst=/in");
    CHECK(bind.type == MountType::bind);
    CHECK(bind.from == "build");
    CHECK(bind.source == "/out");
    CHECK(bind.target == "/in");
    CHECK(bind.read_only);
    CHECK_FALSE(mount("target=/x,rw").read_only);
    CHECK_FALSE(mount("target=/x,readwrite=true").read_only);
    CHECK(mount("type=cache,target=/x,ro").read_only);
    CHECK(mount("TYPE=BIND,Target=/x").type == MountType::bind);

    MountSpec tmpfs = mount("type=tmpfs,target=/tmp,size=64m");
    CHECK(tmpfs.size_limit == 64 * 1024 * 1024);
    CHECK_FALSE(tmpfs.read_only);
    CHECK(mount("type=tmpfs,target=/t,size=1.5GiB").size_limit == 1610612736);
    CHECK(mount("type=tmpfs,target=/t,size=100").size_limit == 100);

    MountSpec secret = mount("type=secret,id=aws,target=/root/.aws/credentials,required,env=AWS_KEY,uid=1");
    CHECK(secret.type == MountType::secret);
    CHECK(secret.required);
    CHECK(secret.env == "AWS_KEY");
    CHECK(secret.read_only);
    CHECK(mount("type=secret,id=x,required=false").required == false);

    MountSpec ssh = mount("type=ssh,id=default,mode=0600");
    CHECK(ssh.type == MountType::ssh);
    CHECK(ssh.mode == 0600u);

    CHECK(mount("\"target=/a,b\",type=bind").target == "/a,b");
}

TEST_CASE("parse_mount rejects bad options with BuildKit's messages", "[dockerfile]") {
    CHECK(mount_error("type=foo") == "unsupported mount type \"foo\"");
    CHECK(mount_error("type=cahce") == "unsupported mount type \"cahce\" (did you mean cache?)");
    CHECK(mount_error("type=cache,sise=1") == "unexpected key 'sise' in 'sise=1' (did you mean size?)");
    CHECK(mount_error("type=bind,size=1m") == "unexpected key 'size' for mount type 'bind'");
    CHECK(mount_error("size=1m,type=tmpfs") == "unexpected key 'size' for mount type 'bind'");
    CHECK(mount_error("type=cache,required") == "unexpected key 'required' for mount type 'cache'");
    CHECK(mount_error("type=bind,mode=0700") == "mode not allowed for \"bind\" type mounts");
    CHECK(mount_error("type=tmpfs,uid=1") == "uid not allowed for \"tmpfs\" type mounts");
    CHECK(mount_error("type=cache,uid=x") == "invalid value x for uid");
    CHECK(mount_error("type=cache,mode=0800") == "invalid value 0800 for mode");
    CHECK(mount_error("type=tmpfs,size=lots") == "invalid value for size: lots");
    CHECK(mount_error("target=/x,ro=maybe") == "invalid value for ro: maybe");
    CHECK(mount_error("type=cache,sharing=privat") == "unsupported sharing value \"privat\" (did you mean private?)");
    CHECK(mount_error("type=bind,sharing=shared") == "invalid cache sharing set for bind mount");
    CHECK(mount_error("type=secret,from=x,id=a") == "secret mount should not have a from");
    CHECK(mount_error("type=secret,sharing=locked,id=a") == "secret mount should not define sharing");
    CHECK(mount_error("type=secret") == "invalid secret mount. one of source, target required");
    CHECK(mount_error("type=secret,id=a,source=b") == "both source and id can't be set");
    CHECK(mount_error("bogus") == "invalid field 'bogus' must be a key=value pair");
    CHECK(mount_error("from=$STAGE") == "'from' doesn't support variable expansion, define alias stage instead");
    CHECK(mount_error("\"target=/x") == "failed to parse csv mounts: extraneous or missing \" in quoted-field");
    CHECK(mount_error("target=/x\"y") == "failed to parse csv mounts: bare \" in non-quoted-field");
}

TEST_CASE("parse_mount leaves values with variables for later, and expands them when asked", "[dockerfile]") {
    MountSpec deferred = mount("type=$TYPE,target=$DIR,id=x");
    CHECK(deferred.type == MountType::bind);
    CHECK(deferred.target.empty());
    CHECK(deferred.id == "x");
    Expander expander = [](std::string_view word) -> Result<std::string> {
        return word == "$TYPE" ? "cache" : word == "$DIR" ? "/cache" : std::string(word);
    };
    auto expanded = parse_mount("type=$TYPE,target=$DIR,id=x", &expander);
    REQUIRE(expanded);
    CHECK(expanded->type == MountType::cache);
    CHECK(expanded->target == "/cache");
}

TEST_CASE("CMD and ENTRYPOINT take the shell or the exec form", "[dockerfile]") {
    CHECK(only<CmdInstruction>("CMD echo hi").command == CommandLine{{"echo hi"}, true, {}});
    CHECK(only<CmdInstruction>("CMD [\"a\", \"b\"]").command == CommandLine{{"a", "b"}, false, {}});
    CHECK(only<EntrypointInstruction>("ENTRYPOINT []").command == CommandLine{{}, false, {}});
    CHECK(only<EntrypointInstruction>("ENTRYPOINT exec app").command == CommandLine{{"exec app"}, true, {}});
    CHECK(message("CMD --foo echo") == "unknown flag: --foo");
}

TEST_CASE("ENV and LABEL take pairs, the legacy form marked", "[dockerfile]") {
    CHECK(only<EnvInstruction>("ENV A=1 B=\"two words\"").variables ==
          std::vector<KeyValue>{{"A", "1", false}, {"B", "\"two words\"", false}});
    CHECK(only<EnvInstruction>("ENV PATH /usr/bin:/bin").variables ==
          std::vector<KeyValue>{{"PATH", "/usr/bin:/bin", true}});
    CHECK(only<LabelInstruction>("LABEL a=b c=").labels == std::vector<KeyValue>{{"a", "b", false}, {"c", "", false}});
    CHECK(message("ENV") == "ENV requires at least one argument");
    CHECK(message("LABEL") == "LABEL requires at least one argument");
    CHECK(message("ENV =x") == "ENV names can not be blank");
    CHECK(message("LABEL =x") == "LABEL names can not be blank");
}

TEST_CASE("MAINTAINER, USER, WORKDIR and STOPSIGNAL take one argument", "[dockerfile]") {
    CHECK(only<MaintainerInstruction>("MAINTAINER Jane Doe <j@d.o>").maintainer == "Jane Doe <j@d.o>");
    CHECK(only<UserInstruction>("USER app:app").user == "app:app");
    CHECK(only<WorkdirInstruction>("WORKDIR /src/app").path == "/src/app");
    CHECK(only<StopSignalInstruction>("STOPSIGNAL SIGKILL").signal == "SIGKILL");
    CHECK(message("MAINTAINER") == "MAINTAINER requires exactly one argument");
    CHECK(message("USER") == "USER requires exactly one argument");
    CHECK(message("WORKDIR") == "WORKDIR requires exactly one argument");
    CHECK(message("STOPSIGNAL") == "STOPSIGNAL requires exactly one argument");
    CHECK(message("USER --chown=1 app") == "--chown is not allowed on USER (only on ADD and COPY)");
}

TEST_CASE("EXPOSE and VOLUME take a list", "[dockerfile]") {
    CHECK(only<ExposeInstruction>("EXPOSE 8080 443/tcp 80").ports == std::vector<std::string>{"443/tcp", "80", "8080"});
    CHECK(only<VolumeInstruction>("VOLUME /a /b").volumes == std::vector<std::string>{"/a", "/b"});
    CHECK(only<VolumeInstruction>("VOLUME [\"/a\", \" /b \"]").volumes == std::vector<std::string>{"/a", "/b"});
    CHECK(message("EXPOSE") == "EXPOSE requires at least one argument");
    CHECK(message("VOLUME") == "VOLUME requires at least one argument");
    CHECK(message("VOLUME [\"/a\", \" \"]") == "VOLUME specified can not be an empty string");
}

TEST_CASE("ADD takes its flags and heredoc sources", "[dockerfile]") {
    AddInstruction add = only<AddInstruction>(
        "ADD --chown=1:2 --chmod=0644 --link --keep-git-dir=true --checksum=sha256:abc --unpack=false "
        "--exclude=*.tmp https://x/y.tar.gz /opt/");
    CHECK(add.sources == std::vector<std::string>{"https://x/y.tar.gz"});
    CHECK(add.destination == "/opt/");
    CHECK(add.chown == "1:2");
    CHECK(add.chmod == "0644");
    CHECK(add.link);
    CHECK(add.keep_git_dir == true);
    CHECK(add.checksum == "sha256:abc");
    CHECK(add.unpack == false);
    CHECK(add.excludes == std::vector<std::string>{"*.tmp"});
    AddInstruction plain = only<AddInstruction>("ADD a b");
    CHECK_FALSE(plain.keep_git_dir.has_value());
    CHECK_FALSE(plain.unpack.has_value());
    CHECK(message("ADD a") ==
          "ADD requires at least two arguments, but only one was provided. Destination could not be determined");
    CHECK(message("ADD --from=x a b") == "--from is not allowed on ADD (only on COPY)");
}

TEST_CASE("COPY takes its flags and heredoc sources", "[dockerfile]") {
    CopyInstruction copy = only<CopyInstruction>(
        "COPY --from=build --chown=app --chmod=755 --link --parents --exclude=a --exclude=b x y /dst/");
    CHECK(copy.sources == std::vector<std::string>{"x", "y"});
    CHECK(copy.destination == "/dst/");
    CHECK(copy.from == "build");
    CHECK(copy.chown == "app");
    CHECK(copy.chmod == "755");
    CHECK(copy.link);
    CHECK(copy.parents);
    CHECK(copy.excludes == std::vector<std::string>{"a", "b"});

    CopyInstruction heredocs = only<CopyInstruction>("COPY <<-one <<'two' src /dst/\n\tfirst\none\nsecond $X\ntwo");
    CHECK(heredocs.sources == std::vector<std::string>{"src"});
    CHECK(heredocs.contents ==
          std::vector<InlineFile>{{"one", "first\n", true, true}, {"two", "second $X\n", false, false}});
    CHECK(message("COPY a <<EOF\nx\nEOF") == "COPY cannot accept a heredoc as a destination");
    CHECK(message("COPY --from=$STAGE a b") ==
          "variable expansion is not supported for --from, define a new stage with FROM using ARG from global "
          "scope as a workaround");
    CHECK(message("COPY a") ==
          "COPY requires at least two arguments, but only one was provided. Destination could not be determined");
}

TEST_CASE("ARG declares names with optional defaults", "[dockerfile]") {
    ArgInstruction arg = only<ArgInstruction>("# VERSION the release to build\nARG VERSION=1.2 NAME \"Q=a b\"");
    CHECK(arg.args == std::vector<ArgDefinition>{{"VERSION", "1.2", "the release to build"},
                                                 {"NAME", std::nullopt, ""},
                                                 {"\"Q", "a b\"", ""}});
    CHECK(message("ARG") == "ARG requires at least one argument");
    CHECK(message("ARG =x") == "ARG names can not be blank");
}

TEST_CASE("ONBUILD takes a trigger, but not ONBUILD, FROM or MAINTAINER", "[dockerfile]") {
    CHECK(only<OnbuildInstruction>("ONBUILD RUN echo hi").expression == "RUN echo hi");
    CHECK(only<OnbuildInstruction>("  onbuild   COPY . /app").expression == "COPY . /app");
    CHECK(only<OnbuildInstruction>("ONBUILD RUN <<EOF\necho hi\nEOF").expression == "RUN <<EOF\necho hi\nEOF");
    CHECK(error("FROM a\nONBUILD ONBUILD RUN x\n") ==
          "Dockerfile:2:9: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed\nONBUILD ONBUILD RUN x\n        ^");
    CHECK(message("ONBUILD FROM a") == "FROM isn't allowed as an ONBUILD trigger");
    CHECK(message("ONBUILD maintainer me") == "MAINTAINER isn't allowed as an ONBUILD trigger");
    CHECK(message("ONBUILD RUNN x") == "unknown instruction: RUNN (did you mean RUN?)");
    CHECK(message("ONBUILD") == "ONBUILD requires at least one argument");
}

TEST_CASE("HEALTHCHECK takes NONE or CMD with its timing flags", "[dockerfile]") {
    HealthcheckInstruction none = only<HealthcheckInstruction>("HEALTHCHECK NONE");
    CHECK(none.test == std::vector<std::string>{"NONE"});
    HealthcheckInstruction shell = only<HealthcheckInstruction>(
        "HEALTHCHECK --interval=5s --timeout=1m30s --start-period=1.5s --start-interval=100ms --retries=3 \\\n"
        "  CMD curl -f http://localhost/");
    CHECK(shell.test == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/"});
    CHECK(shell.interval == 5s);
    CHECK(shell.timeout == 90s);
    CHECK(shell.start_period == 1500ms);
    CHECK(shell.start_interval == 100ms);
    CHECK(shell.retries == 3);
    HealthcheckInstruction exec = only<HealthcheckInstruction>("HEALTHCHECK --timeout=0s CMD [\"check\", \"-q\"]");
    CHECK(exec.test == std::vector<std::string>{"CMD", "check", "-q"});
    CHECK(exec.timeout == 0s);

    CHECK(message("HEALTHCHECK") == "HEALTHCHECK requires at least one argument");
    CHECK(message("HEALTHCHECK NONE x") == "HEALTHCHECK NONE takes no arguments");
    CHECK(message("HEALTHCHECK CONNECT TCP 7000") == "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)");
    CHECK(message("HEALTHCHECK CMD") == "Missing command after HEALTHCHECK CMD");
    CHECK(message("HEALTHCHECK --interval=abc CMD x") == "time: invalid duration \"abc\"");
    CHECK(message("HEALTHCHECK --interval=5 CMD x") == "time: missing unit in duration \"5\"");
    CHECK(message("HEALTHCHECK --interval=5y CMD x") == "time: unknown unit \"y\" in duration \"5y\"");
    CHECK(message("HEALTHCHECK --timeout=10us CMD x") == "Interval \"timeout\" cannot be less than 1ms");
    CHECK(message("HEALTHCHECK --retries=-1 CMD x") == "--retries cannot be negative (-1)");
    CHECK(message("HEALTHCHECK --retries=x CMD x") == "strconv.ParseInt: parsing \"x\": invalid syntax");
    CHECK(message("HEALTHCHECK --retires=1 CMD x") == "unknown flag: --retires (did you mean --retries?)");
}

TEST_CASE("SHELL takes a JSON array only", "[dockerfile]") {
    CHECK(only<ShellInstruction>("SHELL [\"/bin/bash\", \"-c\"]").shell == std::vector<std::string>{"/bin/bash", "-c"});
    CHECK(message("SHELL /bin/bash -c") == "SHELL requires the arguments to be in JSON form");
    CHECK(message("SHELL []") == "SHELL requires at least one argument");
}

TEST_CASE("global ARGs reach FROM lines, with build args and the platform args", "[dockerfile]") {
    Dockerfile f = file(
        "ARG VERSION=3.19\n"
        "ARG BASE=alpine:${VERSION}\n"
        "ARG UNSET\n"
        "FROM ${BASE} AS final\n");
    BuildContext context;
    context.build_platform = {"linux", "amd64", "", "", {}};
    context.target_platform = {"linux", "arm64", "v8", "", {}};
    auto globals = global_scope(f, context);
    REQUIRE(globals);
    CHECK(globals->at("VERSION") == "3.19");
    CHECK(globals->at("BASE") == "alpine:3.19");
    CHECK_FALSE(globals->contains("UNSET"));
    CHECK(globals->at("BUILDPLATFORM") == "linux/amd64");
    CHECK(globals->at("TARGETPLATFORM") == "linux/arm64/v8");
    CHECK(globals->at("TARGETARCH") == "arm64");
    CHECK(globals->at("TARGETVARIANT") == "v8");
    CHECK(globals->at("TARGETSTAGE") == "final");
    auto from = expand_from(f.stages[0].from, *globals, f);
    REQUIRE(from);
    CHECK(from->base == "alpine:3.19");

    context.build_args = {{"VERSION", "3.20"}, {"UNSET", "set"}, {"TARGETARCH", "riscv64"}};
    globals = global_scope(f, context);
    REQUIRE(globals);
    CHECK(globals->at("BASE") == "alpine:3.20");
    CHECK(globals->at("UNSET") == "set");
    CHECK(globals->at("TARGETARCH") == "riscv64");
}

TEST_CASE("expand_from rejects an empty base name or platform", "[dockerfile]") {
    Dockerfile f = file("ARG EMPTY\nFROM ${EMPTY}\nFROM --platform=$NONE a\n");
    auto globals = global_scope(f, {});
    REQUIRE(globals);
    auto blank = expand_from(f.stages[0].from, *globals, f);
    REQUIRE_FALSE(blank);
    CHECK(blank.error().what() == "Dockerfile:2:1: base name (${EMPTY}) should not be blank\nFROM ${EMPTY}\n^");
    auto platform = expand_from(f.stages[1].from, *globals, f);
    REQUIRE_FALSE(platform);
    CHECK(platform.error().what().starts_with("Dockerfile:3:1: empty platform value from expression $NONE\n"));
}

TEST_CASE("StageScope: a global ARG reaches a stage only when declared again", "[dockerfile]") {
    Dockerfile f = file(
        "ARG VERSION=1.0\n"
        "FROM a\n"
        "RUN echo\n"
        "ARG VERSION\n"
        "ARG TARGETARCH\n"
        "ARG OWN=x-${VERSION}\n");
    BuildContext context;
    context.target_platform = {"linux", "amd64", "", "", {}};
    auto globals = global_scope(f, context);
    REQUIRE(globals);
    StageScope scope(*globals, context.build_args, {"PATH=/bin", "HOME=/root"});
    CHECK(scope.expand("[$VERSION] $HOME").value() == "[] /root");
    REQUIRE(scope.declare(std::get<ArgInstruction>(f.stages[0].instructions[1])));
    CHECK(scope.expand("[$VERSION]").value() == "[1.0]");
    CHECK(scope.expand("[$TARGETARCH]").value() == "[]");
    REQUIRE(scope.declare(std::get<ArgInstruction>(f.stages[0].instructions[2])));
    CHECK(scope.expand("[$TARGETARCH]").value() == "[amd64]");
    REQUIRE(scope.declare(std::get<ArgInstruction>(f.stages[0].instructions[3])));
    CHECK(scope.variables().at("OWN") == "x-1.0");
    CHECK(scope.declared_args() ==
          std::vector<ArgDefinition>{{"VERSION", "1.0", ""}, {"TARGETARCH", "amd64", ""}, {"OWN", "x-1.0", ""}});
    // ARGs are not part of the image's environment.
    CHECK(scope.image_env() == std::vector<std::string>{"PATH=/bin", "HOME=/root"});
}

TEST_CASE("StageScope: a build arg overrides an ARG's default; an undeclared one is not seen", "[dockerfile]") {
    Dockerfile f = file("FROM a\nARG MODE=debug\nARG NONE\n");
    StageScope scope({}, {{"MODE", "release"}, {"OTHER", "x"}}, {});
    REQUIRE(scope.declare(std::get<ArgInstruction>(f.stages[0].instructions[0])));
    REQUIRE(scope.declare(std::get<ArgInstruction>(f.stages[0].instructions[1])));
    CHECK(scope.expand("$MODE-$OTHER-${NONE-unset}").value() == "release--unset");
    CHECK(scope.declared_args()[1] == ArgDefinition{"NONE", std::nullopt, ""});
}

TEST_CASE("StageScope: ENV overrides an ARG and expands with the values before it", "[dockerfile]") {
    Dockerfile f = file(
        "FROM a\n"
        "ARG CONT_IMG_VER\n"
        "ENV CONT_IMG_VER=v1.0.0 OLD=$CONT_IMG_VER PATH=/opt/bin:$PATH\n"
        "ARG CONT_IMG_VER\n");
    StageScope scope({}, {{"CONT_IMG_VER", "v2.0.1"}}, {"PATH=/bin"});
    const auto& stage = f.stages[0].instructions;
    REQUIRE(scope.declare(std::get<ArgInstruction>(stage[0])));
    CHECK(scope.expand("$CONT_IMG_VER").value() == "v2.0.1");
    REQUIRE(scope.set(std::get<EnvInstruction>(stage[1])));
    CHECK(scope.expand("$CONT_IMG_VER").value() == "v1.0.0");
    CHECK(scope.variables().at("OLD") == "v2.0.1");
    CHECK(scope.image_env() == std::vector<std::string>{"PATH=/opt/bin:/bin", "CONT_IMG_VER=v1.0.0", "OLD=v2.0.1"});

    // Declared again without a default and without a build arg, the ARG leaves the ENV alone.
    StageScope plain({}, {}, {});
    REQUIRE(plain.set(std::get<EnvInstruction>(stage[1])));
    REQUIRE(plain.declare(std::get<ArgInstruction>(stage[2])));
    CHECK(plain.expand("$CONT_IMG_VER").value() == "v1.0.0");

    // A stage built FROM this one starts with a copy of its scope.
    StageScope child = scope;
    CHECK(child.expand("$OLD").value() == "v2.0.1");
}

TEST_CASE("predefined args are known by name; proxy build args go to RUN", "[dockerfile]") {
    for (std::string name : {"HTTP_PROXY", "http_proxy", "NO_PROXY", "all_proxy", "TARGETPLATFORM", "BUILDARCH"}) {
        CAPTURE(name);
        CHECK(is_predefined_arg(name));
    }
    CHECK_FALSE(is_predefined_arg("Http_Proxy"));
    CHECK_FALSE(is_predefined_arg("PATH"));
    CHECK(proxy_args({{"HTTP_PROXY", "http://p:3128"}, {"no_proxy", "localhost"}, {"VERSION", "1"}}) ==
          Variables{{"HTTP_PROXY", "http://p:3128"}, {"no_proxy", "localhost"}});
}

TEST_CASE("expand expands the words BuildKit expands, in the stage's scope", "[dockerfile]") {
    Dockerfile f = file(
        "FROM a\n"
        "COPY --chown=$USER:$USER ${SRC}/a.txt \"$SRC/b\" /home/$USER/\n"
        "EXPOSE $PORTS 9000\n"
        "WORKDIR /srv/${APP:-default}\n"
        "LABEL version=$VERSION \"$KEY\"=x\n"
        "RUN --mount=type=cache,target=$CACHE echo $USER\n"
        "CMD echo $USER\n");
    StageScope scope({}, {}, {"USER=app", "SRC=src", "PORTS=80 443", "VERSION=1", "KEY=k", "CACHE=/c"});
    const auto& stage = f.stages[0].instructions;
    auto copy = expand(stage[0], scope, f);
    REQUIRE(copy);
    const auto& c = std::get<CopyInstruction>(*copy);
    CHECK(c.chown == "app:app");
    CHECK(c.sources == std::vector<std::string>{"src/a.txt", "src/b"});
    CHECK(c.destination == "/home/app/");
    auto expose = expand(stage[1], scope, f);
    CHECK(std::get<ExposeInstruction>(*expose).ports == std::vector<std::string>{"80", "443", "9000"});
    auto workdir = expand(stage[2], scope, f);
    CHECK(std::get<WorkdirInstruction>(*workdir).path == "/srv/default");
    auto label = expand(stage[3], scope, f);
    CHECK(std::get<LabelInstruction>(*label).labels == std::vector<KeyValue>{{"version", "1"}, {"k", "x"}});
    auto run = expand(stage[4], scope, f);
    REQUIRE(run);
    CHECK(std::get<RunInstruction>(*run).mounts.at(0).target == "/c");
    CHECK(std::get<RunInstruction>(*run).command.args == std::vector<std::string>{"echo $USER"});
    auto cmd = expand(stage[5], scope, f);
    CHECK(std::get<CmdInstruction>(*cmd).command.args == std::vector<std::string>{"echo $USER"});
}

TEST_CASE("expand reports a malformed word at the instruction", "[dockerfile]") {
    Dockerfile f = file("FROM a\n  WORKDIR ${x\n");
    StageScope scope({}, {}, {});
    auto expanded = expand(f.stages[0].instructions[0], scope, f);
    REQUIRE_FALSE(expanded);
    CHECK(expanded.error().what().starts_with("Dockerfile:2:3: failed to process \"${x\""));
    CHECK(expanded.error().what().ends_with("\n  WORKDIR ${x\n  ^"));
}
