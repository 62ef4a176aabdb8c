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

/// Echoes every bound request back: the server both vector tests drive.
pub struct Echo;

use protoway::server::{Request, Response};

impl queryvectors::query_vectors_http::QueryVectors for Echo {
    async fn proto3(
        &self,
        r: Request<grpc::gateway::runtime::internal::examplepb::Proto3Message>,
    ) -> Result<Response<grpc::gateway::runtime::internal::examplepb::Proto3Message>, protoway::Error>
    {
        Ok(r.into_inner().into())
    }
    async fn proto2(
        &self,
        r: Request<grpc::gateway::runtime::internal::examplepb::Proto2Message>,
    ) -> Result<Response<grpc::gateway::runtime::internal::examplepb::Proto2Message>, protoway::Error>
    {
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
