//! `google.rpc.ErrorInfo`: how an [`Error`](crate::Error)'s reason and metadata travel
//! on gRPC (a status detail, as kratos sends them) and on Connect (an
//! error detail).

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

/// What a gRPC status or a Connect error carries as details: the
/// ErrorInfo (when there is a reason or metadata to carry), then the
/// error's own details.
#[cfg(any(feature = "server", feature = "tonic"))]
pub(crate) fn details_of(error: &crate::Error) -> Vec<crate::ErrorDetail> {
    // A reason that only repeats the code (`UNIMPLEMENTED`) says nothing.
    let reason = error.reason();
    let has_info =
        !error.metadata().is_empty() || !(reason.is_empty() || reason == error.grpc_code().name());
    let info = has_info.then(|| crate::ErrorDetail {
        type_url: TYPE_URL_PREFIX.to_owned() + TYPE_NAME,
        value: prost::Message::encode_to_vec(&ErrorInfo::of(error)),
    });
    info.into_iter()
        .chain(error.details().iter().cloned())
        .collect()
}

/// `error` (made from a gRPC code and message) with what `details` carry:
/// reason and metadata from an ErrorInfo, the rest as its details (what
/// the client and the gRPC side read).
#[cfg(any(feature = "client", feature = "tonic"))]
pub(crate) fn with_details(
    mut error: crate::Error,
    details: impl IntoIterator<Item = crate::ErrorDetail>,
) -> crate::Error {
    for detail in details {
        if detail.type_url.strip_prefix(TYPE_URL_PREFIX) == Some(TYPE_NAME)
            && error.reason().is_empty()
            && let Ok(info) = <ErrorInfo as prost::Message>::decode(detail.value.as_slice())
        {
            error = error.with_reason(info.reason).with_metadata(info.metadata);
        } else {
            error = error.with_detail(detail.type_url, detail.value);
        }
    }
    // No ErrorInfo: the reason was the code's name (see `details_of`).
    if error.reason().is_empty() {
        let name = error.grpc_code().name();
        error = error.with_reason(name);
    }
    error
}

/// The prefix of a `google.protobuf.Any` type URL.
pub(crate) const TYPE_URL_PREFIX: &str = "type.googleapis.com/";
