#include "oci/media_type.hpp"

#include <array>

namespace hoist::oci::media_type {
namespace {

struct LayerType {
    std::string_view type;
    Compression compression;
    bool non_distributable;
};

constexpr std::array k_layers{
    LayerType{oci_layer, Compression::none, false},
    LayerType{oci_layer_gzip, Compression::gzip, false},
    LayerType{oci_layer_zstd, Compression::zstd, false},
    LayerType{oci_layer_nondistributable, Compression::none, true},
    LayerType{oci_layer_nondistributable_gzip, Compression::gzip, true},
    LayerType{oci_layer_nondistributable_zstd, Compression::zstd, true},
    LayerType{docker_layer, Compression::none, false},
    LayerType{docker_layer_gzip, Compression::gzip, false},
    LayerType{docker_layer_zstd, Compression::zstd, false},
    LayerType{docker_foreign_layer_gzip, Compression::gzip, true},
};

const LayerType* find_layer(std::string_view type) {
    for (const auto& layer : k_layers) {
        if (layer.type == type) {
            return &layer;
        }
    }
    return nullptr;
}

}  // namespace

bool is_manifest(std::string_view type) {
    return type == oci_manifest || type == docker_manifest;
}

bool is_index(std::string_view type) {
    return type == oci_index || type == docker_manifest_list;
}

bool is_config(std::string_view type) {
    return type == oci_config || type == docker_config;
}

bool is_layer(std::string_view type) {
    return find_layer(type) != nullptr;
}

bool is_non_distributable(std::string_view type) {
    const LayerType* layer = find_layer(type);
    return layer != nullptr && layer->non_distributable;
}

std::optional<Compression> layer_compression(std::string_view type) {
    const LayerType* layer = find_layer(type);
    return layer != nullptr ? std::optional(layer->compression) : std::nullopt;
}

std::string_view oci_layer_type(Compression compression) {
    switch (compression) {
        case Compression::gzip:
            return oci_layer_gzip;
        case Compression::zstd:
            return oci_layer_zstd;
        case Compression::none:
            break;
    }
    return oci_layer;
}

}  // namespace hoist::oci::media_type
