//! The server under test: reads a
//! length-prefixed `ServerCompatRequest` on stdin, serves the suite's
//! `ConformanceService` (unary and streaming methods) on a loopback port over
//! HTTP/1.1 and h2c, and writes the `ServerCompatResponse` with that port on
//! stdout.

// Every message of the suite, some for methods this server does not serve.
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
use protoway::server::{Request, Response, Streaming};
use protoway::status::GrpcCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Conformance;

/// What the server saw, echoed back in every reply.
fn request_info<T>(
    request: &Request<T>,
    requests: Vec<pbjson_types::Any>,
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
        requests,
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

/// A request as the suite's `Any`.
fn any<M: Message>(type_name: &str, message: &M) -> pbjson_types::Any {
    pbjson_types::Any {
        type_url: format!("type.googleapis.com/connectrpc.conformance.v1.{type_name}"),
        value: message.encode_to_vec().into(),
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
    delay(definition.response_delay_ms).await;
    let data = match definition.response {
        Some(unary_response_definition::Response::Error(error)) => {
            // The error as defined, then what the server saw (the suite
            // checks both, in this order).
            let mut reply = definition_error(error, Some(&info));
            for (name, value) in pairs(definition.response_headers) {
                reply = reply.with_header(name, value);
            }
            for (name, value) in pairs(definition.response_trailers) {
                reply = reply.with_trailer(name, value);
            }
            return Err(reply);
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

/// The error a definition asks for, with `info` as its last detail when
/// no reply was sent before it.
fn definition_error(
    error: Error,
    info: Option<&conformance_payload::RequestInfo>,
) -> protoway::Error {
    let mut reply = protoway::Error::from_grpc(
        GrpcCode::from_i32(error.code),
        "",
        error.message.unwrap_or_default(),
    );
    for detail in error.details {
        reply = reply.with_detail(detail.type_url, detail.value.to_vec());
    }
    if let Some(info) = info {
        reply = reply.with_detail(
            "type.googleapis.com/connectrpc.conformance.v1.ConformancePayload.RequestInfo",
            info.encode_to_vec(),
        );
    }
    reply
}

/// A stream's replies, sent by a task through a channel: dropping the
/// stream closes the channel, and the task stops at its next send.
struct Replies<R>(tokio::sync::mpsc::Receiver<Result<R, protoway::Error>>);

impl<R> protoway::Stream for Replies<R> {
    type Item = Result<R, protoway::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Sends `definition`'s replies (`make(data, first)`) on `send`, each after
/// the delay, then its error if any (with `info` when nothing was sent).
async fn send_replies<R>(
    send: &tokio::sync::mpsc::Sender<Result<R, protoway::Error>>,
    definition: &StreamResponseDefinition,
    from: usize,
    mut make: impl FnMut(Vec<u8>, usize) -> R,
) -> Option<usize> {
    let mut sent = from;
    for data in definition.response_data.iter().skip(from) {
        delay(definition.response_delay_ms).await;
        send.send(Ok(make(data.to_vec(), sent))).await.ok()?;
        sent += 1;
    }
    Some(sent)
}

async fn delay(ms: u32) {
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms.into())).await;
    }
}

/// The response of a stream: its headers and trailers from `definition`.
fn stream_response<R>(
    stream: Streaming<R>,
    definition: &StreamResponseDefinition,
) -> Response<Streaming<R>> {
    let mut response = Response::new(stream);
    response
        .headers_mut()
        .extend(pairs(definition.response_headers.clone()));
    response
        .trailers_mut()
        .extend(pairs(definition.response_trailers.clone()));
    response
}

/// An error before any reply: with the definition's headers and trailers.
fn stream_error(
    error: Error,
    info: &conformance_payload::RequestInfo,
    definition: &StreamResponseDefinition,
) -> protoway::Error {
    let mut reply = definition_error(error, Some(info));
    for (name, value) in pairs(definition.response_headers.clone()) {
        reply = reply.with_header(name, value);
    }
    for (name, value) in pairs(definition.response_trailers.clone()) {
        reply = reply.with_trailer(name, value);
    }
    reply
}

impl ConformanceService for Conformance {
    async fn unary(
        &self,
        request: Request<UnaryRequest>,
    ) -> Result<Response<UnaryResponse>, protoway::Error> {
        let info = request_info(&request, vec![any("UnaryRequest", request.get_ref())]);
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
        let info = request_info(
            &request,
            vec![any("IdempotentUnaryRequest", request.get_ref())],
        );
        let definition = request.into_inner().response_definition;
        respond(definition, info, |payload| IdempotentUnaryResponse {
            payload: Some(payload),
        })
        .await
    }

    async fn server_stream(
        &self,
        request: Request<ServerStreamRequest>,
    ) -> Result<Response<Streaming<ServerStreamResponse>>, protoway::Error> {
        let info = request_info(
            &request,
            vec![any("ServerStreamRequest", request.get_ref())],
        );
        let definition = request.into_inner().response_definition.unwrap_or_default();
        if definition.response_data.is_empty() {
            return match definition.error.clone() {
                Some(error) => Err(stream_error(error, &info, &definition)),
                None => Ok(stream_response(Streaming::from_messages([]), &definition)),
            };
        }
        let (send, receive) = tokio::sync::mpsc::channel(1);
        let task_definition = definition.clone();
        tokio::spawn(async move {
            let mut info = Some(info);
            let sent = send_replies(&send, &task_definition, 0, |data, _| ServerStreamResponse {
                payload: Some(ConformancePayload {
                    data,
                    request_info: info.take(),
                }),
            })
            .await;
            if let (Some(_), Some(error)) = (sent, task_definition.error.clone()) {
                let _ = send.send(Err(definition_error(error, None))).await;
            }
        });
        Ok(stream_response(
            Streaming::new(Replies(receive)),
            &definition,
        ))
    }

    async fn client_stream(
        &self,
        request: Request<Streaming<ClientStreamRequest>>,
    ) -> Result<Response<ClientStreamResponse>, protoway::Error> {
        let mut info = request_info(&request, Vec::new());
        let mut definition = None;
        let mut stream = request.into_inner();
        while let Some(r) = stream.message().await? {
            info.requests.push(any("ClientStreamRequest", &r));
            if info.requests.len() == 1 {
                definition = r.response_definition;
            }
        }
        respond(definition, info, |payload| ClientStreamResponse {
            payload: Some(payload),
        })
        .await
    }

    async fn bidi_stream(
        &self,
        request: Request<Streaming<BidiStreamRequest>>,
    ) -> Result<Response<Streaming<BidiStreamResponse>>, protoway::Error> {
        let headers_info = request_info(&request, Vec::new());
        let mut stream = request.into_inner();
        // The first request says what to send: read before the headers.
        let Some(first) = stream.message().await? else {
            return Ok(Response::new(Streaming::from_messages([])));
        };
        let definition = first.response_definition.clone().unwrap_or_default();
        let full_duplex = first.full_duplex;
        let (send, receive) = tokio::sync::mpsc::channel(1);
        let task_definition = definition.clone();
        tokio::spawn(async move {
            let definition = task_definition;
            let mut requests = vec![any("BidiStreamRequest", &first)];
            let payload = |data: Vec<u8>, n: usize, requests: &mut Vec<pbjson_types::Any>| {
                let request_info = if n == 0 {
                    Some(conformance_payload::RequestInfo {
                        requests: std::mem::take(requests),
                        ..headers_info.clone()
                    })
                } else {
                    Some(conformance_payload::RequestInfo {
                        requests: std::mem::take(requests),
                        ..Default::default()
                    })
                };
                BidiStreamResponse {
                    payload: Some(ConformancePayload { data, request_info }),
                }
            };
            // Full duplex: a reply after each request, while replies are
            // left; half duplex: every request first. Then the rest.
            let (mut sent, mut reading) = (0, true);
            loop {
                if full_duplex || !reading {
                    let Some(data) = definition.response_data.get(sent) else {
                        break;
                    };
                    delay(definition.response_delay_ms).await;
                    let reply = payload(data.to_vec(), sent, &mut requests);
                    if send.send(Ok(reply)).await.is_err() {
                        return;
                    }
                    sent += 1;
                }
                if reading {
                    match stream.message().await {
                        Ok(Some(r)) => requests.push(any("BidiStreamRequest", &r)),
                        Ok(None) => reading = false,
                        Err(e) => {
                            let _ = send.send(Err(e)).await;
                            return;
                        }
                    }
                }
            }
            if let Some(error) = definition.error.clone() {
                let info = (sent == 0).then(|| conformance_payload::RequestInfo {
                    requests: std::mem::take(&mut requests),
                    ..headers_info.clone()
                });
                let _ = send.send(Err(definition_error(error, info.as_ref()))).await;
            }
        });
        Ok(stream_response(
            Streaming::new(Replies(receive)),
            &definition,
        ))
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
