// The typed Dockerfile: one type per instruction with its flags checked and parsed, stages,
// and the variable scopes that decide what `$NAME` means in each instruction — BuildKit's
// frontend/dockerfile/instructions package plus the ARG/ENV rules of its dockerfile2llb.
//
// Errors are Errc::invalid_argument with the text of format_diagnostic() (parser.hpp):
// "Dockerfile:4:5: unknown flag: --chmown (did you mean --chown?)", then the line and a caret.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "oci/error.hpp"
#include "oci/platform.hpp"
#include "src/dockerfile/parser.hpp"
#include "src/dockerfile/shell_lexer.hpp"

namespace hoist::dockerfile {

// What every instruction carries besides its own fields.
struct InstructionInfo {
    std::string name;  // as written: "RUN", "copy"
    std::string code;  // the logical line, trimmed (continuations joined): for messages and history
    int start_line = 0;
    int end_line = 0;
    Position position;                  // where the name starts
    std::vector<std::string> comments;  // the comment lines right above
};

// `key=value` of ENV and LABEL. `legacy` marks the old `ENV key value` form.
struct KeyValue {
    std::string key;
    std::string value;
    bool legacy = false;

    bool operator==(const KeyValue&) const = default;
};

// One name of an ARG instruction, with its default when it has one.
struct ArgDefinition {
    std::string key;
    std::optional<std::string> value;
    std::string doc_comment;  // from a comment "# KEY does this" right above

    bool operator==(const ArgDefinition&) const = default;
};

// A heredoc body given to RUN (a file for the shell) or to COPY/ADD (a source).
struct InlineFile {
    std::string name;  // the delimiter: "EOF"; for COPY/ADD the file's name
    std::string data;  // for COPY/ADD already chomped when `<<-` was used; for RUN as written
    bool chomp = false;
    bool expand = true;  // variables in `data` are to be expanded (the delimiter was unquoted)

    bool operator==(const InlineFile&) const = default;
};

// The command of RUN, CMD and ENTRYPOINT. Exec form (JSON): `args` as written, run without a
// shell. Shell form: one element, the whole command text, for the stage's SHELL.
struct CommandLine {
    std::vector<std::string> args;
    bool shell_form = true;
    std::vector<InlineFile> files;  // heredocs, in order

    bool operator==(const CommandLine&) const = default;
};

enum class MountType { bind, cache, tmpfs, secret, ssh };
enum class CacheSharing { shared, private_, locked };

std::string_view to_string(MountType type);
std::string_view to_string(CacheSharing sharing);

// `RUN --mount=...`, BuildKit's Mount.
struct MountSpec {
    MountType type = MountType::bind;
    std::string from;    // a stage name or index, or an image; empty: the build context
    std::string source;  // a path in `from`; for secret and ssh the id fallback
    std::string target;
    bool read_only = true;        // bind, secret and ssh default to read-only, cache and tmpfs not
    std::int64_t size_limit = 0;  // tmpfs `size=`, in bytes; 0: no limit
    std::string id;               // cache, secret, ssh
    std::optional<CacheSharing> sharing;
    bool required = false;           // secret and ssh
    std::optional<std::string> env;  // secret: also expose it as this environment variable
    std::optional<std::uint32_t> mode;
    std::optional<std::uint32_t> uid;
    std::optional<std::uint32_t> gid;

    bool operator==(const MountSpec&) const = default;
};

// A word expander for parse_mount: the word with variables expanded, or an error.
using Expander = std::function<Result<std::string>(std::string_view word)>;

// Parses the value of one `--mount` flag: comma-separated fields (CSV quoting), `type=` first
// or anywhere, options checked against the type (`size` only for tmpfs, `required` for secret
// and ssh, `mode/uid/gid` not for bind and tmpfs, no `from` or `sharing` on secrets...).
// With `expand`, each value is expanded first; without it, values that contain '$' are kept as
// written and not checked (they are checked again when expanded). Errors are plain messages,
// BuildKit's: "unexpected key 'sise' in 'sise=1m' (did you mean size?)".
Result<MountSpec> parse_mount(std::string_view spec, const Expander* expand = nullptr);

// A size as docker/go-units' RAMInBytes reads it ("512m", "1.5GiB", "100kb", "4096"; units of
// 1024); nullopt when malformed.
std::optional<std::int64_t> parse_ram_in_bytes(std::string_view size);

struct FromInstruction : InstructionInfo {
    std::string base;        // the image or stage name, variables not expanded
    std::string stage_name;  // `AS name`, lower-cased; empty when unnamed
    std::string platform;    // --platform, variables not expanded; empty when not given

    bool operator==(const FromInstruction&) const = default;
};

struct RunInstruction : InstructionInfo {
    CommandLine command;
    std::vector<MountSpec> mounts;         // checked without expanding variables
    std::vector<std::string> mount_flags;  // the --mount values as written, for expand()
    std::string network = "default";       // default, none or host
    std::string security = "sandbox";      // sandbox or insecure
    std::vector<std::string> flags_used;   // "mount", "network"...: for messages

