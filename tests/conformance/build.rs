//! With feature `corpus`: generates prost, pbjson and HTTP code for the
//! peers' protos, read in place from the corpus (nothing is copied into the
//! repository). Without it: nothing.

#[path = "src/corpus.rs"]
mod corpus;

fn main() {
    println!("cargo:rerun-if-env-changed={}", corpus::VARIABLE);
    if std::env::var_os("CARGO_FEATURE_CORPUS").is_none() {
        return;
    }
    let corpus = corpus::dir().unwrap_or_else(|missing| panic!("{missing}"));
    let corpus = corpus.display();
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    // The query-vector protos of grpc-gateway and kratos, behind our own
    // echo service (testdata/http/vectors/query_vectors.proto).
    protoway_build::configure()
        .out_dir(out.join("vectors"))
        .compile(
            &[
                "vectors/query_vectors.proto",
                "runtime/internal/examplepb/proto3.proto",
                "runtime/internal/examplepb/proto2.proto",
                "internal/testdata/complex/complex.proto",
                "internal/testdata/encoding/test.proto",
                "internal/testdata/binding/test.proto",
            ],
            &[
                "../../testdata/http".to_owned(),
                format!("{corpus}/conformance/grpc-gateway"),
                format!("{corpus}/conformance/kratos"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    // grpc-gateway's hardest example: nested body fields, repeated path
    // fields, additional bindings, custom verbs. Unimplemented methods
    // answer 501 (`default_stubs`).
    protoway_build::configure()
        .out_dir(out.join("gateway"))
        .default_stubs(true)
        .compile(
            &[
                "examples/internal/proto/examplepb/a_bit_of_everything.proto",
                "examples/internal/proto/sub/message.proto",
                "examples/internal/proto/sub2/message.proto",
                "examples/internal/proto/pathenum/path_enum.proto",
                "examples/internal/proto/oneofenum/oneof_enum.proto",
                "google/rpc/status.proto",
            ],
            &[
                format!("{corpus}/conformance/grpc-gateway"),
                format!("{corpus}/third_party/googleapis"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
