#include "src/build/builder.hpp"

#include <catch2/catch.hpp>

using hoist::Errc;
using hoist::build::Output;

namespace {

std::string error(std::string_view text) {
    auto parsed = Output::parse(text);
    INFO(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code() == Errc::invalid_argument);
    return parsed.error().what();
}

}  // namespace

TEST_CASE("Output::parse reads docker's --output forms", "[build]") {
    auto oci = Output::parse("type=oci,dest=out/layout");
    REQUIRE(oci);
    CHECK(oci->kind == Output::Kind::oci);
    CHECK(oci->dest == "out/layout");
    auto archive = Output::parse("dest=image.tar,type=oci-archive");
    REQUIRE(archive);
    CHECK(archive->kind == Output::Kind::oci_archive);
    CHECK(archive->dest == "image.tar");
    auto docker = Output::parse("type=docker,dest=app.tar");
    REQUIRE(docker);
    CHECK(docker->kind == Output::Kind::docker);
    auto registry = Output::parse("type=registry");
    REQUIRE(registry);
    CHECK(registry->kind == Output::Kind::registry);
    CHECK(registry->dest.empty());
}

TEST_CASE("Output::parse names what is wrong", "[build]") {
    CHECK(error("type=tar,dest=x") == "--output: type must be oci, docker, oci-archive or registry, not \"tar\"");
    CHECK(error("dest=x") == "--output: type must be oci, docker, oci-archive or registry, not \"\"");
    CHECK(error("type=oci") == "--output: type=oci needs dest=");
    CHECK(error("type=oci,dest=x,compression=zstd") == "--output: unknown field compression=zstd");
}
