//! kratos-layout's greeter: `GET /helloworld/{name}` greets known users and
//! answers `USER_NOT_FOUND` (404, kratos error JSON) for anyone else. The
//! route, binding and trait come from protoc-gen-rust-http; this file holds
//! only the business logic.

pub mod pb {
    pub mod helloworld {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.serde.rs"));
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.http.rs"));
            include!(concat!(env!("OUT_DIR"), "/helloworld.v1.errors.rs"));
        }
    }
}

use pb::helloworld::v1::greeter_http;
use pb::helloworld::v1::{self as v1, HelloReply, HelloRequest};
use protoway::server::{Request, Response};

/// Users the greeter knows.
pub const KNOWN_USERS: &[&str] = &["kratos", "protoway", "world"];

/// The greeter service.
#[derive(Debug, Clone, Default)]
pub struct Greeter;

impl greeter_http::Greeter for Greeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, protoway::Error> {
        say_hello(request.into_inner()).map(Response::new)
    }
}

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
    greeter_http::router(Greeter)
}
