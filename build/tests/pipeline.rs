//! protoway-build as a build script uses it: protox and protoc give the same
//! code, shipped protos resolve and lose to the user's copies, every builder
//! method reaches its generator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use protoway_build::{Emit, EnumType, ErrorSchema, Naming, OpenApiVersion, OutputMode};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const LIBRARY: &str = "library/v1/library.proto";

fn library_includes() -> Vec<String> {
    vec![format!("{ROOT}/examples/library/proto")]
}

fn protoc() -> PathBuf {
    protoc_bin_vendored::protoc_bin_path().expect("vendored protoc")
}

/// A fresh scratch directory under the target dir, unique per test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pipeline")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file in `dir` by name (scratch files of the protoc run excluded).
fn outputs(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs" || e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn protox_and_protoc_generate_the_same_code() {
    let (a, b) = (scratch("protox"), scratch("protoc"));
    for (dir, builder) in [
        (&a, protoway_build::configure().use_protoc(false)),
        (&b, protoway_build::configure().protoc(protoc())),
    ] {
        builder
            .out_dir(dir)
            .openapi(dir.join("openapi.yaml"))
            .emit_rerun_if_changed(false)
            .compile(&[LIBRARY], &library_includes())
            .unwrap();
    }
    let (protox, protoc) = (outputs(&a), outputs(&b));
    let names: Vec<&str> = protox.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "library.v1.errors.rs",
            "library.v1.http.rs",
            "library.v1.rs",
            "library.v1.serde.rs",
            "openapi.yaml"
        ]
    );
    for (name, text) in &protox {
        assert_eq!(
            Some(text),
            protoc.get(name),
            "{name} differs between protox and protoc"
        );
    }
    // Comments reached the generated code through source info in both modes.
    assert!(protox["library.v1.http.rs"].contains("/// Creates a shelf"));
    // protoc got protoway's shipped protos from the scratch include directory.
    assert!(b.join("protoway-include/google/api/http.proto").is_file());
}

#[test]
fn protoc_is_taken_from_the_environment_variable() {
    let dir = scratch("env");
    // A PROTOC that does not exist proves the variable is read: the build fails naming it.
    let missing = dir.join("no-such-protoc");
    // SAFETY: this test's builder is the only reader, and no other test sets PROTOC.
    unsafe { std::env::set_var("PROTOC", &missing) };
    let result = protoway_build::configure()
        .out_dir(&dir)
        .emit_rerun_if_changed(false)
        .compile(&[LIBRARY], &library_includes());
    let forced_protox = protoway_build::configure()
        .use_protoc(false)
        .out_dir(&dir)
        .emit_rerun_if_changed(false)
        .compile(&[LIBRARY], &library_includes());
    unsafe { std::env::remove_var("PROTOC") };
    let error = result.unwrap_err().to_string();
    assert!(error.contains("no-such-protoc"), "{error}");
    forced_protox.unwrap();
}

/// A user's `errors/errors.proto` replaces the shipped one, with protox and
/// with protoc: the test proto uses a message only the user's copy has.
#[test]
fn user_copies_of_shipped_protos_win() {
    let user = scratch("user-protos");
    std::fs::create_dir_all(user.join("errors")).unwrap();
    std::fs::create_dir_all(user.join("app")).unwrap();
    std::fs::write(
        user.join("errors/errors.proto"),
        r#"syntax = "proto3";
package errors;
import "google/protobuf/descriptor.proto";
extend google.protobuf.EnumOptions { int32 default_code = 1108; }
extend google.protobuf.EnumValueOptions { int32 code = 1109; }
message OnlyInTheUsersCopy { string why = 1; }
"#,
    )
    .unwrap();
    std::fs::write(
        user.join("app/app.proto"),
        r#"syntax = "proto3";
package app;
import "errors/errors.proto";
message Thing { errors.OnlyInTheUsersCopy marker = 1; }
enum Reason {
  option (errors.default_code) = 500;
  UNKNOWN = 0;
  GONE = 1 [(errors.code) = 410];
}
"#,
    )
    .unwrap();
    for (name, builder) in [
        ("user-protox", protoway_build::configure().use_protoc(false)),
        ("user-protoc", protoway_build::configure().protoc(protoc())),
    ] {
        let out = scratch(name);
        builder
            .out_dir(&out)
            .emit_rerun_if_changed(false)
            .compile(&["app/app.proto"], &[&user])
            .unwrap();
        let files = outputs(&out);
        assert!(files["errors.rs"].contains("OnlyInTheUsersCopy"), "{name}");
        assert!(files["app.errors.rs"].contains("pub fn is_gone"), "{name}");
    }
}

