//! The library example's service, built from the code `buf generate` (or the
//! README's protoc line) wrote into `src/gen`: prost messages and serde from
//! neoeinstein's protoc-gen-prost and protoc-gen-prost-serde, HTTP server and
//! client, errors and the OpenAPI document from protoway's plugins. protoway's
//! plugins run with `emit=include`, so prost's file includes everything and
//! one `include!` per package is all a crate writes.

pub mod pb {
    pub mod library {
        pub mod v1 {
            include!("gen/library/v1/library.v1.rs");
        }
    }
    /// A directory with plain messages only: buf runs every plugin on it,
    /// protoway's answer with nothing.
    pub mod shelfmark {
        pub mod v1 {
            include!("gen/shelfmark/v1/shelfmark.v1.rs");
        }
    }
}

// The same business logic as the build.rs example, over this crate's `pb`.
#[path = "../../library/src/service.rs"]
mod service;

pub use service::Library;

/// The OpenAPI document protoc-gen-openapi wrote.
pub const OPENAPI_YAML: &str = include_str!("gen/openapi.yaml");

/// The router serving [`Library`], and its OpenAPI document at
/// `GET /openapi.yaml`.
pub fn app() -> axum::Router {
    pb::library::v1::library_service_http::router(Library::default()).route(
        "/openapi.yaml",
        axum::routing::get(|| async { ([("content-type", "application/yaml")], OPENAPI_YAML) }),
    )
}
