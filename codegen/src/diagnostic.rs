//! Generation problems that point at the proto source:
//! `file:line:col: element: problem`.
//!
//! A [`Diagnostic`] is where ([`Diagnostic::file`], position, element) plus
//! what ([`Problem`]): a typed value tests and tools can match on, whose
//! `Display` is the sentence protoc prints.

use std::fmt;

use protoway::path::ParseError;

/// A problem found while generating, reported to the user through
/// `CodeGeneratorResponse.error` (or on stderr, for a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The proto file, as protoc names it (`helloworld/v1/error_reason.proto`).
    pub file: String,
    /// 1-based line and column, when `source_code_info` has them.
    pub position: Option<(u32, u32)>,
    /// The element, e.g. `enum value USER_NOT_FOUND`.
    pub element: String,
    /// Boxed: diagnostics travel in `Result`s, whose error side stays small.
    pub problem: Box<Problem>,
}

/// What is wrong. The rule problems are those of `google.api.http`; the
/// lenient ones are what kratos accepts (a warning here, an error under the
/// parameter `strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The rule sets none of get, put, post, delete, patch or custom.
    NoMethod,
    /// `custom.kind` is not an HTTP method token.
    MethodToken {
        /// The kind as written.
        method: String,
    },
    /// The path template does not parse.
    Template {
        /// The template as written.
        template: String,
        /// Where and why it does not parse.
        error: ParseError,
    },
    /// A path variable names a field that cannot be bound from a path.
    PathField {
        /// The template holding the variable.
        template: String,
        /// The variable's field path (`book.name`).
        field: String,
        /// Why it cannot be bound.
        reason: PathFieldReason,
    },
    /// `body` or `response_body` names a field that cannot be used.
    BodyField {
        /// `body` or `response_body`.
        option: &'static str,
        /// The field path as written.
        field: String,
        /// Why it cannot be used.
        reason: BodyFieldReason,
    },
    /// An additional binding with additional bindings of its own.
    NestedAdditionalBindings,
    /// Lenient: a GET or DELETE rule with a body, which is ignored.
    BodyIgnored {
        /// `GET` or `DELETE`.
        method: String,
        /// The rule's template.
        template: String,
    },
    /// Lenient: a binding matching exactly the requests of an earlier one.
    DuplicateBinding {
        /// The binding left out (method and template).
        binding: String,
        /// The earlier binding it duplicates.
        earlier: String,
        /// Left out with a warning (not strict).
        left_out: bool,
    },
    /// Lenient: two routes OpenAPI writes as the same path and method.
    OpenApiCollision {
        /// The later binding (method and template).
        binding: String,
        /// The HTTP method both have.
        method: String,
        /// The OpenAPI path both are written as.
        path: String,
        /// The earlier binding.
        earlier: String,
    },
    /// An `errors` option that is not an HTTP status; `lenient` for
    /// kratos' 600, accepted with a warning.
    StatusCode {
        /// `errors.code` or `errors.default_code`.
        option: &'static str,
        /// The value given.
        code: i32,
        /// Accepted with a warning (kratos' 600).
        lenient: bool,
    },
    /// Anything else: parameters, options, names.
    Other(String),
}

/// Why a path variable's field cannot be bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathFieldReason {
    /// `segment` is not a field of `message`.
    Missing {
        /// The name not found.
        segment: String,
        /// The message searched.
        message: String,
    },
    /// The field is a map.
    Map,
    /// The field is repeated.
    Repeated,
    /// The last field is a message (named), not a scalar.
    Message(String),
    /// `segment` is followed by more names but is not a message.
    NotAMessage {
        /// The scalar field followed by more names.
        segment: String,
    },
}

/// Why a `body` or `response_body` field cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFieldReason {
    /// `segment` is not a field of `message`.
    Missing {
        /// The name not found.
        segment: String,
        /// The message searched.
        message: String,
    },
    /// The dotted path goes through `segment`, not a singular message.
    NotASingularMessage {
        /// The field that is not a singular message.
        segment: String,
    },
}

