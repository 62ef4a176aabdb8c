//! Feature `tonic`: [`Error`] ⇄ `tonic::Status`, carrying reason and metadata in a
//! `google.rpc.ErrorInfo` detail as kratos does, so gRPC peers see them too.

use prost::Message;

use crate::Error;
use crate::error_info;
use crate::status::GrpcCode;

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

impl Error {
    /// The gRPC status: code per kratos' table, message, and an ErrorInfo detail.
    pub fn to_status(&self) -> tonic::Status {
        let code = self.grpc_code();
        let details = RpcStatus {
            code: code as i32,
            message: self.message().to_owned(),
            details: error_info::details_of(self)
                .into_iter()
                .map(|d| prost_types::Any {
                    type_url: d.type_url,
                    value: d.value,
                })
                .collect(),
        };
        let mut status = tonic::Status::with_details(
            tonic::Code::from_i32(code as i32),
            self.message().to_owned(),
            bytes::Bytes::from(details.encode_to_vec()),
        );
        // The error's headers and trailers: a status is one metadata map
        // (a trailers-only reply sends it once). `grpc-*` names are gRPC's.
        for (name, value) in self.headers().iter().chain(self.trailers()) {
            if !name.as_str().starts_with("grpc-") && name != http::header::CONTENT_TYPE {
                status.metadata_mut().as_mut().append(name, value.clone());
            }
        }
        status
    }

    /// An error from a gRPC status: HTTP code per kratos' table; reason and
    /// metadata from an ErrorInfo detail when there is one.
    pub fn from_status(status: &tonic::Status) -> Error {
        let code = GrpcCode::from_i32(status.code() as i32);
        let err = Error::from_grpc(code, "", status.message().to_owned());
        let details = RpcStatus::decode(status.details()).unwrap_or_default();
        let details = details.details.into_iter().map(|any| crate::ErrorDetail {
            type_url: any.type_url,
            value: any.value,
        });
        error_info::with_details(err, details)
    }
}

impl From<Error> for tonic::Status {
    fn from(err: Error) -> tonic::Status {
        err.to_status()
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Error {
        Error::from_status(&status)
    }
}
