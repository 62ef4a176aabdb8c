//! `google.rpc.ErrorInfo`: how an [`Error`](crate::Error)'s reason and metadata travel
//! on gRPC (a status detail, as kratos sends them) and on Connect (an
//! error detail).

/// Type URL of the detail in a gRPC status.
#[cfg(feature = "tonic")]
pub(crate) const TYPE_URL: &str = "type.googleapis.com/google.rpc.ErrorInfo";
/// Its type name in a Connect error's `details`.
pub(crate) const TYPE_NAME: &str = "google.rpc.ErrorInfo";

/// `google.rpc.ErrorInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ErrorInfo {
    #[prost(string, tag = "1")]
    pub(crate) reason: String,
    #[prost(string, tag = "2")]
    pub(crate) domain: String,
    #[prost(btree_map = "string, string", tag = "3")]
    pub(crate) metadata: std::collections::BTreeMap<String, String>,
}

impl ErrorInfo {
    #[cfg(any(feature = "server", feature = "tonic"))]
    pub(crate) fn of(error: &crate::Error) -> ErrorInfo {
        ErrorInfo {
            reason: error.reason().to_owned(),
            domain: String::new(),
            metadata: error.metadata().clone(),
        }
    }
}