#[test]
fn builder_methods_reach_their_generators() {
    let out = scratch("methods");
    protoway_build::configure()
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .emit(Emit::Include)
        .runtime_crate("::protoway")
        .client(false)
        .default_stubs(true)
        .default_routes(true)
        .default_routes_prefix("/rpc")
        .allow_delete_body(true)
        .openapi(out.join("doc/openapi.json"))
        .openapi_title("Library title")
        .openapi_description("Library description")
        .openapi_info_version("9.9.9")
        .openapi_naming(Naming::Proto)
        .openapi_fq_schema_naming(true)
        .openapi_enum_type(EnumType::String)
        .openapi_depth(1)
        .openapi_default_response(false)
        .openapi_version(OpenApiVersion::V3_1)
        .openapi_error_schema(ErrorSchema::Status)
        .compile(&[LIBRARY], &library_includes())
        .unwrap();
    let files = outputs(&out);
    // emit=include: prost's file includes ours, so one include! brings all.
    assert!(files["library.v1.rs"].contains(r#"include!("library.v1.http.rs");"#));
    assert!(files["library.v1.rs"].contains(r#"include!("library.v1.errors.rs");"#));
    let http = &files["library.v1.http.rs"];
    assert!(!http.contains("LibraryServiceClient"), "client(false)");
    assert!(
        http.contains("UNIMPLEMENTED") || http.contains("unimplemented"),
        "default_stubs"
    );

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("doc/openapi.json")).unwrap())
            .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Library title");
    assert_eq!(doc["info"]["description"], "Library description");
    assert_eq!(doc["info"]["version"], "9.9.9");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("library.v1.Book"), "fq_schema_naming");
    let list_books = &doc["paths"]["/v1/shelves/{shelf}/books"]["get"]["parameters"];
    assert_eq!(list_books[1]["name"], "page_size", "naming=proto");
    let get_book = &doc["paths"]["/v1/shelves/{shelf}/books/{book}"]["get"];
    assert!(
        get_book["responses"].get("default").is_none(),
        "default_response=false"
    );
    // Routes options reach the document as they reach the server.
    let default_route = "/rpc/library.v1.LibraryService/GetShelf";
    assert!(
        doc["paths"].get(default_route).is_none(),
        "GetShelf has a rule"
    );
    let delete_book = &doc["paths"]["/v1/shelves/{shelf}/books/{book}"]["delete"];
    assert!(delete_book.is_object());
}

/// prettyplease by default, as prost-build: no rustfmt process is started
/// (a `RUSTFMT` that cannot run proves it); `rustfmt(true)` formats.
#[test]
fn generated_code_is_prettyplease_unless_rustfmt_is_asked_for() {
    let plain = scratch("layout-plain");
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&plain)
        .emit_rerun_if_changed(false)
        .compile(&[LIBRARY], &library_includes())
        .unwrap();
    let plain = outputs(&plain);
    for name in ["library.v1.http.rs", "library.v1.errors.rs"] {
        assert!(
            plain[name].starts_with("// @generated by protoc-gen-rust-"),
            "{name}"
        );
        syn::parse_file(&plain[name]).unwrap();
    }
    // A rustfmt that cannot run: the default never notices, rustfmt(true)
    // fails with a message naming the parameter.
    let missing = scratch("layout-missing");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "rustfmt_that_cannot_run"])
        .env("PIPELINE_OUT", &missing)
        .env("RUSTFMT", "/nonexistent/rustfmt")
        .env_remove("PROTOC")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    if protoway_codegen::render::rustfmt("").is_err() {
        eprintln!("SKIPPED rustfmt(true) output check: no rustfmt on this machine");
        return;
    }
    let formatted = scratch("layout-rustfmt");
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&formatted)
        .emit_rerun_if_changed(false)
        .rustfmt(true)
        .compile(&[LIBRARY], &library_includes())
        .unwrap();
    let formatted = outputs(&formatted);
    for name in ["library.v1.http.rs", "library.v1.errors.rs"] {
        assert_eq!(
            protoway_codegen::render::rustfmt_check(&formatted[name]),
            Ok(())
        );
    }
    // prettyplease lays out some calls differently (the errors file happens
    // to be laid out alike).
    let http = "library.v1.http.rs";
    assert_ne!(formatted[http], plain[http], "rustfmt changed nothing");
}

