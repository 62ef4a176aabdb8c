//! Plugin request handling: any bytes on stdin give a response or a clean
//! error from each of the three plugins, never a caught panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protoway_codegen::plugin::respond;

fuzz_target!(|data: &[u8]| {
    for generate in [
        protoc_gen_rust_http::generate as protoway_codegen::plugin::Generator,
        protoc_gen_rust_errors::generate,
        protoc_gen_openapi::generate,
    ] {
        if let Ok(response) = respond(data, generate) {
            let error = response.error.unwrap_or_default();
            assert!(!error.contains("internal error"), "{error}");
        }
    }
});
