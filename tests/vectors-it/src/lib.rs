//! Messages of grpc-gateway's and kratos' query-parameter tests, and the
//! generated `QueryVectors` server that echoes them.

pub mod grpc {
    pub mod gateway {
        pub mod runtime {
            pub mod internal {
                pub mod examplepb {
                    include!(concat!(
                        env!("OUT_DIR"),
                        "/grpc.gateway.runtime.internal.examplepb.rs"
                    ));
                    include!(concat!(
                        env!("OUT_DIR"),
                        "/grpc.gateway.runtime.internal.examplepb.serde.rs"
                    ));
                }
            }
        }
    }
}

pub mod testproto {
    include!(concat!(env!("OUT_DIR"), "/testproto.rs"));
    include!(concat!(env!("OUT_DIR"), "/testproto.serde.rs"));
}

pub mod binding {
    include!(concat!(env!("OUT_DIR"), "/binding.rs"));
    include!(concat!(env!("OUT_DIR"), "/binding.serde.rs"));
}

pub mod test {
    include!(concat!(env!("OUT_DIR"), "/test.rs"));
    include!(concat!(env!("OUT_DIR"), "/test.serde.rs"));
}

pub mod queryvectors {
    include!(concat!(env!("OUT_DIR"), "/queryvectors.http.rs"));
}