impl Diagnostic {
    /// A diagnostic of `element` in `file` at `position` (line, column;
    /// 1-based), saying `problem`.
    pub fn new(
        file: impl Into<String>,
        position: Option<(u32, u32)>,
        element: impl Into<String>,
        problem: impl Into<Problem>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            position,
            element: element.into(),
            problem: Box::new(problem.into()),
        }
    }

    /// A problem that belongs to no proto element (a bad plugin parameter, say).
    pub fn general(problem: impl Into<Problem>) -> Self {
        Diagnostic::new(String::new(), None, String::new(), problem)
    }
}

impl From<String> for Problem {
    fn from(message: String) -> Self {
        Problem::Other(message)
    }
}

impl From<&str> for Problem {
    fn from(message: &str) -> Self {
        Problem::Other(message.to_owned())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            f.write_str(&self.file)?;
            if let Some((line, column)) = self.position {
                write!(f, ":{line}:{column}")?;
            }
            f.write_str(": ")?;
        }
        if !self.element.is_empty() {
            write!(f, "{}: ", self.element)?;
        }
        self.problem.fmt(f)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const STRICT: &str = "parameter strict makes this an error";
        match self {
            Problem::NoMethod => f.write_str(
                "the http rule sets no method (get, put, post, delete, patch or custom)",
            ),
            Problem::MethodToken { method } => {
                write!(f, "custom method {method:?} is not an HTTP method token")
            }
            Problem::Template { template, error } => {
                write!(f, "path template {template:?}: {error}")
            }
            Problem::PathField {
                template,
                field,
                reason,
            } => {
                write!(f, "path template {template:?}: field {field:?} ")?;
                match reason {
                    PathFieldReason::Missing { segment, message } => write!(
                        f,
                        "does not exist ({segment:?} is not a field of {message})"
                    ),
                    PathFieldReason::Map => f.write_str("is a map"),
                    PathFieldReason::Repeated => f.write_str("is repeated"),
                    PathFieldReason::Message(m) => write!(f, "is a message ({m}), not a scalar"),
                    PathFieldReason::NotAMessage { segment } => {
                        write!(f, "goes through {segment:?}, which is not a message")
                    }
                }
            }
            Problem::BodyField {
                option,
                field,
                reason,
            } => match reason {
                BodyFieldReason::Missing { segment, message } if segment == field => {
                    write!(f, "{option} field {field:?} does not exist in {message}")
                }
                BodyFieldReason::Missing { segment, message } => write!(
                    f,
                    "{option} field {field:?}: {option} field {segment:?} does not exist in {message}"
                ),
                BodyFieldReason::NotASingularMessage { segment } => write!(
                    f,
                    "{option} field {field:?} goes through {segment:?}, which is not a singular message"
                ),
            },
            Problem::NestedAdditionalBindings => {
                f.write_str("additional_bindings may not have additional_bindings of their own")
            }
            Problem::BodyIgnored { method, template } if method == "GET" => write!(
                f,
                "GET {template} has a body: kratos ignores it, and so does protoway unless the parameter strict is set (grpc-gateway rejects the rule)"
            ),
            Problem::BodyIgnored { method, template } => write!(
                f,
                "{method} {template} has a body: kratos ignores it, and so does protoway unless the parameter strict is set (allow_delete_body=true reads it, as grpc-gateway's option)"
            ),
            Problem::DuplicateBinding {
                binding,
                earlier,
                left_out,
            } => {
                write!(
                    f,
                    "{binding} matches exactly the requests of {earlier}, bound earlier"
                )?;
                if *left_out {
                    write!(f, "; left out ({STRICT})")?;
                }
                Ok(())
            }
            Problem::OpenApiCollision {
                binding,
                method,
                path,
                earlier,
            } => write!(
                f,
                "{binding}: OpenAPI writes it as {method} {path}, already the path of operation {earlier}; left out of the document ({STRICT})"
            ),
            Problem::StatusCode {
                option,
                code,
                lenient: true,
            } => write!(
                f,
                "{option} {code} is not an HTTP status (100-599); kratos accepts it, and so does protoway unless the parameter strict is set"
            ),
            Problem::StatusCode { option, code, .. } => {
                write!(f, "{option} {code} is not an HTTP status (100-599)")
            }
            Problem::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Diagnostic {}

/// Joins several diagnostics into the one error string protoc prints.
pub fn join(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
