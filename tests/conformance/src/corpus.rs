//! Where the third-party corpus is: `$PROTOWAY_CORPUS`, else `../shared`
//! beside the workspace. Shared by the build script and the tests.

use std::path::PathBuf;

/// The environment variable naming the corpus directory.
pub const VARIABLE: &str = "PROTOWAY_CORPUS";

/// What the corpus must hold, relative to its root.
pub const CONTENTS: &[&str] = &[
    "third_party/googleapis/google/api/http.proto",
    "conformance/gnostic/openapiv3/OpenAPIv3.proto",
    "conformance/grpc-gateway/examples/internal/proto/examplepb/a_bit_of_everything.proto",
    "conformance/kratos/internal/testdata/helloworld/helloworld.proto",
    "conformance/kratos-layout/api/helloworld/v1/greeter.proto",
    "conformance/vectors/query_params.json",
];

/// The corpus directory, or a message saying what is missing and how to
/// point at it.
pub fn dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os(VARIABLE).filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    };
    let missing: Vec<&str> = CONTENTS
        .iter()
        .copied()
        .filter(|file| !dir.join(file).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(dir);
    }
    Err(format!(
        "the conformance corpus is incomplete at {} (set {VARIABLE} to the directory holding \
         third_party/googleapis and conformance/{{gnostic,grpc-gateway,kratos,kratos-layout,vectors}}); \
         missing: {}",
        dir.display(),
        missing.join(", ")
    ))
}
