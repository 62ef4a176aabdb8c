//! kratos-layout's greeter: `GET /helloworld/{name}` greets known users and
//! answers `USER_NOT_FOUND` (404, kratos error JSON) for anyone else.
//!
//! The HTTP route is written by hand for now; protoc-gen-rust-http will
//! generate it from the `google.api.http` rule in greeter.proto.

pub mod pb {
    pub mod helloworld {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.errors.rs"));
        }
    }
}

use axum::Json;
use axum::extract::Path;
use axum::routing::get;
use pb::helloworld::v1::{self as v1, HelloReply, HelloRequest};

/// Users the greeter knows.
pub const KNOWN_USERS: &[&str] = &["kratos", "protoway", "world"];

/// The business logic: a reply, or a typed error from the errors enum.
pub fn say_hello(request: HelloRequest) -> Result<HelloReply, protoway::Error> {
    if KNOWN_USERS.contains(&request.name.as_str()) {
        Ok(HelloReply {
            message: format!("Hello {}", request.name),
        })
    } else {
        Err(v1::error_user_not_found(format!(
            "user not found: {}",
            request.name
        )))
    }
}

/// The HTTP service.
pub fn app() -> axum::Router {
    axum::Router::new().route(
        "/helloworld/{name}",
        get(|Path(name): Path<String>| async move {
            say_hello(HelloRequest { name })
                .map(|reply| Json(serde_json::json!({ "message": reply.message })))
        }),
    )
}
