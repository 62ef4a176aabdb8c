//! Protos → descriptors, by protox in-process or by a protoc binary.
//!
//! Either way the result is the same [`Compiled`]: every file encoded as the
//! compiler wrote it (so extension options such as `google.api.http`
//! survive), dependencies first, plus the names of the requested files.

use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use protoway_codegen::compile::{SHIPPED_PROTOS, compiler, raw_request};
use protoway_codegen::request::RawCodeGeneratorRequest;

/// Compiled protos, compiler-independent.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Encoded `FileDescriptorProto`s, dependencies first.
    pub files: Vec<Vec<u8>>,
    /// Import names of the files asked for (`library/v1/library.proto`).
    pub to_generate: Vec<String>,
}

/// A `FileDescriptorSet` whose files stay undecoded (prost-types would drop
/// the extension options).
#[derive(Clone, PartialEq, Message)]
struct RawFileDescriptorSet {
    #[prost(bytes = "vec", repeated, tag = "1")]
    file: Vec<Vec<u8>>,
}

impl Compiled {
    /// The request protoc would send a plugin, with `parameter`.
    pub fn request(&self, parameter: &str) -> RawCodeGeneratorRequest {
        RawCodeGeneratorRequest {
            file_to_generate: self.to_generate.clone(),
            parameter: (!parameter.is_empty()).then(|| parameter.to_owned()),
            proto_file: self.files.clone(),
            compiler_version: None,
        }
    }

    /// The set prost-build and pbjson-build read (extensions dropped; they
    /// do not need them).
    pub fn file_descriptor_set(
        &self,
    ) -> Result<prost_types::FileDescriptorSet, prost::DecodeError> {
        let file = self
            .files
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()))
            .collect::<Result<_, _>>()?;
        Ok(prost_types::FileDescriptorSet { file })
    }

    /// Files on disk under `includes` that the build read (for
    /// `rerun-if-changed`); shipped and well-known protos are not on disk.
    pub fn source_paths(&self, includes: &[impl AsRef<Path>]) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        for name in self.file_names() {
            if let Some(path) = includes
                .iter()
                .map(|include| include.as_ref().join(&name))
                .find(|path| path.is_file())
            {
                paths.push(path);
            }
        }
        paths
    }

    fn file_names(&self) -> Vec<String> {
        self.file_descriptor_set()
            .map(|set| set.file.into_iter().map(|f| f.name().to_owned()).collect())
            .unwrap_or_default()
    }
}

/// Compiles with protox: the user's includes, then protoway's shipped
/// protos, then the well-known types.
pub fn with_protox(
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
) -> Result<Compiled, Box<dyn std::error::Error>> {
    let mut compiler = compiler(includes);
    compiler.open_files(files)?;
    let request = raw_request(&compiler, "");
    Ok(Compiled {
        files: request.proto_file,
        to_generate: request.file_to_generate,
    })
}

/// Compiles with the `protoc` binary. protoway's shipped protos are written
/// to `<scratch>/protoway-include` and passed as the last `-I`, so the
/// user's copies win as with protox.
pub fn with_protoc(
    protoc: &Path,
    files: &[impl AsRef<Path>],
    includes: &[impl AsRef<Path>],
    scratch: &Path,
) -> Result<Compiled, Box<dyn std::error::Error>> {
    let shipped = scratch.join("protoway-include");
    for (name, source) in SHIPPED_PROTOS {
        let path = shipped.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(source) {
            std::fs::create_dir_all(path.parent().expect("shipped names have a directory"))?;
            std::fs::write(&path, source)?;
        }
    }
    let descriptor_set = scratch.join("protoway-descriptors.bin");
    let mut command = Command::new(protoc);
    command
        .arg("--include_imports")
        .arg("--include_source_info")
        .arg(format!("--descriptor_set_out={}", descriptor_set.display()));
    for include in includes {
        command.arg(format!("-I{}", include.as_ref().display()));
    }
    command.arg(format!("-I{}", shipped.display()));
    command.args(files.iter().map(AsRef::as_ref));
    let output = command
        .output()
        .map_err(|e| format!("running {}: {e}", protoc.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            protoc.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let set = RawFileDescriptorSet::decode(std::fs::read(&descriptor_set)?.as_slice())?;
    let compiled = Compiled {
        files: set.file,
        to_generate: Vec::new(),
    };
    let names = compiled.file_names();
    let to_generate = files
        .iter()
        .map(|file| import_name(file.as_ref(), includes, &names))
        .collect::<Result<_, _>>()?;
    Ok(Compiled {
        to_generate,
        ..compiled
    })
}

/// The name protoc gave `file`: the argument itself, or its path relative to
/// the include directory that holds it.
fn import_name(
    file: &Path,
    includes: &[impl AsRef<Path>],
    names: &[String],
) -> Result<String, String> {
    let as_name = |p: &Path| p.to_str().map(|s| s.replace('\\', "/"));
    let mut candidates: Vec<String> = as_name(file).into_iter().collect();
    for include in includes {
        if let Ok(relative) = file.strip_prefix(include.as_ref()) {
            candidates.extend(as_name(relative));
        }
    }
    candidates
        .into_iter()
        .find(|c| names.contains(c))
        .ok_or_else(|| format!("{}: not among the files protoc compiled", file.display()))
}

/// `requested` plus, transitively, every file defining a message or enum
/// that a field or method of an included file refers to.
pub fn used_files(
    set: &prost_types::FileDescriptorSet,
    requested: &[String],
) -> std::collections::BTreeSet<String> {
    use std::collections::{BTreeSet, HashMap};
    // Fully qualified type name (`.pkg.Msg.Nested`) → defining file.
    let mut defined_in: HashMap<String, &str> = HashMap::new();
    fn messages<'a>(
        prefix: &str,
        list: &'a [prost_types::DescriptorProto],
        out: &mut Vec<(String, &'a prost_types::DescriptorProto)>,
    ) {
        for m in list {
            let name = format!("{prefix}.{}", m.name());
            messages(&name, &m.nested_type, out);
            out.push((name, m));
        }
    }
    let mut refs_of: HashMap<&str, Vec<String>> = HashMap::new();
    for file in &set.file {
        let prefix = if file.package().is_empty() {
            String::new()
        } else {
            format!(".{}", file.package())
        };
        let mut all = Vec::new();
        messages(&prefix, &file.message_type, &mut all);
        let refs = refs_of.entry(file.name()).or_default();
        for (name, message) in &all {
            defined_in.insert(name.clone(), file.name());
            for e in &message.enum_type {
                defined_in.insert(format!("{name}.{}", e.name()), file.name());
            }
            refs.extend(message.field.iter().map(|f| f.type_name().to_owned()));
        }
        for e in &file.enum_type {
            defined_in.insert(format!("{prefix}.{}", e.name()), file.name());
        }
        for service in &file.service {
            for method in &service.method {
                refs.push(method.input_type().to_owned());
                refs.push(method.output_type().to_owned());
            }
        }
    }
    let mut used: BTreeSet<String> = requested.iter().cloned().collect();
    let mut queue: Vec<String> = requested.to_vec();
    while let Some(file) = queue.pop() {
        for type_name in refs_of.get(file.as_str()).into_iter().flatten() {
            if let Some(&defining) = defined_in.get(type_name)
                && used.insert(defining.to_owned())
            {
                queue.push(defining.to_owned());
            }
        }
    }
    used
}
