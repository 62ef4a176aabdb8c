//! The generated helpers at run time: codes, reasons, `is_*`/`error_*`, the
//! enum methods, `From`, and the wire JSON of what they produce.

use errors_it::helloworld::v1::{self as hw, ErrorReason};
use errors_it::testdata::{mixed, nested};
use protoway::Error;

#[test]
fn error_helpers_build_kratos_errors() {
    let err = hw::error_user_not_found(format!("user {} not found", 42));
    assert_eq!(err.code(), 404);
    assert_eq!(err.reason(), "USER_NOT_FOUND");
    assert_eq!(err.message(), "user 42 not found");
    assert!(hw::is_user_not_found(&err));
    assert!(!hw::is_name_taken(&err));
    assert!(err.is_not_found());
}

#[test]
fn is_checks_code_and_reason_like_kratos() {
    // Same reason, other code: not the same error (kratos IsUserNotFound checks both).
    let other_code = Error::new(400, "USER_NOT_FOUND", "x");
    assert!(!hw::is_user_not_found(&other_code));
    let other_reason = Error::not_found("NAME_TAKEN", "x");
    assert!(!hw::is_user_not_found(&other_reason));
    assert!(hw::is_user_not_found(&Error::not_found(
        "USER_NOT_FOUND",
        "any message"
    )));
}

#[test]
fn enum_methods() {
    assert_eq!(ErrorReason::UserNotFound.code(), 404);
    assert_eq!(ErrorReason::NameTaken.code(), 409);
    // default_code covers values without their own code.
    assert_eq!(ErrorReason::GreeterUnspecified.code(), 500);
    assert_eq!(ErrorReason::UserNotFound.reason(), "USER_NOT_FOUND");
    let err = ErrorReason::NameTaken.error("taken");
    assert!(hw::is_name_taken(&err));
    assert!(ErrorReason::NameTaken.is(&err));
    assert!(!ErrorReason::UserNotFound.is(&err));
    let from: Error = ErrorReason::ContentMissing.into();
    assert_eq!((from.code(), from.reason()), (400, "CONTENT_MISSING"));
}

#[test]
fn wire_json_round_trip() {
    let err = hw::error_user_not_found("no such user").with_metadata([("user", "42")]);
    let json = err.to_json();
    assert_eq!(
        std::str::from_utf8(&json).unwrap(),
        r#"{"code":404,"reason":"USER_NOT_FOUND","message":"no such user","metadata":{"user":"42"}}"#
    );
    let back = Error::from_json(&json).unwrap();
    assert!(hw::is_user_not_found(&back));
    assert_eq!(back.metadata()["user"], "42");
    // And through serde_json::Value, as another service would.
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["code"], 404);
}

#[test]
fn nested_enums_get_prefixed_helpers() {
    let err = nested::error_order_not_found("order 7");
    assert_eq!((err.code(), err.reason()), (404, "NOT_FOUND"));
    assert!(nested::is_order_not_found(&err));
    // The top-level PaymentReason.NOT_FOUND shares the reason string and code,
    // so kratos semantics say these are the same error.
    assert!(nested::is_not_found(&err));
    assert!(nested::order::Reason::NotFound.is(&err));
    assert_eq!(nested::order::Reason::OutOfStock.code(), 409);
    assert_eq!(nested::order::line::Reason::QuantityTooLarge.code(), 400);
    assert_eq!(
        nested::order::line::Reason::LineReasonUnspecified.code(),
        500
    );
    assert!(nested::is_order_line_quantity_too_large(
        &nested::order::line::Reason::QuantityTooLarge.into()
    ));
}

#[test]
fn uncoded_values_keyword_names_and_aliases() {
    use mixed::AccountError;
    // No code, no default: the enum still answers, with 500.
    assert_eq!(AccountError::Unspecified.code(), 500);
    assert_eq!(AccountError::NoCode.code(), 500);
    // Keyword-named values.
    assert!(mixed::is_type(&mixed::error_type("t")));
    assert!(mixed::is_self(&AccountError::Self_.error("s")));
    assert!(mixed::is_async(&AccountError::Async.into()));
    // Aliases: prost keeps LOCKED as the variant; BLOCKED has its own helpers.
    assert_eq!(AccountError::Locked.code(), 423);
    assert_eq!(mixed::error_blocked("b").code(), 403);
    assert!(!mixed::is_locked(&mixed::error_blocked("b")));
}

#[test]
#[allow(deprecated)]
fn deprecated_helpers_still_work() {
    assert!(mixed::is_frozen(&mixed::error_frozen("f")));
    assert_eq!(mixed::LegacyError::LegacyDown.code(), 503);
    assert!(mixed::is_legacy_down(
        &mixed::LegacyError::LegacyDown.into()
    ));
}

#[test]
fn generated_errors_map_to_grpc() {
    let status: tonic_status::Status = hw::error_user_not_found("gone").into();
    assert_eq!(status.code(), tonic_status::Code::NotFound);
    let back = Error::from(status);
    assert!(hw::is_user_not_found(&back));
}

/// tonic comes in through protoway's `tonic` feature.
mod tonic_status {
    pub use protoway_tonic::{Code, Status};
    extern crate tonic as protoway_tonic;
}
