//! Plugin parameters: protoc's `--x_opt=key=value,flag` string, parsed once for every plugin.
//!
//! Values may contain `=` (`extern_path=.pkg=::crate::pkg`); a key may repeat
//! (`extern_path` does). A bare `flag` means `flag=true`. Unknown keys are an
//! error that lists the known ones, so a typo never silently does nothing.

use std::collections::BTreeMap;

use crate::output::{Emit, Output};

/// Parsed `key=value` pairs, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `parameter`, accepting only the keys in `known`.
    pub fn parse(parameter: &str, known: &[&str]) -> Result<Params, String> {
        let mut pairs = Vec::new();
        for item in parameter.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (key, value) = match item.split_once('=') {
                Some((key, value)) => (key.trim(), value.trim()),
                None => (item, "true"),
            };
            if !known.contains(&key) {
                let mut known = known.to_vec();
                known.sort_unstable();
                return Err(format!(
                    "unknown parameter `{key}`; known parameters: {}",
                    known.join(", ")
                ));
            }
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(Params { pairs })
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `key`, in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean flag: absent is `default`; `flag`, `flag=true`, `flag=false`.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(format!(
                "parameter `{key}` takes true or false, not `{other}`"
            )),
        }
    }

    /// A value from a fixed set of choices.
    pub fn choice<'a>(
        &self,
        key: &str,
        choices: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, String> {
        match self.get(key) {
            None => Ok(default),
            Some(value) => choices
                .iter()
                .copied()
                .find(|c| *c == value)
                .ok_or_else(|| {
                    format!(
                        "parameter `{key}` takes one of {}, not `{value}`",
                        choices.join(", ")
                    )
                }),
        }
    }

    /// `key=a=b` pairs split on their first `=` (`extern_path=.pkg=::pkg`).
    pub fn mappings(&self, key: &str) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        for value in self.get_all(key) {
            let (from, to) = value
                .split_once('=')
                .ok_or_else(|| format!("parameter `{key}` takes `from=to`, not `{value}`"))?;
            out.insert(from.to_owned(), to.to_owned());
        }
        Ok(out)
    }

    /// The settings every Rust-emitting plugin shares: `emit`,
    /// `flat_output_dir` and `default_package_filename` (where the
    /// `<package>.<suffix>.rs` code goes), `rustfmt` (its layout) and
    /// `runtime_crate` (checked to be a Rust path).
    pub fn common(&self, suffix: &'static str) -> Result<(Output, String), String> {
        let mut output = Output::new(suffix);
        output.emit =
            Emit::parse(self.choice("emit", Emit::CHOICES, "file")?).unwrap_or(Emit::File);
        if let Some(stem) = self.get("default_package_filename") {
            output.default_package_filename = stem.to_owned();
        }
        output.flat_output_dir = self.flag("flat_output_dir", false)?;
        if self.flag("rustfmt", false)? {
            output.layout = crate::render::Layout::Rustfmt;
        }
        let runtime_crate = self.get("runtime_crate").unwrap_or("::protoway").to_owned();
        if syn::parse_str::<syn::Path>(&runtime_crate).is_err() {
            return Err(format!(
                "parameter `runtime_crate` is not a Rust path: `{runtime_crate}`"
            ));
        }
        Ok((output, runtime_crate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["a", "flag", "extern_path", "mode"];

    #[test]
    fn parses_pairs_flags_and_repeats() {
        let p = Params::parse("a=1, flag,extern_path=.x=::y,extern_path=.z=::w=v", KNOWN).unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.flag("flag", false), Ok(true));
        assert_eq!(p.flag("missing", false), Ok(false));
        let m = p.mappings("extern_path").unwrap();
        assert_eq!(m[".x"], "::y");
        assert_eq!(m[".z"], "::w=v");
    }

    #[test]
    fn empty_parameter_is_fine() {
        assert_eq!(Params::parse("", KNOWN).unwrap(), Params::default());
        assert_eq!(Params::parse(",,", KNOWN).unwrap(), Params::default());
    }

    #[test]
    fn unknown_key_lists_known_keys() {
        let err = Params::parse("a=1,typo=2", KNOWN).unwrap_err();
        assert_eq!(
            err,
            "unknown parameter `typo`; known parameters: a, extern_path, flag, mode"
        );
    }

    #[test]
    fn bad_values_are_errors() {
        let p = Params::parse("flag=maybe,mode=x,extern_path=nope", KNOWN).unwrap();
        assert!(p.flag("flag", false).unwrap_err().contains("true or false"));
        assert!(
            p.choice("mode", &["file", "insert"], "file")
                .unwrap_err()
                .contains("file, insert")
        );
        assert!(p.mappings("extern_path").unwrap_err().contains("from=to"));
    }

    #[test]
    fn last_value_wins() {
        let p = Params::parse("mode=file,mode=insert", KNOWN).unwrap();
        assert_eq!(p.choice("mode", &["file", "insert"], "file"), Ok("insert"));
    }
}
