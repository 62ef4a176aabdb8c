//! The library API as a client-only crate: prost messages, pbjson serde,
//! the service trait and `LibraryServiceClient`, compiled with protoway's
//! `client` feature alone (`cargo check -p client-only-it` proves it builds
//! without axum; CI runs that on its own, outside the workspace's unified
//! features).

pub mod library {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/library.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/library.v1.serde.rs"));
        include!(concat!(env!("OUT_DIR"), "/library.v1.http.rs"));
        include!(concat!(env!("OUT_DIR"), "/library.v1.errors.rs"));
    }
}
