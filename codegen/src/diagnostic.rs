//! Generation errors that point at the proto source: `file:line:col: element: message`.

use std::fmt;

/// A problem found while generating, reported to the user through
/// `CodeGeneratorResponse.error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The proto file, as protoc names it (`helloworld/v1/error_reason.proto`).
    pub file: String,
    /// 1-based line and column, when `source_code_info` has them.
    pub position: Option<(u32, u32)>,
    /// The element, e.g. `enum value USER_NOT_FOUND`.
    pub element: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<String>,
        position: Option<(u32, u32)>,
        element: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            position,
            element: element.into(),
            message: message.into(),
        }
    }

    /// A problem that belongs to no proto element (a bad plugin parameter, say).
    pub fn general(message: impl Into<String>) -> Self {
        Diagnostic::new(String::new(), None, String::new(), message)
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
        f.write_str(&self.message)
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
