//! google.api.http path templates: tokenizer → parser → [`Template`].
//!
//! The grammar (google/api/http.proto):
//!
//! ```text
//! Template = "/" Segments [ Verb ] ;
//! Segments = Segment { "/" Segment } ;
//! Segment  = "*" | "**" | LITERAL | Variable ;
//! Variable = "{" FieldPath [ "=" Segments ] "}" ;
//! FieldPath = IDENT { "." IDENT } ;
//! Verb     = ":" LITERAL ;
//! ```
//!
//! Shared by the code generators (validation at generation time, with the
//! error's byte offset) and the runtime matcher, so both read a template the
//! same way. Deliberate choices: a literal may follow `**` (grpc-gateway
//! accepts `/**/tail`), but a second `**` is an error; `/` alone is the root
//! (zero segments); a trailing `:` is an empty verb, i.e. none.

use std::fmt;

/// One path segment of a template, variables flattened into their segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Literal text as written in the template (percent-escapes kept).
    Literal(String),
    /// `*`: exactly one segment.
    Single,
    /// `**`: zero or more segments.
    Multi,
}

/// A `{field.path=segments}` variable: which field it fills and which
/// segments (indices into [`Template::segments`]) it captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Field path components, e.g. `["book", "name"]`.
    pub field_path: Vec<String>,
    /// First captured segment.
    pub start: usize,
    /// One past the last captured segment.
    pub end: usize,
}

impl Variable {
    /// The dotted field path, `book.name`.
    pub fn dotted(&self) -> String {
        self.field_path.join(".")
    }
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The flat segment list.
    pub segments: Vec<Segment>,
    /// Variables in order of appearance.
    pub variables: Vec<Variable>,
    /// Custom verb after the last `:`, if any.
    pub verb: Option<String>,
}

