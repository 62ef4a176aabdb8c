//! Comments and line:column positions from `source_code_info`, and the
//! [`Element`] trait that gives every descriptor kind a path, a file and a label.

use std::collections::HashMap;

use prost_reflect::{
    EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor,
    MethodDescriptor, OneofDescriptor, ServiceDescriptor,
};
use prost_types::SourceCodeInfo;

/// The comments attached to one element, as protoc records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    pub leading_detached: Vec<String>,
    pub leading: Option<String>,
    pub trailing: Option<String>,
}

impl Comments {
    /// Leading then trailing comment, as lines with one leading space removed
    /// (protoc keeps the space after `//`). Detached comments are not documentation.
    pub fn doc_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for text in [&self.leading, &self.trailing].into_iter().flatten() {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            let text = text.strip_suffix('\n').unwrap_or(text);
            lines.extend(
                text.split('\n')
                    .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_owned()),
            );
        }
        // Drop blank lines at either end.
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        let first = lines
            .iter()
            .position(|l| !l.is_empty())
            .unwrap_or(lines.len());
        lines.drain(..first);
        lines
    }

    pub fn is_empty(&self) -> bool {
        self.leading.is_none() && self.trailing.is_none() && self.leading_detached.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
struct LocationInfo {
    /// 1-based line and column.
    position: (u32, u32),
    comments: Comments,
}

/// Source locations of one file, keyed by descriptor path.
#[derive(Debug, Default)]
pub struct SourceIndex {
    locations: HashMap<Vec<i32>, LocationInfo>,
}

impl SourceIndex {
    pub fn new(info: &SourceCodeInfo) -> SourceIndex {
        let mut locations = HashMap::new();
        for location in &info.location {
            // protoc lists the first location for a path first; keep it.
            if location.span.len() < 3 || locations.contains_key(&location.path) {
                continue;
            }
            let line = u32::try_from(location.span[0])
                .unwrap_or(0)
                .saturating_add(1);
            let column = u32::try_from(location.span[1])
                .unwrap_or(0)
                .saturating_add(1);
            locations.insert(
                location.path.clone(),
                LocationInfo {
                    position: (line, column),
                    comments: Comments {
                        leading_detached: location.leading_detached_comments.clone(),
                        leading: location.leading_comments.clone(),
                        trailing: location.trailing_comments.clone(),
                    },
                },
            );
        }
        SourceIndex { locations }
    }

    /// 1-based line:column of the element at `path`.
    pub fn position(&self, path: &[i32]) -> Option<(u32, u32)> {
        self.locations.get(path).map(|l| l.position)
    }

    /// Comments of the element at `path` (empty when there are none).
    pub fn comments(&self, path: &[i32]) -> Comments {
        self.locations
            .get(path)
            .map(|l| l.comments.clone())
            .unwrap_or_default()
    }
}

/// What every descriptor kind has in common, for locating and naming it.
pub trait Element {
    fn file(&self) -> FileDescriptor;
    /// The `source_code_info` path of the element.
    fn path(&self) -> &[i32];
    /// `enum value USER_NOT_FOUND`, `method Greeter.SayHello`.
    fn label(&self) -> String;
    /// The element's `*Options`, with extensions resolved.
    fn options(&self) -> prost_reflect::DynamicMessage;
}

macro_rules! element {
    ($ty:ty, $kind:literal, |$d:ident| $name:expr) => {
        impl Element for $ty {
            fn file(&self) -> FileDescriptor {
                self.parent_file()
            }
            fn path(&self) -> &[i32] {
                <$ty>::path(self)
            }
            fn label(&self) -> String {
                let $d = self;
                format!(concat!($kind, " {}"), $name)
            }
            fn options(&self) -> prost_reflect::DynamicMessage {
                <$ty>::options(self)
            }
        }
    };
}

/// The name of an element relative to its package: `Outer.Inner`.
fn relative_name<'a>(full_name: &'a str, package: &str) -> &'a str {
    if package.is_empty() {
        full_name
    } else {
        full_name
            .strip_prefix(package)
            .and_then(|n| n.strip_prefix('.'))
            .unwrap_or(full_name)
    }
}

element!(MessageDescriptor, "message", |d| relative_name(
    d.full_name(),
    d.package_name()
));
element!(EnumDescriptor, "enum", |d| relative_name(
    d.full_name(),
    d.package_name()
));
element!(EnumValueDescriptor, "enum value", |d| d.name());
element!(ServiceDescriptor, "service", |d| d.name());
element!(MethodDescriptor, "method", |d| format!(
    "{}.{}",
    d.parent_service().name(),
    d.name()
));
element!(FieldDescriptor, "field", |d| relative_name(
    d.full_name(),
    d.parent_file().package_name()
));
element!(OneofDescriptor, "oneof", |d| relative_name(
    d.full_name(),
    d.parent_file().package_name()
));