    bool operator==(const RunInstruction&) const = default;
};

struct CmdInstruction : InstructionInfo {
    CommandLine command;

    bool operator==(const CmdInstruction&) const = default;
};

struct EntrypointInstruction : InstructionInfo {
    CommandLine command;  // `ENTRYPOINT []` has no args: it clears the entrypoint

    bool operator==(const EntrypointInstruction&) const = default;
};

struct LabelInstruction : InstructionInfo {
    std::vector<KeyValue> labels;

    bool operator==(const LabelInstruction&) const = default;
};

struct MaintainerInstruction : InstructionInfo {
    std::string maintainer;

    bool operator==(const MaintainerInstruction&) const = default;
};

struct ExposeInstruction : InstructionInfo {
    std::vector<std::string> ports;  // as written ("80/tcp", "$PORT"), sorted as BuildKit sorts them

    bool operator==(const ExposeInstruction&) const = default;
};

struct EnvInstruction : InstructionInfo {
    std::vector<KeyValue> variables;

    bool operator==(const EnvInstruction&) const = default;
};

struct AddInstruction : InstructionInfo {
    std::vector<std::string> sources;  // paths and URLs
    std::vector<InlineFile> contents;  // heredoc sources
    std::string destination;
    std::string chown;
    std::string chmod;
    bool link = false;
    std::optional<bool> keep_git_dir;
    std::string checksum;
    std::optional<bool> unpack;
    std::vector<std::string> excludes;

    bool operator==(const AddInstruction&) const = default;
};

struct CopyInstruction : InstructionInfo {
    std::vector<std::string> sources;
    std::vector<InlineFile> contents;
    std::string destination;
    std::string from;  // --from: a stage name or index, or an image
    std::string chown;
    std::string chmod;
    bool link = false;
    bool parents = false;
    std::vector<std::string> excludes;

    bool operator==(const CopyInstruction&) const = default;
};

struct VolumeInstruction : InstructionInfo {
    std::vector<std::string> volumes;

    bool operator==(const VolumeInstruction&) const = default;
};

struct UserInstruction : InstructionInfo {
    std::string user;

    bool operator==(const UserInstruction&) const = default;
};

struct WorkdirInstruction : InstructionInfo {
    std::string path;

    bool operator==(const WorkdirInstruction&) const = default;
};

struct ArgInstruction : InstructionInfo {
    std::vector<ArgDefinition> args;

    bool operator==(const ArgInstruction&) const = default;
};

struct OnbuildInstruction : InstructionInfo {
    // The trigger as it goes into the image config: "RUN echo hi", heredocs appended.
    std::string expression;

    bool operator==(const OnbuildInstruction&) const = default;
};

struct StopSignalInstruction : InstructionInfo {
    std::string signal;

    bool operator==(const StopSignalInstruction&) const = default;
};

struct HealthcheckInstruction : InstructionInfo {
    // ["NONE"], ["CMD", arg...] (exec form) or ["CMD-SHELL", command] (shell form).
    std::vector<std::string> test;
    std::chrono::nanoseconds interval{0};  // 0: the default
    std::chrono::nanoseconds timeout{0};
    std::chrono::nanoseconds start_period{0};
    std::chrono::nanoseconds start_interval{0};
    int retries = 0;

    bool operator==(const HealthcheckInstruction&) const = default;
};

struct ShellInstruction : InstructionInfo {
    std::vector<std::string> shell;

    bool operator==(const ShellInstruction&) const = default;
};

using Instruction =
    std::variant<FromInstruction, RunInstruction, CmdInstruction, LabelInstruction, MaintainerInstruction,
                 ExposeInstruction, EnvInstruction, AddInstruction, CopyInstruction, EntrypointInstruction,
                 VolumeInstruction, UserInstruction, WorkdirInstruction, ArgInstruction, OnbuildInstruction,
                 StopSignalInstruction, HealthcheckInstruction, ShellInstruction>;

const InstructionInfo& info(const Instruction& instruction);

// One node checked and typed (BuildKit's ParseInstruction). `ast` names the file and holds the
// source for messages. Rejected: unknown instructions (with a suggestion), unknown or misplaced
// flags, flags without values or repeated, wrong argument counts, an invalid stage name,
// ONBUILD ONBUILD / FROM / MAINTAINER, a non-JSON SHELL, bad HEALTHCHECK durations...
Result<Instruction> parse_instruction(const Node& node, const Ast& ast);

struct Stage {
    std::string name;   // lower-cased; empty when unnamed
    std::size_t index;  // 0-based, in file order
    FromInstruction from;
    std::vector<Instruction> instructions;  // never a FromInstruction
};

struct Dockerfile {
    std::vector<ArgInstruction> global_args;  // the ARGs before the first FROM
    std::vector<Stage> stages;
    char escape = '\\';
    std::string file_name;  // for messages that quote a line
    std::string source;

