//! protoway against its peers' own protos, goldens and vectors: the
//! conformance suite. Everything here needs the third-party corpus
//! (googleapis, gnostic's, grpc-gateway's and kratos' test protos and the
//! JSON vectors), so it is compiled only with feature `corpus`:
//!
//! ```sh
//! cargo conformance                     # = cargo test -p conformance --features corpus
//! PROTOWAY_CORPUS=/path/to/shared cargo conformance
//! ```
//!
//! [`corpus::dir`] says what is missing when the corpus is not there.

pub mod corpus;

/// Messages of grpc-gateway's and kratos' query-parameter tests, and the
/// generated `QueryVectors` server that echoes them.
#[cfg(feature = "corpus")]
pub mod vectors {
    pub mod grpc {
        pub mod gateway {
            pub mod runtime {
                pub mod internal {
                    pub mod examplepb {
                        include!(concat!(
                            env!("OUT_DIR"),
                            "/vectors/grpc.gateway.runtime.internal.examplepb.rs"
                        ));
                        include!(concat!(
                            env!("OUT_DIR"),
                            "/vectors/grpc.gateway.runtime.internal.examplepb.serde.rs"
                        ));
                    }
                }
            }
        }
    }

    pub mod testproto {
        include!(concat!(env!("OUT_DIR"), "/vectors/testproto.rs"));
        include!(concat!(env!("OUT_DIR"), "/vectors/testproto.serde.rs"));
    }

    pub mod binding {
        include!(concat!(env!("OUT_DIR"), "/vectors/binding.rs"));
        include!(concat!(env!("OUT_DIR"), "/vectors/binding.serde.rs"));
    }

    pub mod test {
        include!(concat!(env!("OUT_DIR"), "/vectors/test.rs"));
        include!(concat!(env!("OUT_DIR"), "/vectors/test.serde.rs"));
    }

    pub mod queryvectors {
        include!(concat!(env!("OUT_DIR"), "/vectors/queryvectors.http.rs"));
    }

    /// Echoes every bound request back: the server both vector tests drive.
    pub struct Echo;

    use protoway::server::{Request, Response};

    impl queryvectors::query_vectors_http::QueryVectors for Echo {
        async fn proto3(
            &self,
            r: Request<grpc::gateway::runtime::internal::examplepb::Proto3Message>,
        ) -> Result<
            Response<grpc::gateway::runtime::internal::examplepb::Proto3Message>,
            protoway::Error,
        > {
            Ok(r.into_inner().into())
        }
        async fn proto2(
            &self,
            r: Request<grpc::gateway::runtime::internal::examplepb::Proto2Message>,
        ) -> Result<
            Response<grpc::gateway::runtime::internal::examplepb::Proto2Message>,
            protoway::Error,
        > {
            Ok(r.into_inner().into())
        }
        async fn complex(
            &self,
            r: Request<testproto::Complex>,
        ) -> Result<Response<testproto::Complex>, protoway::Error> {
            Ok(r.into_inner().into())
        }
        async fn binding(
            &self,
            r: Request<binding::HelloRequest>,
        ) -> Result<Response<binding::HelloRequest>, protoway::Error> {
            Ok(r.into_inner().into())
        }
        async fn struct_pb(
            &self,
            r: Request<test::StructPb>,
        ) -> Result<Response<test::StructPb>, protoway::Error> {
            Ok(r.into_inner().into())
        }
    }
}

/// grpc-gateway's a_bit_of_everything messages and its generated server.
#[cfg(feature = "corpus")]
pub mod gateway {
    macro_rules! generated {
        ($($file:literal),*) => {
            $(include!(concat!(env!("OUT_DIR"), "/gateway/", $file));)*
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
}
