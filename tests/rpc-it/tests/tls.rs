//! gRPC, gRPC-Web and Connect over TLS on one port: the routes' service
//! behind tokio-rustls, HTTP/2 or HTTP/1.1 chosen by ALPN, served by
//! hyper-util's auto builder (what `axum::serve` does without TLS). The
//! certificates are `testdata/tls` (a test CA and a `localhost` leaf).

use std::sync::Arc;

use rpc_it::library::v1::library_service_client::LibraryServiceClient;
use rpc_it::library::v1::{CreateShelfRequest, GetShelfRequest, Shelf};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &str = include_str!("../../../testdata/tls/ca.pem");
const CERT: &str = include_str!("../../../testdata/tls/server.pem");
const KEY: &str = include_str!("../../../testdata/tls/server.key");

/// The crypto provider both sides use (ring: no C toolchain beyond cc).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Serves the library's routes over TLS on a fresh port: `https://localhost:{port}`.
async fn serve_tls() -> String {
    let certs = CertificateDer::pem_slice_iter(CERT.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    // gRPC needs HTTP/2: offer it first, HTTP/1.1 for gRPC-Web and curl.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = library::app();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, service) = (acceptor.clone(), service.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(
                    hyper_util::rt::TokioIo::new(tls),
                    hyper_util::service::TowerToHyperService::new(service),
                )
                .await;
            });
        }
    });
    format!("https://localhost:{port}")
}

#[tokio::test]
async fn a_tonic_client_calls_over_tls() {
    let base = serve_tls().await;
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(CA))
        .domain_name("localhost");
    let channel = tonic::transport::Endpoint::from_shared(base)
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = LibraryServiceClient::new(channel);
    let created = client
        .create_shelf(CreateShelfRequest {
            shelf: Some(Shelf {
                name: String::new(),
                theme: "secure".into(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.theme, "secure");
    let status = client
        .get_shelf(GetShelfRequest {
            name: "shelves/404".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(
        protoway::Error::from_status(&status).reason(),
        "SHELF_NOT_FOUND"
    );
}

#[tokio::test]
async fn connect_over_tls_with_http1_on_the_same_port() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = serve_tls().await;
    let port = base.rsplit(':').next().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(CA.as_bytes()) {
        roots.add(ca.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // A browser's gRPC-Web or Connect call without HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let body = r#"{"shelf":{"theme":"connect-tls"}}"#;
    let request = format!(
        "POST /library.v1.LibraryService/CreateShelf HTTP/1.1\r\nhost: localhost\r\n\
         content-type: application/json\r\nconnect-protocol-version: 1\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    tls.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains(r#""theme":"connect-tls""#), "{reply}");
}