    // parse() then from_ast().
    static Result<Dockerfile> parse(std::string_view text, std::string_view file_name = "Dockerfile");
    // Types every node: ARGs before the first FROM are global; any other instruction there is an
    // error ("no build stage in current context"); a file with no FROM has no stages to build.
    static Result<Dockerfile> from_ast(const Ast& ast);

    // The stage named `name` (case-insensitively; the last one when names repeat, as BuildKit
    // picks), or nullptr.
    const Stage* find_stage(std::string_view name) const;
};

// ---------------------------------------------------------------------------------------------
// Variables. A build has three scopes: the global one (predefined args, then the global ARGs)
// that only FROM lines see; and in each stage, the environment that ARG and ENV build up from
// the base image's, which every other instruction's words see and which RUN runs with.

// What a build is asked for that decides the predefined args.
struct BuildContext {
    Variables build_args;  // --build-arg NAME=VALUE
    oci::Platform build_platform;
    oci::Platform target_platform;
    std::string target;  // the stage built (TARGETSTAGE); empty: the last one
};

// Whether `name` is a predefined arg, usable without being declared: the proxy variables
// (HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY, upper or lower case) and the
// platform ones (BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT, BUILDOSVERSION,
// TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, TARGETOSVERSION, TARGETSTAGE).
bool is_predefined_arg(std::string_view name);

// The platform args with their values from `context` (a --build-arg of the same name wins).
Variables platform_args(const BuildContext& context);

// The proxy variables among the build args: RUN runs with them, though no ARG declares them and
// they stay out of the image and its history.
Variables proxy_args(const Variables& build_args);

// The scope of FROM lines: the platform args, then each global ARG in order — its --build-arg
// value if given, else its default expanded with the scope so far. Errors are expansion errors
// with the ARG's location.
Result<Variables> global_scope(const Dockerfile& dockerfile, const BuildContext& context);

// The variables of one stage while its instructions run, in order. Copyable: a stage built FROM
// another stage starts with a copy of that stage's scope at its end (BuildKit carries the
// environment and the declared args over).
class StageScope {
public:
    // `globals` from global_scope(); `base_env` the base image's config Env ("K=V").
    StageScope(Variables globals, Variables build_args, const std::vector<std::string>& base_env, char escape = '\\');

    // ARG: each name takes its --build-arg value, else its default expanded with the variables
    // so far, else — declared without a default — the global value of that name (this is how a
    // global ARG reaches a stage). A name with a value becomes a variable; one without stays
    // unset (and an ENV of that name keeps its value).
    Result<void> declare(const ArgInstruction& arg);
    // ENV: every value expanded with the variables as they were before this instruction, then
    // set, in order. An ENV overrides an ARG of the same name declared before it (and, as in
    // BuildKit, a later ARG with a value overrides the ENV again).
    Result<void> set(const EnvInstruction& env);

    // A word with quotes removed and variables expanded (ShellLexer::process_word).
    Result<std::string> expand(std::string_view word) const;
    // A word split into fields after expansion (ShellLexer::process_words).
    Result<std::vector<std::string>> expand_words(std::string_view word) const;

    // What words expand with and RUN sees: the base image's env, the ARGs with values, the ENVs.
    const Variables& variables() const { return m_variables; }
    // The image config's Env: the base image's, then each ENV ("K=V", a name set again keeps
    // its place).
    const std::vector<std::string>& image_env() const { return m_image_env; }
    // The ARGs declared so far with the values they took (for history: "|2 A=1 B=2 ...").
    const std::vector<ArgDefinition>& declared_args() const { return m_declared; }
    const Variables& globals() const { return m_globals; }

private:
    Variables m_globals;
    Variables m_build_args;
    Variables m_variables;
    std::vector<std::string> m_image_env;
    std::vector<ArgDefinition> m_declared;
    ShellLexer m_lexer;
};

// A copy of `instruction` with its words expanded in `scope`, as BuildKit expands each
// instruction before it runs: ENV and LABEL keys and values; ADD/COPY sources, destination,
// --chown, --chmod, ADD's --checksum (heredoc sources are left to the builder: their expansion
// keeps quotes); WORKDIR, USER, VOLUME, STOPSIGNAL; EXPOSE ports (split into words); RUN's
// --mount values, the mounts parsed again and checked. RUN/CMD/ENTRYPOINT commands, SHELL,
// HEALTHCHECK, ONBUILD and MAINTAINER are not expanded (the shell does that). ARG is applied
// with StageScope::declare instead; FROM with expand_from(). Errors carry the location in `file`
// (the Dockerfile the instruction came from; only its name and source are used).
Result<Instruction> expand(const Instruction& instruction, const StageScope& scope, const Dockerfile& file);

// A FROM line resolved in the global scope: base name and platform expanded. Errors: an empty
// base name ("base name (${X}) should not be blank"), an empty platform, expansion errors.
Result<FromInstruction> expand_from(const FromInstruction& from, const Variables& globals, const Dockerfile& file);

}  // namespace hoist::dockerfile
