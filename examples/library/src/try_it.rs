//! The requests `cargo run -p library` prints for a newcomer to try, as
//! curl lines. One list: `main` prints it, `tests/http.rs` sends each
//! request exactly as curl would, in order, against a fresh server.

/// One request to try: what curl sends and the status it gets back.
#[derive(Debug, Clone, Copy)]
pub struct TryIt {
    pub method: &'static str,
    /// Path and query.
    pub target: &'static str,
    /// A JSON request body, sent with `Content-Type: application/json`.
    pub json: Option<&'static str>,
    /// The status a fresh server answers, when run in order.
    pub status: u16,
    /// What the line shows, printed after it as a shell comment.
    pub note: &'static str,
    /// Sent as a Connect call (`Connect-Protocol-Version: 1`).
    pub connect: bool,
    /// A stream of requests: `json` holds one message per line, sent as
    /// newline-delimited JSON; the replies stream back (`curl -N`).
    pub stream: bool,
}

/// The requests, in the order they make sense on a fresh server.
pub const TRY_IT: &[TryIt] = &[
    TryIt::get("/v1/shelves", "list the shelves"),
    TryIt::send(
        "POST",
        "/v1/shelves",
        r#"{"theme":"poetry"}"#,
        "a new shelf",
    ),
    TryIt::send(
        "POST",
        "/v1/shelves/1/books",
        r#"{"title":"Odes","author":"Keats"}"#,
        "a new book",
    ),
    TryIt::get(
        "/v1/shelves/1/books?pageSize=2&filter=Keats",
        "query parameters",
    ),
    TryIt::send(
        "PATCH",
        "/v1/shelves/1/books/1?updateMask=read",
        r#"{"read":true}"#,
        "a field mask",
    ),
    TryIt::send(
        "POST",
        "/v1/shelves/1/books/1:move",
        r#"{"otherShelfName":"shelves/2"}"#,
        "a custom verb",
    ),
    TryIt {
        status: 404,
        ..TryIt::get("/v1/shelves/404", "404 SHELF_NOT_FOUND, kratos error JSON")
    },
    TryIt::get("/openapi.yaml", "the generated OpenAPI document"),
    TryIt {
        connect: true,
        ..TryIt::send(
            "POST",
            "/library.v1.LibraryService/GetShelf",
            r#"{"name":"shelves/1"}"#,
            "the same service over Connect (gRPC and gRPC-Web: same port)",
        )
    },
    TryIt {
        stream: true,
        ..TryIt::send(
            "POST",
            "/v1/books:check",
            "{\"name\":\"shelves/1/books/2\"}\n{\"name\":\"shelves/2/books/3\"}",
            "a bidi stream: one book per name, as each arrives",
        )
    },
];

impl TryIt {
    const fn get(target: &'static str, note: &'static str) -> TryIt {
        TryIt {
            method: "GET",
            target,
            json: None,
            status: 200,
            note,
            connect: false,
            stream: false,
        }
    }

    const fn send(
        method: &'static str,
        target: &'static str,
        json: &'static str,
        note: &'static str,
    ) -> TryIt {
        TryIt {
            method,
            target,
            json: Some(json),
            status: 200,
            note,
            connect: false,
            stream: false,
        }
    }

    /// The curl line for a server at `addr` (`127.0.0.1:8000`).
    pub fn curl(&self, addr: impl std::fmt::Display) -> String {
        let mut line = String::from("curl -s");
        if self.stream {
            line.push('N');
        }
        if self.status >= 400 {
            line.push_str(" -i");
        }
        if self.method != "GET" {
            line.push_str(&format!(" -X {}", self.method));
        }
        line.push_str(&format!(" 'http://{addr}{}'", self.target));
        match self.json {
            Some(lines) if self.stream => line.push_str(&format!(
                " -H 'Content-Type: application/x-ndjson' --data-binary $'{}'",
                lines.replace('\n', "\\n")
            )),
            Some(json) => {
                line.push_str(&format!(" -H 'Content-Type: application/json' -d '{json}'"))
            }
            None => {}
        }
        if self.connect {
            line.push_str(" -H 'Connect-Protocol-Version: 1'");
        }
        format!("{line}   # {}", self.note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_sent_as_json() {
        let line = TRY_IT[1].curl("127.0.0.1:8000");
        assert_eq!(
            line,
            r#"curl -s -X POST 'http://127.0.0.1:8000/v1/shelves' -H 'Content-Type: application/json' -d '{"theme":"poetry"}'   # a new shelf"#
        );
        assert!(
            TRY_IT[6]
                .curl("h")
                .starts_with("curl -s -i 'http://h/v1/shelves/404'")
        );
    }
}
