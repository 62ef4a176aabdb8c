//! The server under test: reads a
//! length-prefixed `ServerCompatRequest` on stdin, serves the suite's
//! `ConformanceService` (unary methods; its streaming methods are left out by
//! the generator) on a loopback port over HTTP/1.1 and h2c, and writes the
//! `ServerCompatResponse` with that port on stdout.

// Every message of the suite, most of them for the streaming methods this
// server leaves out.
#[allow(dead_code)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/connectrpc.conformance.v1.rs"));
    include!(concat!(
        env!("OUT_DIR"),
        "/connectrpc.conformance.v1.serde.rs"
    ));
    include!(concat!(
        env!("OUT_DIR"),
        "/connectrpc.conformance.v1.http.rs"
    ));
}

use pb::conformance_service_http::{self, ConformanceService};
use pb::*;
use prost::Message;
use protoway::server::{Request, Response};
use protoway::status::GrpcCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Conformance;

/// What the server saw, echoed back in every reply.
fn request_info<M: Message>(
    request: &Request<M>,
    type_name: &str,
) -> conformance_payload::RequestInfo {
    let mut request_headers: Vec<Header> = Vec::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match request_headers.iter_mut().find(|h| h.name == name.as_str()) {
            Some(h) => h.value.push(value),
            None => request_headers.push(Header {
                name: name.as_str().to_owned(),
                value: vec![value],
            }),
        }
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let timeout_ms = header("connect-timeout-ms")
        .and_then(|v| v.parse().ok())
        .or_else(|| header("grpc-timeout").and_then(grpc_timeout_ms));
    conformance_payload::RequestInfo {
        request_headers,
        timeout_ms,
        requests: vec![pbjson_types::Any {
            type_url: format!("type.googleapis.com/connectrpc.conformance.v1.{type_name}"),
            value: request.get_ref().encode_to_vec().into(),
        }],
        connect_get_info: (request.method() == axum::http::Method::GET).then(|| {
            let mut query_params: Vec<Header> = Vec::new();
            for pair in request.uri().query().unwrap_or("").split('&') {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                match query_params.iter_mut().find(|h| h.name == name) {
                    Some(h) => h.value.push(value.to_owned()),
                    None => query_params.push(Header {
                        name: name.to_owned(),
                        value: vec![value.to_owned()],
                    }),
                }
            }
            conformance_payload::ConnectGetInfo { query_params }
        }),
    }
}

fn grpc_timeout_ms(value: &str) -> Option<i64> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: i64 = digits.parse().ok()?;
    Some(match unit {
        "H" => n * 3_600_000,
        "M" => n * 60_000,
        "S" => n * 1000,
        "m" => n,
        "u" => n / 1000,
        "n" => n / 1_000_000,
        _ => return None,
    })
}

/// The reply a definition asks for.
async fn respond<R: Default>(
    definition: Option<UnaryResponseDefinition>,
    info: conformance_payload::RequestInfo,
    reply: impl FnOnce(ConformancePayload) -> R,
) -> Result<Response<R>, protoway::Error> {
    let definition = definition.unwrap_or_default();
    if definition.response_delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(
            definition.response_delay_ms.into(),
        ))
        .await;
    }
    let data = match definition.response {
        Some(unary_response_definition::Response::Error(error)) => {
            // The error as defined, then what the server saw (the suite
            // checks both, in this order).
            let mut reply = protoway::Error::from_grpc(
                GrpcCode::from_i32(error.code),
                "",
                error.message.unwrap_or_default(),
            );
            for detail in error.details {
                reply = reply.with_detail(detail.type_url, detail.value.to_vec());
            }
            for (name, value) in pairs(definition.response_headers) {
                reply = reply.with_header(name, value);
            }
            for (name, value) in pairs(definition.response_trailers) {
                reply = reply.with_trailer(name, value);
            }
            return Err(reply.with_detail(
                "type.googleapis.com/connectrpc.conformance.v1.ConformancePayload.RequestInfo",
                info.encode_to_vec(),
            ));
        }
        Some(unary_response_definition::Response::ResponseData(data)) => data,
        None => Default::default(),
    };
    let mut response = Response::new(reply(ConformancePayload {
        data,
        request_info: Some(info),
    }));
    response
        .headers_mut()
        .extend(pairs(definition.response_headers));
    response
        .trailers_mut()
        .extend(pairs(definition.response_trailers));
    Ok(response)
}

/// The suite's headers (or trailers), skipping what HTTP cannot carry.
fn pairs(
    headers: Vec<Header>,
) -> impl Iterator<Item = (axum::http::HeaderName, axum::http::HeaderValue)> {
    headers.into_iter().flat_map(|header| {
        let name = axum::http::HeaderName::from_bytes(header.name.as_bytes()).ok();
        header.value.into_iter().filter_map(move |value| {
            Some((
                name.clone()?,
                axum::http::HeaderValue::from_str(&value).ok()?,
            ))
        })
    })
}

impl ConformanceService for Conformance {
    async fn unary(
        &self,
        request: Request<UnaryRequest>,
    ) -> Result<Response<UnaryResponse>, protoway::Error> {
        let info = request_info(&request, "UnaryRequest");
        let definition = request.into_inner().response_definition;
        respond(definition, info, |payload| UnaryResponse {
            payload: Some(payload),
        })
        .await
    }

    async fn idempotent_unary(
        &self,
        request: Request<IdempotentUnaryRequest>,
    ) -> Result<Response<IdempotentUnaryResponse>, protoway::Error> {
        let info = request_info(&request, "IdempotentUnaryRequest");
        let definition = request.into_inner().response_definition;
        respond(definition, info, |payload| IdempotentUnaryResponse {
            payload: Some(payload),
        })
        .await
    }
}

pub async fn main() {
    let mut stdin = tokio::io::stdin();
    let len = stdin.read_u32().await.expect("length prefix") as usize;
    let mut request = vec![0; len];
    stdin
        .read_exact(&mut request)
        .await
        .expect("ServerCompatRequest");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let response = ServerCompatResponse {
        host: "127.0.0.1".into(),
        port: port.into(),
        pem_cert: Default::default(),
    };
    let bytes = response.encode_to_vec();
    let mut stdout = tokio::io::stdout();
    stdout.write_u32(bytes.len() as u32).await.expect("write");
    stdout.write_all(&bytes).await.expect("write");
    stdout.flush().await.expect("flush");
    let service = conformance_service_http::routes(Conformance).into_service();
    axum::serve(listener, service.into_make_service())
        .await
        .expect("serve");
}
