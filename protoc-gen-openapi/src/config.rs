//! Plugin parameters: every gnostic protoc-gen-openapi option under its
//! name and default, plus protoway's (`openapi`, `format`, `error_schema`)
//! and the rule options the server generator takes (so the document
//! describes the routes the server really has).

use protoway_codegen::http::HttpOptions;
use protoway_codegen::params::Params;
use serde_json::Value;

/// Every parameter this plugin knows.
pub const PARAMETERS: &[&str] = &[
    "version",
    "title",
    "description",
    "naming",
    "fq_schema_naming",
    "enum_type",
    "depth",
    "default_response",
    "output_mode",
    "openapi",
    "format",
    "error_schema",
    "default_routes",
    "default_routes_prefix",
    "allow_delete_body",
    "strict",
];

/// Field names in paths, parameters and schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// lowerCamel JSON names (gnostic's default; what the JSON mapping writes).
    Json,
    /// Proto field names.
    Proto,
}

/// Parameter `output_mode`: how many documents (gnostic's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// One document for every file of the request.
    Merged,
    /// One document per proto file, beside it.
    SourceRelative,
}

/// Parameter `format`: the document's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (the default).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }

    /// `doc` as text in this format.
    pub fn render(self, doc: &Value) -> String {
        match self {
            Format::Yaml => format!(
                "# Generated with protoc-gen-openapi (protoway) {}. Do not edit.\n\n{}",
                env!("CARGO_PKG_VERSION"),
                crate::yaml::to_yaml(doc)
            ),
            Format::Json => {
                let mut text = serde_json::to_string_pretty(doc).expect("documents serialize");
                text.push('\n');
                text
            }
        }
    }
}

/// The error body the default response describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSchema {
    /// protoway's (and kratos') `{"code","reason","message","metadata"}`.
    Protoway,
    /// `google.rpc.Status`, for grpc-gateway back ends.
    Status,
}

/// Every parameter of the plugin, parsed.
#[derive(Debug, Clone)]
pub struct Config {
    /// `info.version` (parameter `version`).
    pub version: String,
    /// `info.title`; the service's name without one.
    pub title: Option<String>,
    /// `info.description`; the service's comment without one.
    pub description: Option<String>,
    /// Field names: JSON or proto (parameter `naming`).
    pub naming: Naming,
    /// Schemas named with the package (`library.v1.Book`).
    pub fq_schema_naming: bool,
    /// Enums as strings (parameter `enum_type=string`).
    pub enum_as_string: bool,
    /// How many times one message type may recur in a flattened query
    /// parameter path.
    pub depth: usize,
    /// A `default` error response on every operation.
    pub default_response: bool,
    /// One document or one per file.
    pub output_mode: OutputMode,
    /// `3.0.3`, `3.1.0` or `3.2.0`.
    pub openapi: String,
    /// YAML or JSON.
    pub format: Format,
    /// The body the default response describes.
    pub error_schema: ErrorSchema,
    /// The route options shared with the http plugin.
    pub http: HttpOptions,
}

impl Config {
    /// The plugin parameter parsed; an error naming a bad or unknown key.
    pub fn from_parameter(parameter: &str) -> Result<Config, String> {
        let p = Params::parse(parameter, PARAMETERS)?;
        let depth = match p.get("depth") {
            None => 2,
            Some(d) => d
                .parse()
                .map_err(|_| format!("parameter `depth` is not a number: `{d}`"))?,
        };
        let prefix = p.get("default_routes_prefix").unwrap_or("").to_owned();
        Ok(Config {
            version: p.get("version").unwrap_or("0.0.1").to_owned(),
            title: p.get("title").map(str::to_owned),
            description: p.get("description").map(str::to_owned),
            naming: match p.choice("naming", &["json", "proto"], "json")? {
                "proto" => Naming::Proto,
                _ => Naming::Json,
            },
            fq_schema_naming: p.flag("fq_schema_naming", false)?,
            enum_as_string: p.choice("enum_type", &["integer", "string"], "integer")? == "string",
            depth,
            default_response: p.flag("default_response", true)?,
            output_mode: match p.choice("output_mode", &["merged", "source_relative"], "merged")? {
                "source_relative" => OutputMode::SourceRelative,
                _ => OutputMode::Merged,
            },
            openapi: p
                .choice("openapi", &["3.0.3", "3.1.0", "3.2.0"], "3.0.3")?
                .to_owned(),
            format: match p.choice("format", &["yaml", "json"], "yaml")? {
                "json" => Format::Json,
                _ => Format::Yaml,
            },
            error_schema: match p.choice("error_schema", &["protoway", "status"], "protoway")? {
                "status" => ErrorSchema::Status,
                _ => ErrorSchema::Protoway,
            },
            http: HttpOptions {
                default_routes: p.flag("default_routes", false)?,
                default_routes_prefix: prefix,
                allow_delete_body: p.flag("allow_delete_body", false)?,
                strict: p.flag("strict", false)?,
            },
        })
    }

    /// 3.1 and later documents use JSON Schema 2020-12 (`type: [x,
    /// "null"]`, …).
    pub fn is_31(&self) -> bool {
        !self.openapi.starts_with("3.0")
    }

    /// 3.2 documents describe streams with `itemSchema`.
    pub fn is_32(&self) -> bool {
        self.openapi.starts_with("3.2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnostic_defaults_and_errors() {
        let c = Config::from_parameter("").unwrap();
        assert_eq!(
            (c.naming, c.depth, c.default_response),
            (Naming::Json, 2, true)
        );
        assert_eq!(c.version, "0.0.1");
        let c = Config::from_parameter("naming=proto,fq_schema_naming=1,enum_type=string").unwrap();
        assert!(c.fq_schema_naming && c.enum_as_string && c.naming == Naming::Proto);
        assert!(Config::from_parameter("naming=snake").is_err());
        assert!(Config::from_parameter("depth=x").is_err());
        assert!(Config::from_parameter("nope=1").is_err());
    }
}
