//! The greeter over real HTTP on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;

use helloworld::pb::helloworld::v1 as pb;

/// Starts the app on an ephemeral loopback port.
fn serve() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, helloworld::app()).await.unwrap();
        });
    });
    addr
}

/// A plain HTTP/1.1 GET; returns (status, body).
fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[test]
fn greets_known_users_and_404s_the_rest() {
    let addr = serve();
    let (status, body) = get(addr, "/helloworld/kratos");
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"Hello kratos"}"#);

    let (status, body) = get(addr, "/helloworld/nobody");
    assert_eq!(status, 404);
    assert_eq!(
        body,
        r#"{"code":404,"reason":"USER_NOT_FOUND","message":"user not found: nobody","metadata":{}}"#
    );
    let err = protoway::Error::from_json(body.as_bytes()).unwrap();
    assert!(pb::is_user_not_found(&err));
}
