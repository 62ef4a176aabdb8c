//! HTTP status ⇄ gRPC code mapping, following kratos' `transport/http/status`.
//!
//! The two directions are not inverses: several gRPC codes share an HTTP
//! status (ALREADY_EXISTS and ABORTED are both 409), and an HTTP status with
//! no gRPC counterpart maps to UNKNOWN.

/// gRPC status codes (`google.rpc.Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum GrpcCode {
    /// `OK`.
    Ok = 0,
    /// `CANCELLED` (HTTP 499).
    Cancelled = 1,
    /// `UNKNOWN` (500).
    Unknown = 2,
    /// `INVALID_ARGUMENT` (400).
    InvalidArgument = 3,
    /// `DEADLINE_EXCEEDED` (504).
    DeadlineExceeded = 4,
    /// `NOT_FOUND` (404).
    NotFound = 5,
    /// `ALREADY_EXISTS` (409).
    AlreadyExists = 6,
    /// `PERMISSION_DENIED` (403).
    PermissionDenied = 7,
    /// `RESOURCE_EXHAUSTED` (429).
    ResourceExhausted = 8,
    /// `FAILED_PRECONDITION` (400).
    FailedPrecondition = 9,
    /// `ABORTED` (409).
    Aborted = 10,
    /// `OUT_OF_RANGE` (400).
    OutOfRange = 11,
    /// `UNIMPLEMENTED` (501).
    Unimplemented = 12,
    /// `INTERNAL` (500).
    Internal = 13,
    /// `UNAVAILABLE` (503).
    Unavailable = 14,
    /// `DATA_LOSS` (500).
    DataLoss = 15,
    /// `UNAUTHENTICATED` (401).
    Unauthenticated = 16,
}

impl GrpcCode {
    /// The code Connect calls `name` (`not_found`); `None` for others.
    pub fn from_connect_name(name: &str) -> Option<GrpcCode> {
        (1..=16)
            .map(GrpcCode::from_i32)
            .find(|code| code.connect_name() == name)
    }

    /// Connect's name for a gRPC code.
    pub fn connect_name(self) -> &'static str {
        use GrpcCode::*;
        match self {
            Ok => "unknown",
            Cancelled => "canceled",
            Unknown => "unknown",
            InvalidArgument => "invalid_argument",
            DeadlineExceeded => "deadline_exceeded",
            NotFound => "not_found",
            AlreadyExists => "already_exists",
            PermissionDenied => "permission_denied",
            ResourceExhausted => "resource_exhausted",
            FailedPrecondition => "failed_precondition",
            Aborted => "aborted",
            OutOfRange => "out_of_range",
            Unimplemented => "unimplemented",
            Internal => "internal",
            Unavailable => "unavailable",
            DataLoss => "data_loss",
            Unauthenticated => "unauthenticated",
        }
    }

    /// The HTTP status Connect sends for a gRPC code.
    pub fn connect_http_status(self) -> u16 {
        use GrpcCode::*;
        match self {
            Cancelled => 499,
            InvalidArgument | FailedPrecondition | OutOfRange => 400,
            DeadlineExceeded => 504,
            NotFound => 404,
            AlreadyExists | Aborted => 409,
            PermissionDenied => 403,
            ResourceExhausted => 429,
            Unimplemented => 501,
            Unavailable => 503,
            Unauthenticated => 401,
            Ok | Unknown | Internal | DataLoss => 500,
        }
    }

    /// The code for its number; unknown numbers are [`GrpcCode::Unknown`].
    pub fn from_i32(number: i32) -> GrpcCode {
        use GrpcCode::*;
        match number {
            0 => Ok,
            1 => Cancelled,
            3 => InvalidArgument,
            4 => DeadlineExceeded,
            5 => NotFound,
            6 => AlreadyExists,
            7 => PermissionDenied,
            8 => ResourceExhausted,
            9 => FailedPrecondition,
            10 => Aborted,
            11 => OutOfRange,
            12 => Unimplemented,
            13 => Internal,
            14 => Unavailable,
            15 => DataLoss,
            16 => Unauthenticated,
            _ => Unknown,
        }
    }

    /// The canonical upper-snake name (`NOT_FOUND`).
    pub fn name(self) -> &'static str {
        use GrpcCode::*;
        match self {
            Ok => "OK",
            Cancelled => "CANCELLED",
            Unknown => "UNKNOWN",
            InvalidArgument => "INVALID_ARGUMENT",
            DeadlineExceeded => "DEADLINE_EXCEEDED",
            NotFound => "NOT_FOUND",
            AlreadyExists => "ALREADY_EXISTS",
            PermissionDenied => "PERMISSION_DENIED",
            ResourceExhausted => "RESOURCE_EXHAUSTED",
            FailedPrecondition => "FAILED_PRECONDITION",
            Aborted => "ABORTED",
            OutOfRange => "OUT_OF_RANGE",
            Unimplemented => "UNIMPLEMENTED",
            Internal => "INTERNAL",
            Unavailable => "UNAVAILABLE",
            DataLoss => "DATA_LOSS",
            Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

/// The gRPC code for an HTTP status (kratos `ToGRPCCode`).
pub fn grpc_code_from_http(status: u16) -> GrpcCode {
    use GrpcCode::*;
    match status {
        200 => Ok,
        400 => InvalidArgument,
        401 => Unauthenticated,
        403 => PermissionDenied,
        404 => NotFound,
        409 => Aborted,
        412 => FailedPrecondition,
        429 => ResourceExhausted,
        499 => Cancelled,
        500 => Internal,
        501 => Unimplemented,
        503 => Unavailable,
        504 => DeadlineExceeded,
        _ => Unknown,
    }
}

/// The HTTP status for a gRPC code (kratos `FromGRPCCode`).
pub fn http_from_grpc_code(code: GrpcCode) -> u16 {
    use GrpcCode::*;
    match code {
        Ok => 200,
        Cancelled => 499,
        Unknown => 500,
        InvalidArgument => 400,
        DeadlineExceeded => 504,
        NotFound => 404,
        AlreadyExists => 409,
        PermissionDenied => 403,
        Unauthenticated => 401,
        ResourceExhausted => 429,
        FailedPrecondition => 412,
        Aborted => 409,
        OutOfRange => 400,
        Unimplemented => 501,
        Internal => 500,
        Unavailable => 503,
        DataLoss => 500,
    }
}
