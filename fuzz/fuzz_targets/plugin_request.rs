//! Plugin request handling: any bytes on stdin give a response or a clean
//! error from each of the three plugins, never a caught panic; and the errors
//! plugin's shortcut (`nothing_to_do`, a scan of the undecoded request)
//! never skips a request the full path would generate files for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protoway_codegen::plugin::respond;

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts on every panic, even a caught one. The plugins
    // catch panics of prost-reflect's descriptor pool (0.16.5 panics on some
    // malformed descriptors) and answer an error, which is what this target
    // checks; an uncaught panic still unwinds into libFuzzer and aborts.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    for generate in [
        protoc_gen_rust_http::generate as protoway_codegen::plugin::Generator,
        protoc_gen_rust_errors::generate,
        protoc_gen_openapi::generate,
    ] {
        if let Ok(response) = respond(data, generate) {
            let error = response.error.unwrap_or_default();
            assert!(
                !error.contains("internal error"),
                "a generator panicked: {error}"
            );
        }
    }
    if let Ok(raw) =
        <protoway_codegen::request::RawCodeGeneratorRequest as prost::Message>::decode(data)
        && protoc_gen_rust_errors::nothing_to_do(&raw)
        && let Ok(response) = respond(data, protoc_gen_rust_errors::generate)
        && response.error.is_none()
    {
        assert!(response.file.is_empty(), "nothing_to_do skipped error enums");
    }
});
