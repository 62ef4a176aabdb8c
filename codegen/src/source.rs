//! Comments and line:column positions from `source_code_info`, and the
//! [`Element`] trait that gives every descriptor kind a path, a file and a label.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{
    EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor,
    MethodDescriptor, OneofDescriptor, ServiceDescriptor,
};
use prost_types::source_code_info::Location;

use crate::wire::Value;

/// The comments attached to one element, as protoc records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments {
    /// Comment blocks before the element, separated from it by a blank line.
    pub leading_detached: Vec<String>,
    /// The comment right before the element.
    pub leading: Option<String>,
    /// The comment after the element, on its line or the next.
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

    /// No comment at all.
    pub fn is_empty(&self) -> bool {
        self.leading.is_none() && self.trailing.is_none() && self.leading_detached.is_empty()
    }
}

/// Source locations of one file: its `source_code_info` still encoded, and
/// an index from each location's path to its bytes, built on first use. A
/// location is decoded only when asked for: a generator reads a few dozen of
/// the thousands a file has (decoding them all, comments and spans of every
/// field, was a fifth of the OpenAPI plugin's time).
#[derive(Debug, Default)]
pub struct SourceIndex {
    bytes: Vec<u8>,
    /// (hash of the path, start, end) of every location in `bytes`, sorted
    /// by hash, locations of one hash in file order.
    locations: OnceLock<Vec<(u64, u32, u32)>>,
}

impl SourceIndex {
    /// The index of an encoded `SourceCodeInfo`. Bytes that do not decode
    /// only lose comments and positions (from the first bad location on).
    pub fn new(source_code_info: Vec<u8>) -> SourceIndex {
        SourceIndex {
            bytes: source_code_info,
            locations: OnceLock::new(),
        }
    }

    /// 1-based line:column of the element at `path`.
    pub fn position(&self, path: &[i32]) -> Option<(u32, u32)> {
        let location = self.location(path)?;
        let line = u32::try_from(location.span[0]).unwrap_or(0);
        let column = u32::try_from(location.span[1]).unwrap_or(0);
        Some((line.saturating_add(1), column.saturating_add(1)))
    }

    /// Comments of the element at `path` (empty when there are none).
    pub fn comments(&self, path: &[i32]) -> Comments {
        self.location(path)
            .map(|l| Comments {
                leading_detached: l.leading_detached_comments,
                leading: l.leading_comments,
                trailing: l.trailing_comments,
            })
            .unwrap_or_default()
    }

    /// The first location protoc lists for `path` (with a whole span, as
    /// every real one has).
    fn location(&self, path: &[i32]) -> Option<Location> {
        let locations = self.locations.get_or_init(|| index(&self.bytes));
        let hash = path_hash(path.iter().copied());
        let first = locations.partition_point(|&(h, _, _)| h < hash);
        locations[first..]
            .iter()
            .take_while(|&&(h, _, _)| h == hash)
            .filter_map(|&(_, start, end)| {
                Location::decode(self.bytes.get(start as usize..end as usize)?).ok()
            })
            .find(|location| location.path == path && location.span.len() >= 3)
    }
}

/// Where every `location` (field 1) of an encoded `SourceCodeInfo` is, by
/// the hash of its path.
fn index(source_code_info: &[u8]) -> Vec<(u64, u32, u32)> {
    let mut locations = Vec::new();
    for field in crate::wire::fields(source_code_info).map_while(|f| f) {
        let (1, Value::Bytes(location)) = (field.number, field.value) else {
            continue;
        };
        let path = crate::wire::fields(location)
            .map_while(|f| f)
            .filter(|f| f.number == 1)
            .flat_map(|f| crate::wire::int32s(f.value));
        let start = field.end - location.len();
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(field.end)) else {
            break;
        };
        locations.push((path_hash(path), start, end));
    }
    // Stable: locations of one path stay in file order, the first one wins.
    locations.sort_by_key(|&(hash, _, _)| hash);
    locations
}

/// FxHash over the path's elements (paths are short; collisions are told
/// apart by comparing the decoded path).
fn path_hash(path: impl Iterator<Item = i32>) -> u64 {
    path.fold(0, |hash: u64, element| {
        (hash.rotate_left(5) ^ u64::from(element as u32)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
    })
}

/// What every descriptor kind has in common, for locating and naming it.
pub trait Element {
    /// The file declaring the element.
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
