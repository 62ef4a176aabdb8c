//! Generates prost, pbjson and HTTP code for the query-vector protos, read
//! in place from ../shared/conformance (nothing is copied into the repo).

fn main() {
    protoway_build::configure()
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
                "../../testdata/http",
                "../../../shared/conformance/grpc-gateway",
                "../../../shared/conformance/kratos",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
