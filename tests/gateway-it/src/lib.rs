//! grpc-gateway's a_bit_of_everything messages and its generated server.

macro_rules! generated {
    ($($file:literal),*) => {
        $(include!(concat!(env!("OUT_DIR"), "/", $file));)*
    };
}

pub mod grpc {
    pub mod gateway {
        pub mod examples {
            pub mod internal {
                pub mod proto {
                    pub mod examplepb {
                        generated!(
                            "grpc.gateway.examples.internal.proto.examplepb.rs",
                            "grpc.gateway.examples.internal.proto.examplepb.serde.rs",
                            "grpc.gateway.examples.internal.proto.examplepb.http.rs"
                        );
                    }
                    pub mod sub {
                        generated!(
                            "grpc.gateway.examples.internal.proto.sub.rs",
                            "grpc.gateway.examples.internal.proto.sub.serde.rs"
                        );
                    }
                    pub mod sub2 {
                        generated!(
                            "grpc.gateway.examples.internal.proto.sub2.rs",
                            "grpc.gateway.examples.internal.proto.sub2.serde.rs"
                        );
                    }
                    pub mod oneofenum {
                        generated!(
                            "grpc.gateway.examples.internal.proto.oneofenum.rs",
                            "grpc.gateway.examples.internal.proto.oneofenum.serde.rs"
                        );
                    }
                }
                pub mod pathenum {
                    generated!(
                        "grpc.gateway.examples.internal.pathenum.rs",
                        "grpc.gateway.examples.internal.pathenum.serde.rs"
                    );
                }
            }
        }
    }
}

pub mod google {
    pub mod rpc {
        generated!("google.rpc.rs", "google.rpc.serde.rs");
    }
}
