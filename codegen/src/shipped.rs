//! The protos protoway ships (`errors/errors.proto`, `google/api/*.proto`,
//! `openapiv3/*.proto`), compiled into this crate: protox resolves them
//! after the user's include directories, and every plugin writes them out
//! for protoc and buf users (`--export-protos DIR`).

use std::path::{Path, PathBuf};

/// The protos protoway ships, by import name.
pub const SHIPPED_PROTOS: &[(&str, &str)] = &[
    (
        "errors/errors.proto",
        include_str!("../proto/errors/errors.proto"),
    ),
    (
        "google/api/http.proto",
        include_str!("../proto/google/api/http.proto"),
    ),
    (
        "google/api/annotations.proto",
        include_str!("../proto/google/api/annotations.proto"),
    ),
    (
        "google/api/httpbody.proto",
        include_str!("../proto/google/api/httpbody.proto"),
    ),
    (
        "google/api/field_behavior.proto",
        include_str!("../proto/google/api/field_behavior.proto"),
    ),
    (
        "openapiv3/annotations.proto",
        include_str!("../proto/openapiv3/annotations.proto"),
    ),
    (
        "openapiv3/OpenAPIv3.proto",
        include_str!("../proto/openapiv3/OpenAPIv3.proto"),
    ),
];

/// Writes [`SHIPPED_PROTOS`] under `dir` (`dir/google/api/http.proto`, …):
/// the files written.
///
/// # Errors
///
/// When a directory or file cannot be written.
pub fn export(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (name, source) in SHIPPED_PROTOS {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, source)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_proto_is_written_where_its_import_names_it() {
        let dir = std::env::temp_dir().join(format!("protoway-export-{}", std::process::id()));
        let written = super::export(&dir).unwrap();
        assert_eq!(written.len(), super::SHIPPED_PROTOS.len());
        let http = std::fs::read_to_string(dir.join("google/api/http.proto")).unwrap();
        assert!(http.contains("message HttpRule"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
