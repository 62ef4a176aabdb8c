//! Where generated code goes: one file per proto package, beside prost's.
//!
//! protoc-gen-prost 0.5 writes `helloworld/v1/helloworld.v1.rs` (or, with
//! `flat_output_dir`, `helloworld.v1.rs` as prost-build does) and leaves a
//! `// @@protoc_insertion_point(module)` in it; companion plugins
//! (protoc-gen-prost-serde, tonic) write `helloworld.v1.<suffix>.rs` beside it.
//! We do the same, with the same parameter, and can also put our code into
//! prost's file through that insertion point.

use crate::ResponseFile;
use crate::names::{package_file_stem, package_module};

/// How a plugin hands its code to the user (parameter `emit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// `helloworld.v1.<suffix>.rs`, to `include!` next to prost's file (default).
    File,
    /// The same file, plus an `include!` of it at prost's `module` insertion point,
    /// as protoc-gen-prost-serde does by default.
    Include,
    /// The code itself at prost's `module` insertion point; no file of our own.
    Insert,
}

impl Emit {
    /// Parameter values, in documentation order.
    pub const CHOICES: &'static [&'static str] = &["file", "include", "insert"];

    /// The `emit` parameter's value; `None` for one not in [`Emit::CHOICES`].
    pub fn parse(value: &str) -> Option<Emit> {
        match value {
            "file" => Some(Emit::File),
            "include" => Some(Emit::Include),
            "insert" => Some(Emit::Insert),
            _ => None,
        }
    }
}

/// Output naming shared by every plugin.
#[derive(Debug, Clone)]
pub struct Output {
    /// `errors` in `helloworld.v1.errors.rs`.
    pub suffix: &'static str,
    /// Where the code goes (parameter `emit`).
    pub emit: Emit,
    /// File stem for the empty package, as prost's `default_package_filename`.
    pub default_package_filename: String,
    /// All files in the output directory itself (`flat_output_dir`), instead
    /// of one directory per package component as protoc-gen-prost's default.
    pub flat_output_dir: bool,
    /// How the Rust is laid out (parameter `rustfmt`: prettyplease by default).
    pub layout: crate::render::Layout,
}

/// prost's insertion point name inside each package file.
pub const MODULE_INSERTION_POINT: &str = "module";

impl Output {
    /// The defaults for the plugin whose files end `.{suffix}.rs`.
    pub fn new(suffix: &'static str) -> Output {
        Output {
            suffix,
            emit: Emit::File,
            default_package_filename: "_".to_owned(),
            flat_output_dir: false,
            layout: crate::render::Layout::Prettyplease,
        }
    }

    /// `helloworld/v1/` (or nothing when flat or for the empty package).
    fn directory(&self, package: &str) -> String {
        if self.flat_output_dir {
            return String::new();
        }
        package_module(package)
            .iter()
            .map(|part| format!("{part}/"))
            .collect()
    }

    /// The file name our code for `package` gets:
    /// `helloworld/v1/helloworld.v1.errors.rs`.
    pub fn file_name(&self, package: &str) -> String {
        format!("{}{}", self.directory(package), self.base_name(package))
    }

    /// The name without directory, as the `include!` beside prost's file uses it.
    fn base_name(&self, package: &str) -> String {
        format!(
            "{}.{}.rs",
            package_file_stem(package, &self.default_package_filename),
            self.suffix
        )
    }

    /// protoc-gen-prost's file for `package`: `helloworld/v1/helloworld.v1.rs`.
    pub fn prost_file_name(&self, package: &str) -> String {
        format!(
            "{}{}.rs",
            self.directory(package),
            package_file_stem(package, &self.default_package_filename)
        )
    }

    /// The response files that deliver `content` for `package`.
    pub fn files(&self, package: &str, content: String) -> Vec<ResponseFile> {
        let own = self.file_name(package);
        let insert = |content: String| ResponseFile {
            name: Some(self.prost_file_name(package)),
            insertion_point: Some(MODULE_INSERTION_POINT.to_owned()),
            content: Some(content),
            generated_code_info: None,
        };
        match self.emit {
            Emit::File => vec![plain_file(own, content)],
            Emit::Include => vec![
                plain_file(own.clone(), content),
                insert(format!("include!(\"{}\");\n", self.base_name(package))),
            ],
            Emit::Insert => vec![insert(content)],
        }
    }
}

fn plain_file(name: String, content: String) -> ResponseFile {
    ResponseFile {
        name: Some(name),
        insertion_point: None,
        content: Some(content),
        generated_code_info: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prost() {
        let mut out = Output::new("errors");
        assert_eq!(
            out.file_name("helloworld.v1"),
            "helloworld/v1/helloworld.v1.errors.rs"
        );
        assert_eq!(out.file_name(""), "_.errors.rs");
        assert_eq!(
            out.prost_file_name("helloworld.v1"),
            "helloworld/v1/helloworld.v1.rs"
        );
        assert_eq!(out.file_name("foo.type"), "foo/r#type/foo.r#type.errors.rs");
        out.flat_output_dir = true;
        assert_eq!(out.file_name("helloworld.v1"), "helloworld.v1.errors.rs");
        assert_eq!(out.prost_file_name("helloworld.v1"), "helloworld.v1.rs");
    }

    #[test]
    fn emit_modes() {
        let mut out = Output::new("errors");
        out.flat_output_dir = true;
        let files = out.files("a.b", "X".into());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].insertion_point, None);

        out.emit = Emit::Include;
        let files = out.files("a.b", "X".into());
        assert_eq!(files[1].name.as_deref(), Some("a.b.rs"));
        assert_eq!(files[1].insertion_point.as_deref(), Some("module"));
        assert_eq!(
            files[1].content.as_deref(),
            Some("include!(\"a.b.errors.rs\");\n")
        );

        out.emit = Emit::Insert;
        let files = out.files("a.b", "X".into());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name.as_deref(), Some("a.b.rs"));
        assert_eq!(files[0].content.as_deref(), Some("X"));

        // Nested: the include names the file beside prost's, in its directory.
        out.flat_output_dir = false;
        out.emit = Emit::Include;
        let files = out.files("a.b", "X".into());
        assert_eq!(files[0].name.as_deref(), Some("a/b/a.b.errors.rs"));
        assert_eq!(files[1].name.as_deref(), Some("a/b/a.b.rs"));
        assert_eq!(
            files[1].content.as_deref(),
            Some("include!(\"a.b.errors.rs\");\n")
        );
    }
}