/// Why a template does not parse, and where (byte offset into the template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the offending character.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Lexical tokens of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// `/`
    Slash,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `=`
    Eq,
    /// `.`
    Dot,
    /// `*`
    Star,
    /// `**`
    StarStar,
    /// `:` followed by the verb text (the rest of the template).
    Verb(&'a str),
    /// A run of literal characters (unreserved, sub-delims, `:`, `@`, `%XX`).
    Text(&'a str),
}

/// Splits a template into tokens with their byte offsets.
///
/// The verb starts at the first `:` outside braces after the last `/`
/// outside braces; a `:` anywhere else is literal text.
pub fn tokenize(template: &str) -> Result<Vec<(usize, Token<'_>)>, ParseError> {
    let bytes = template.as_bytes();
    let verb_at = verb_offset(template);
    let body_end = verb_at.unwrap_or(bytes.len());
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < body_end {
        let c = bytes[i];
        let single = match c {
            b'/' => Some(Token::Slash),
            b'{' => Some(Token::LBrace),
            b'}' => Some(Token::RBrace),
            b'=' if inside_braces_name(&tokens) => Some(Token::Eq),
            b'.' if inside_braces_name(&tokens) => Some(Token::Dot),
            // `*` and `**` are wildcards only as a whole segment; inside a
            // literal (`a*b`) `*` is a sub-delim like any other.
            b'*' if starts_segment(bytes, i) => {
                let len = if bytes.get(i + 1) == Some(&b'*') && i + 1 < body_end {
                    2
                } else {
                    1
                };
                if ends_segment(bytes, i + len, body_end) {
                    tokens.push((
                        i,
                        if len == 2 {
                            Token::StarStar
                        } else {
                            Token::Star
                        },
                    ));
                    i += len;
                    continue;
                }
                None
            }
            _ => None,
        };
        if let Some(token) = single {
            tokens.push((i, token));
            i += 1;
            continue;
        }
        let start = i;
        while i < body_end && is_literal_byte(bytes[i], &tokens) {
            if bytes[i] == b'%' {
                check_escape(bytes, i)?;
                i += 3;
            } else {
                i += 1;
            }
        }
        if i == start {
            return Err(error(
                i,
                format!("invalid character {:?}", char_at(template, i)),
            ));
        }
        tokens.push((start, Token::Text(&template[start..i])));
    }
    if let Some(at) = verb_at {
        let verb = &template[at + 1..];
        let vb = verb.as_bytes();
        let mut j = 0;
        while j < vb.len() {
            if vb[j] == b'%' {
                check_escape(vb, j).map_err(|e| error(at + 1 + e.offset, e.message))?;
                j += 3;
            } else if is_pchar(vb[j]) {
                j += 1;
            } else {
                return Err(error(
                    at + 1 + j,
                    format!("invalid character {:?} in verb", char_at(verb, j)),
                ));
            }
        }
        tokens.push((at, Token::Verb(verb)));
    }
    Ok(tokens)
}

fn starts_segment(bytes: &[u8], i: usize) -> bool {
    i > 0 && matches!(bytes[i - 1], b'/' | b'=')
}

fn ends_segment(bytes: &[u8], i: usize, end: usize) -> bool {
    i >= end || matches!(bytes[i], b'/' | b'}')
}

/// Where the verb's `:` is, if the template has one.
fn verb_offset(template: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut last_slash = None;
    for (i, c) in template.bytes().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'/' if depth == 0 => last_slash = Some(i),
            _ => {}
        }
    }
    let from = last_slash?;
    let mut depth = 0usize;
    for (i, c) in template.bytes().enumerate().skip(from) {
        match c {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Inside `{` and before `=`, `.` separates field names.
fn inside_braces_name(tokens: &[(usize, Token<'_>)]) -> bool {
    for (_, t) in tokens.iter().rev() {
        match t {
            Token::LBrace => return true,
            Token::RBrace | Token::Eq | Token::Slash => return false,
            _ => {}
        }
    }
    false
}

fn is_literal_byte(c: u8, tokens: &[(usize, Token<'_>)]) -> bool {
    match c {
        b'/' | b'{' | b'}' => false,
        b'.' | b'=' => !inside_braces_name(tokens),
        _ => is_pchar(c) || c == b'%' || c == b'*' || c == b'=',
    }
}

/// RFC 3986 pchar minus `%` (handled separately) and the template's own
/// delimiters.
fn is_pchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'+'
                | b','
                | b';'
                | b':'
                | b'@'
        )
}

fn check_escape(bytes: &[u8], i: usize) -> Result<(), ParseError> {
    let ok =
        bytes.len() > i + 2 && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit();
    if ok {
        Ok(())
    } else {
        Err(error(i, "malformed percent-escape".to_string()))
    }
}

fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().unwrap_or('\0')
}

fn error(offset: usize, message: String) -> ParseError {
    ParseError { offset, message }
}

/// Parses a template.
pub fn parse(template: &str) -> Result<Template, ParseError> {
    Parser::new(template)?.template()
}

struct Parser<'a> {
    tokens: Vec<(usize, Token<'a>)>,
    pos: usize,
    len: usize,
    segments: Vec<Segment>,
    variables: Vec<Variable>,
}

impl<'a> Parser<'a> {
    fn new(template: &'a str) -> Result<Self, ParseError> {
        Ok(Parser {
            tokens: tokenize(template)?,
            pos: 0,
            len: template.len(),
            segments: Vec::new(),
            variables: Vec::new(),
        })
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).map(|(_, t)| *t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.len, |(o, _)| *o)
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(error(self.offset(), message.into()))
    }

    fn template(mut self) -> Result<Template, ParseError> {
        if self.next() != Some(Token::Slash) {
            return Err(error(0, "a template starts with '/'".into()));
        }
        // `/` alone, or `/:verb`, is the root: zero segments.
        if !matches!(self.peek(), None | Some(Token::Verb(_))) {
            self.segments_until_end(false)?;
        }
        let verb = match self.next() {
            None => None,
            Some(Token::Verb(v)) => Some(v.to_string()).filter(|v| !v.is_empty()),
            Some(_) => return self.fail("unexpected token after the path"),
        };
        if self
            .segments
            .iter()
            .filter(|s| **s == Segment::Multi)
            .count()
            > 1
        {
            return Err(error(0, "a template may contain only one '**'".into()));
        }
        Ok(Template {
            segments: self.segments,
            variables: self.variables,
            verb,
        })
    }

    /// Segments separated by `/`, until the end (top level) or a `}`.
    fn segments_until_end(&mut self, in_variable: bool) -> Result<(), ParseError> {
        loop {
            self.segment(in_variable)?;
            match self.peek() {
                Some(Token::Slash) => {
                    self.pos += 1;
                }
                None | Some(Token::Verb(_)) if !in_variable => return Ok(()),
                Some(Token::RBrace) if in_variable => return Ok(()),
                None => return self.fail("unterminated variable: missing '}'"),
                Some(_) => return self.fail("expected '/' between segments"),
            }
        }
    }

    fn segment(&mut self, in_variable: bool) -> Result<(), ParseError> {
        match self.next() {
            Some(Token::Star) => self.segments.push(Segment::Single),
            Some(Token::StarStar) => self.segments.push(Segment::Multi),
            Some(Token::Text(t)) => self.segments.push(Segment::Literal(t.to_string())),
            Some(Token::Dot) => {
                // A literal that starts with '.', only possible after '{…='.
                self.pos -= 1;
                return self.fail("unexpected '.'");
            }
            Some(Token::LBrace) if in_variable => {
                self.pos -= 1;
                return self.fail("a variable may not contain another variable");
            }
            Some(Token::LBrace) => self.variable()?,
            None | Some(Token::Verb(_)) => {
                self.pos -= 1;
                return if in_variable {
                    self.fail("unterminated variable: missing '}'")
                } else {
                    self.fail("empty segment")
                };
            }
            Some(_) => {
                self.pos -= 1;
                return self.fail("empty segment");
            }
        }
        // A segment ends at '/', '}', the verb or the end; `v1{name}` is not
        // a segment.
        match self.peek() {
            None | Some(Token::Slash) | Some(Token::Verb(_)) | Some(Token::RBrace) => Ok(()),
            Some(_) => self.fail("expected '/' after a segment"),
        }
    }

    fn variable(&mut self) -> Result<(), ParseError> {
        let mut field_path = Vec::new();
        loop {
            let at = self.offset();
            match self.next() {
                Some(Token::Text(name)) if is_ident(name) => field_path.push(name.to_string()),
                Some(Token::Text(name)) => {
                    return Err(error(at, format!("invalid field name {name:?}")));
                }
                None => return Err(error(at, "unterminated variable: missing '}'".into())),
                Some(_) => return Err(error(at, "expected a field name".into())),
            }
            match self.peek() {
                Some(Token::Dot) => self.pos += 1,
                _ => break,
            }
        }
        let start = self.segments.len();
        match self.next() {
            Some(Token::RBrace) => {
                self.segments.push(Segment::Single);
            }
            Some(Token::Eq) => {
                self.segments_until_end(true)?;
                if self.next() != Some(Token::RBrace) {
                    self.pos -= 1;
                    return self.fail("unterminated variable: missing '}'");
                }
            }
            None => return self.fail("unterminated variable: missing '}'"),
            Some(_) => {
                self.pos -= 1;
                return self.fail("expected '=' or '}' after the field path");
            }
        }
        self.variables.push(Variable {
            field_path,
            start,
            end: self.segments.len(),
        });
        Ok(())
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for Template {
    /// The canonical form: variables as `{path=segments}` unless they are a
    /// plain `{path}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut i = 0;
        if self.segments.is_empty() {
            f.write_str("/")?;
        }
        while i < self.segments.len() {
            f.write_str("/")?;
            if let Some(v) = self.variables.iter().find(|v| v.start == i && v.end > i) {
                f.write_str("{")?;
                f.write_str(&v.dotted())?;
                let inner = &self.segments[v.start..v.end];
                if inner != [Segment::Single] {
                    f.write_str("=")?;
                    for (k, s) in inner.iter().enumerate() {
                        if k > 0 {
                            f.write_str("/")?;
                        }
                        write!(f, "{s}")?;
                    }
                }
                f.write_str("}")?;
                i = v.end;
            } else {
                write!(f, "{}", self.segments[i])?;
                i += 1;
            }
        }
        if let Some(verb) = &self.verb {
            write!(f, ":{verb}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Segment {
    /// As written in a template: the literal, `*` or `**`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Literal(l) => f.write_str(l),
            Segment::Single => f.write_str("*"),
            Segment::Multi => f.write_str("**"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(t: &Template) -> Vec<String> {
        t.segments.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn table() {
        let ok: &[(&str, &[&str], Option<&str>)] = &[
            ("/", &[], None),
            ("/v1", &["v1"], None),
            ("/v1/*", &["v1", "*"], None),
            ("/v1/{name}:cancel", &["v1", "*"], Some("cancel")),
            (
                "/v1/{name=shelves/*/books/*}",
                &["v1", "shelves", "*", "books", "*"],
                None,
            ),
            ("/v1/{name=**}", &["v1", "**"], None),
            (
                "/v1/{book.name=a/*}/x:do:it",
                &["v1", "a", "*", "x"],
                Some("do:it"),
            ),
            ("/v1/a.b/c", &["v1", "a.b", "c"], None),
            ("/v1/{n=a:b}", &["v1", "a:b"], None),
            ("/v1:LOCK", &["v1"], Some("LOCK")),
        ];
        for (template, want, verb) in ok {
            let t = parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
            assert_eq!(segs(&t), *want, "{template}");
            assert_eq!(t.verb.as_deref(), *verb, "{template}");
        }
        let bad: &[(&str, usize)] = &[
            ("", 0),
            ("v1", 0),
            ("/v1//x", 4),
            ("/{a={b}}", 4),
            ("/**/x/**", 0),
            ("/{name", 6),
            ("/v1{name}", 3),
            ("/{name.}", 7),
            ("/a?b", 2),
            ("/a%2z", 2),
            ("/{}", 2),
            ("/x/", 3),
        ];
        for (template, offset) in bad {
            let e = parse(template).expect_err(template);
            assert_eq!(e.offset, *offset, "{template}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for t in [
            "/",
            "/v1/{name}:cancel",
            "/v1/{name=shelves/*/books/*}",
            "/v1/{a.b=x/**}:do",
            "/**",
        ] {
            assert_eq!(parse(t).unwrap().to_string(), t);
        }
    }
}
