//! The `axum` and `tonic` features: Error as an HTTP response and as a gRPC status.

use protoway::Error;
use protoway::status::GrpcCode;

#[cfg(feature = "axum")]
#[tokio::test]
async fn error_is_an_axum_response_with_wire_json() {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;

    let err = Error::not_found("USER_NOT_FOUND", "no user 7").with_metadata([("id", "7")]);
    let response = err.into_response();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &body[..],
        br#"{"code":404,"reason":"USER_NOT_FOUND","message":"no user 7","metadata":{"id":"7"}}"#
    );

    // A code that is no HTTP status still answers, as 500, with the JSON intact.
    for code in [0, 99, 1000] {
        let response = Error::new(code, "ODD", "odd code").into_response();
        assert_eq!(response.status(), 500, "code {code}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(Error::from_json(&body).unwrap().code(), code);
    }
}

#[cfg(feature = "tonic")]
#[test]
fn error_round_trips_through_tonic_status() {
    let err = Error::not_found("USER_NOT_FOUND", "no user 7").with_metadata([("id", "7")]);
    let status: tonic::Status = err.clone().into();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(status.message(), "no user 7");
    let back: Error = status.into();
    assert_eq!(back, err);
    assert_eq!(back.message(), "no user 7");
    assert_eq!(back.metadata()["id"], "7");
}

#[cfg(feature = "tonic")]
#[test]
fn plain_tonic_status_maps_by_kratos_table() {
    // No ErrorInfo: the reason is the code's name (a server drops an
    // ErrorInfo whose reason only repeats the code).
    let back = Error::from(tonic::Status::failed_precondition("not yet"));
    assert_eq!(
        (back.code(), back.reason(), back.message()),
        (412, "FAILED_PRECONDITION", "not yet")
    );
    assert_eq!(back.grpc_code(), GrpcCode::FailedPrecondition);
    // Garbage details are ignored, not fatal.
    let odd = tonic::Status::with_details(
        tonic::Code::Aborted,
        "x",
        bytes::Bytes::from_static(b"\xff\xff"),
    );
    assert_eq!(Error::from(odd).code(), 409);
}

#[test]
fn grpc_helpers() {
    assert_eq!(
        Error::from_grpc(GrpcCode::Unauthenticated, "R", "m").code(),
        401
    );
    assert_eq!(Error::conflict("R", "m").grpc_code(), GrpcCode::Aborted);
}