/// Run by the test above in a child process, with `RUSTFMT` pointing nowhere.
#[test]
#[ignore = "run by generated_code_is_prettyplease_unless_rustfmt_is_asked_for"]
fn rustfmt_that_cannot_run() {
    let out = std::env::var_os("PIPELINE_OUT").expect("PIPELINE_OUT");
    let build = |rustfmt: bool| {
        protoway_build::configure()
            .use_protoc(false)
            .out_dir(&out)
            .emit_rerun_if_changed(false)
            .rustfmt(rustfmt)
            .compile(&[LIBRARY], &library_includes())
    };
    build(false).unwrap();
    let error = build(true).unwrap_err().to_string();
    assert!(
        error.contains("parameter `rustfmt`: cannot run /nonexistent/rustfmt"),
        "{error}"
    );
}

/// `strict(true)` turns kratos' warnings into located errors.
#[test]
fn strict_turns_warnings_into_errors() {
    let includes = [format!("{ROOT}/testdata/http")];
    let lenient = scratch("lenient");
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&lenient)
        .emit_rerun_if_changed(false)
        .openapi(lenient.join("openapi.yaml"))
        .compile(&["bad/kratos_lenient.proto"], &includes)
        .unwrap();
    assert!(outputs(&lenient).contains_key("lenient.v1.http.rs"));
    let error = protoway_build::configure()
        .use_protoc(false)
        .out_dir(scratch("strict"))
        .emit_rerun_if_changed(false)
        .strict(true)
        .compile(&["bad/kratos_lenient.proto"], &includes)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "bad/kratos_lenient.proto:10:3: method Lenient.Find: GET /v1/things/{name} has a body"
        ),
        "{error}"
    );
}

/// `OutputMode::SourceRelative` writes one document per proto beside the
/// path given (the typed value, not a string compared).
#[test]
fn source_relative_documents() {
    let relative = scratch("relative");
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&relative)
        .emit_rerun_if_changed(false)
        .openapi(relative.join("docs/openapi.yaml"))
        .openapi_output_mode(OutputMode::SourceRelative)
        .compile(&[LIBRARY], &library_includes())
        .unwrap();
    assert!(
        relative
            .join("docs/library/v1/library.openapi.yaml")
            .is_file()
    );
    assert!(!relative.join("docs/openapi.yaml").exists());
}

/// prost-build's configuration passes through (a `type_attribute`,
/// `bytes`), and `include_file` writes one module tree with every file.
#[test]
fn prost_configuration_and_include_file() {
    let out = scratch("prost-config");
    let mut prost = prost_build::Config::new();
    prost.type_attribute(".library.v1.Shelf", "#[derive(Hash)]");
    prost.btree_map(["."]);
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .include_file("protos.rs")
        .compile_with_config(prost, &[LIBRARY], &library_includes())
        .unwrap();
    let files = outputs(&out);
    assert!(files["library.v1.rs"].contains("#[derive(Hash)]"));
    assert_eq!(
        files["protos.rs"],
        "// @generated by protoway-build. Do not edit.\n\
         pub mod library {\n    pub mod v1 {\n        \
         include!(concat!(env!(\"OUT_DIR\"), \"/library.v1.rs\"));\n        \
         include!(concat!(env!(\"OUT_DIR\"), \"/library.v1.serde.rs\"));\n        \
         include!(concat!(env!(\"OUT_DIR\"), \"/library.v1.http.rs\"));\n        \
         include!(concat!(env!(\"OUT_DIR\"), \"/library.v1.errors.rs\"));\n    }\n}\n"
    );
    // With emit=include prost's file brings ours: the tree names it alone
    // (and serde).
    let included = scratch("include-file-emit");
    protoway_build::configure()
        .use_protoc(false)
        .out_dir(&included)
        .emit_rerun_if_changed(false)
        .emit(Emit::Include)
        .include_file("protos.rs")
        .compile(&[LIBRARY], &library_includes())
        .unwrap();
    let tree = &outputs(&included)["protos.rs"];
    assert!(
        !tree.contains("http.rs") && tree.contains("library.v1.serde.rs"),
        "{tree}"
    );
}

#[test]
fn compile_errors_name_the_file() {
    let out = scratch("errors");
    for builder in [
        protoway_build::configure().use_protoc(false),
        protoway_build::configure().protoc(protoc()),
    ] {
        let error = builder
            .out_dir(&out)
            .emit_rerun_if_changed(false)
            .compile(&["library/v1/missing.proto"], &library_includes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing.proto"), "{error}");
    }
}
