#include "oci/copy.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "oci/index.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {
namespace {

// What a copy writes, in order: every blob (in any order), then the manifests children first.
struct Plan {
    struct Blob {
        Descriptor descriptor;
        std::string context;  // "manifest <index>: manifest <manifest>" that reach it, for messages
    };
    std::vector<Blob> blobs;
    std::set<Digest> planned;
    std::vector<std::pair<Descriptor, std::string>> manifests;
};

Result<void> plan_node(ImageSource& source, const Descriptor& node, Plan& plan, const std::string& outer) {
    auto what = "manifest " + node.digest.to_string();
    auto context = outer.empty() ? what : outer + ": " + what;
    if (media_type::is_index(node.media_type)) {
        auto bytes = HOIST_TRY(in_context(source.read_blob(node), context));
        auto index = HOIST_TRY(in_context(Index::parse(bytes), context));
        for (const auto& child : index.manifests) {
            HOIST_TRY(plan_node(source, child, plan, context));
        }
        plan.manifests.emplace_back(node, std::move(bytes));
        return {};
    }
    if (media_type::is_manifest(node.media_type)) {
        auto bytes = HOIST_TRY(in_context(source.read_blob(node), context));
        auto manifest = HOIST_TRY(in_context(Manifest::parse(bytes), context));
        for (const auto* blob : {&manifest.config}) {
            if (plan.planned.insert(blob->digest).second) {
                plan.blobs.push_back({*blob, context});
            }
        }
        for (const auto& layer : manifest.layers) {
            if (plan.planned.insert(layer.digest).second) {
                plan.blobs.push_back({layer, context});
            }
        }
        plan.manifests.emplace_back(node, std::move(bytes));
        return {};
    }
    if (plan.planned.insert(node.digest).second) {
        plan.blobs.push_back({node, {}});
    }
    return {};
}

// Counts the bytes read through it for the observer.
class ObservedReader final : public Reader {
public:
    ObservedReader(std::unique_ptr<Reader> inner, const Descriptor& blob, CopyObserver& observer)
        : m_inner(std::move(inner)), m_blob(blob), m_observer(observer) {}
    Result<std::size_t> read(std::span<char> buffer) override {
        auto n = HOIST_TRY(m_inner->read(buffer));
        m_bytes += n;
        m_observer.blob_progress(m_blob, m_bytes);
        return n;
    }

private:
    std::unique_ptr<Reader> m_inner;
    const Descriptor& m_blob;
    CopyObserver& m_observer;
    std::uint64_t m_bytes = 0;
};

Result<void> copy_blob(ImageSource& source, const Descriptor& blob, ImageSink& sink, CopyObserver& observer) {
    if (HOIST_TRY(sink.has_blob(blob))) {
        observer.blob_finished(blob, CopyObserver::Outcome::present);
        return {};
    }
    if (HOIST_TRY(sink.mount_blob(blob, source))) {
        observer.blob_finished(blob, CopyObserver::Outcome::mounted);
        return {};
    }
    observer.blob_started(blob);
    HOIST_TRY(sink.put_blob(blob, [&]() -> Result<std::unique_ptr<Reader>> {
        auto content = HOIST_TRY(sink.checks_digests() ? source.open_blob_unchecked(blob) : source.open_blob(blob));
        return std::make_unique<ObservedReader>(std::move(content), blob, observer);
    }));
    observer.blob_finished(blob, CopyObserver::Outcome::copied);
    return {};
}

// Runs copy_blob over the plan's blobs on `jobs` threads; the first error stops the rest.
Result<void> copy_blobs(ImageSource& source, const Plan& plan, ImageSink& sink, const CopyOptions& options) {
    CopyObserver silent;
    auto& observer = options.observer != nullptr ? *options.observer : silent;
    std::atomic<std::size_t> next = 0;
    std::mutex mutex;
    std::optional<Error> first_error;
    auto work = [&] {
        for (;;) {
            auto i = next.fetch_add(1);
            if (i >= plan.blobs.size()) {
                return;
            }
            const auto& [blob, context] = plan.blobs[i];
            auto copied = copy_blob(source, blob, sink, observer);
            if (!copied && !context.empty()) {
                copied = in_context(std::move(copied), context);
            }
            if (!copied) {
                std::lock_guard lock(mutex);
                if (!first_error) {
                    first_error = std::move(copied).error();
                }
                next = plan.blobs.size();
                return;
            }
        }
    };
    auto jobs = std::clamp<std::size_t>(options.jobs, 1, std::max<std::size_t>(plan.blobs.size(), 1));
    {
        std::vector<std::jthread> workers;
        for (std::size_t i = 1; i < jobs; ++i) {
            workers.emplace_back(work);
        }
        work();
    }
    if (first_error) {
        return std::unexpected(std::move(*first_error));
    }
    return {};
}

}  // namespace

Result<void> copy_image(ImageSource& source, const Descriptor& root, ImageSink& sink, const CopyOptions& options) {
    Plan plan;
    HOIST_TRY(plan_node(source, root, plan, {}));
    HOIST_TRY(copy_blobs(source, plan, sink, options));
    for (const auto& [manifest, bytes] : plan.manifests) {
        HOIST_TRY(in_context(sink.put_manifest(manifest, bytes), "manifest " + manifest.digest.to_string()));
        if (options.observer != nullptr) {
            options.observer->manifest_written(manifest);
        }
    }
    return {};
}

}  // namespace hoist::oci
