//! Generates code for grpc-gateway's a_bit_of_everything.proto (its hardest
//! example: nested body fields, repeated path fields, additional bindings,
//! custom verbs), read in place from ../shared/conformance/grpc-gateway.
//! Unimplemented methods answer 501 (`default_stubs`).

fn main() {
    protoway_build::configure()
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
                "../../../shared/conformance/grpc-gateway",
                "../../../shared/third_party/googleapis",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
