// libFuzzer target: a layer blob (a tar, compressed or not; the format is detected) applied onto
// an empty root by the layer applier, as a hostile image would have it. Whatever the input, the
// applier writes nothing outside the root: the root's parent holds nothing but the root
// afterwards. Limits keep one input small (4 MiB of files, 2,000 entries). Errors are fine;
// crashes, sanitizer reports and an escape are not.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string_view>

#include "oci/layer_applier.hpp"
#include "oci/stream.hpp"

namespace fs = std::filesystem;
using namespace hoist;

namespace {

class BytesReader final : public oci::Reader {
public:
    explicit BytesReader(std::string_view bytes) : m_bytes(bytes) {}
    Result<std::size_t> read(std::span<char> buffer) override {
        auto n = std::min(buffer.size(), m_bytes.size());
        std::copy_n(m_bytes.data(), n, buffer.data());
        m_bytes.remove_prefix(n);
        return n;
    }

private:
    std::string_view m_bytes;
};

// Removes `path` whatever modes the layer left on it.
void remove_tree(const fs::path& path) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
    }
    fs::remove_all(path, ec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fs::path scratch = [] {
        auto dir = fs::temp_directory_path() / ("hoist-applier-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        return dir;
    }();
    auto parent = scratch / "parent";
    auto root = parent / "root";
    remove_tree(parent);
    fs::create_directories(root);

    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    BytesReader reader(bytes);
    oci::Descriptor layer{.media_type = "application/vnd.oci.image.layer.v1.tar",
                          .digest = oci::Digest::of(bytes),
                          .size = static_cast<std::int64_t>(size)};
    oci::ApplyOptions options{.rootless = ::geteuid() != 0, .max_bytes = 4u << 20, .max_entries = 2000};
    (void)oci::apply_layer(root, reader, layer, options);

    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
        if (entry.path() != root) {
            std::abort();
        }
    }
    remove_tree(parent);
    return 0;
}
