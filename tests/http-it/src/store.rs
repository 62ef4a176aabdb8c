//! The bookstore service implementation the loopback tests serve (server
//! tests drive it with raw HTTP, client tests with the generated client).

use crate::bookstore::v1::bookstore_http::Bookstore;
use crate::bookstore::v1::*;
use crate::google::api::HttpBody;
use protoway::Error;
use protoway::server::{Request, Response};

/// Answers each RPC from its request, so tests can see what was bound.
pub struct Store;

impl Bookstore for Store {
    /// No HTTP rule: reached over gRPC, gRPC-Web and Connect.
    async fn internal(&self, request: Request<GetShelfRequest>) -> Result<Response<Shelf>, Error> {
        shelf_named("internal", request)
    }

    async fn get_shelf(&self, request: Request<GetShelfRequest>) -> Result<Response<Shelf>, Error> {
        shelf_named("shelves", request)
    }

    async fn download(
        &self,
        request: Request<GetShelfRequest>,
    ) -> Result<Response<protoway::Streaming<crate::google::api::HttpBody>>, Error> {
        let shelf = request.into_inner().shelf;
        let pieces =
            ["first,", "second,", shelf.as_str()].map(|data| crate::google::api::HttpBody {
                content_type: "text/csv".into(),
                data: data.as_bytes().to_vec(),
                extensions: Vec::new(),
            });
        Ok(Response::new(protoway::Streaming::from_messages(pieces)))
    }

    async fn upload_stream(
        &self,
        request: Request<protoway::Streaming<crate::google::api::HttpBody>>,
    ) -> Result<Response<UploadSummary>, Error> {
        let mut pieces = request.into_inner();
        let mut summary = UploadSummary::default();
        while let Some(piece) = pieces.message().await? {
            if summary.chunks == 0 {
                summary.content_type = piece.content_type;
            }
            summary.chunks += 1;
            summary.bytes += piece.data.len() as i64;
        }
        Ok(summary.into())
    }

    async fn watch_shelf(
        &self,
        request: Request<GetShelfRequest>,
    ) -> Result<Response<protoway::Streaming<Shelf>>, Error> {
        // Three versions of the shelf; shelf `broken` fails after the
        // first; shelf `quiet` sends one, then nothing, never ending.
        let shelf = request.into_inner().shelf;
        if shelf == "endless" {
            return Ok(Response::new(protoway::Streaming::new(Endless)));
        }
        if shelf == "quiet" {
            let first = Shelf {
                name: "shelves/quiet".into(),
                theme: "v1".into(),
            };
            return Ok(Response::new(protoway::Streaming::new(Quiet(Some(first)))));
        }
        let versions = (1..=3).map(move |v| {
            if shelf == "broken" && v > 1 {
                return Err(Error::service_unavailable(
                    "SHELF_OFFLINE",
                    "the shelf went away",
                ));
            }
            Ok(Shelf {
                name: format!("shelves/{shelf}"),
                theme: format!("v{v}"),
            })
        });
        let versions: Vec<_> = versions.collect();
        Ok(Response::new(protoway::Streaming::new(Versions(
            versions.into(),
        ))))
    }

    async fn get_special_shelf(
        &self,
        _: Request<GetShelfRequest>,
    ) -> Result<Response<Shelf>, Error> {
        Ok(Shelf {
            name: "shelves/special".into(),
            theme: "special".into(),
        }
        .into())
    }

    async fn get_book(&self, request: Request<GetBookRequest>) -> Result<Response<Book>, Error> {
        let name = request.into_inner().name;
        Ok(Book {
            name,
            title: "t".into(),
            pages: 1 << 40,
            ..Default::default()
        }
        .into())
    }

    async fn create_shelf(
        &self,
        request: Request<CreateShelfRequest>,
    ) -> Result<Response<Shelf>, Error> {
        let r = request.into_inner();
        let mut shelf = r.shelf.unwrap_or_default();
        shelf.name = format!("shelves/{}", r.shelf_id);
        Ok(Response::new(shelf).with_status(http::StatusCode::CREATED))
    }

    async fn update_book(
        &self,
        request: Request<UpdateBookRequest>,
    ) -> Result<Response<Book>, Error> {
        let r = request.into_inner();
        let mut book = r.book.unwrap_or_default();
        book.author = r.update_mask.map(|m| m.paths.join("+")).unwrap_or_default();
        Ok(book.into())
    }

    async fn list_books(
        &self,
        request: Request<ListBooksRequest>,
    ) -> Result<Response<ListBooksResponse>, Error> {
        let r = request.into_inner();
        Ok(ListBooksResponse {
            books: vec![Book {
                name: format!("{}/books/1", r.parent),
                ..Default::default()
            }],
            next_page_token: r.filter.clone(),
            page: Some(Page {
                size: r.page_size,
                token: r.page_token,
            }),
        }
        .into())
    }

    async fn move_book(&self, request: Request<MoveBookRequest>) -> Result<Response<Book>, Error> {
        let r = request.into_inner();
        Ok(Book {
            name: r.name,
            title: r.other_shelf,
            ..Default::default()
        }
        .into())
    }

    async fn delete_book(
        &self,
        _: Request<GetBookRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Error> {
        Ok(pbjson_types::Empty {}.into())
    }

    async fn check_shelf(
        &self,
        request: Request<GetShelfRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Error> {
        if request.get_ref().shelf == "missing" {
            return Err(error_shelf_not_found("no"));
        }
        Ok(Response::new(pbjson_types::Empty {}).with_header(
            http::header::HeaderName::from_static("x-shelf"),
            http::HeaderValue::from_static("yes"),
        ))
    }

    async fn echo(&self, request: Request<EchoMessage>) -> Result<Response<EchoMessage>, Error> {
        let method = request.method().to_string();
        let mut m = request.into_inner();
        m.note = format!("{method} {}", m.note);
        Ok(m.into())
    }

    async fn query(&self, request: Request<QueryMessage>) -> Result<Response<QueryMessage>, Error> {
        Ok(request.into_inner().into())
    }

    async fn get_number(
        &self,
        request: Request<NumberMessage>,
    ) -> Result<Response<NumberMessage>, Error> {
        Ok(request.into_inner().into())
    }

    async fn upload(&self, request: Request<UploadRequest>) -> Result<Response<HttpBody>, Error> {
        let r = request.into_inner();
        let data = r.data.unwrap_or_default();
        Ok(HttpBody {
            content_type: "text/plain".into(),
            data: format!(
                "{} got {} bytes of {}",
                r.name,
                data.data.len(),
                data.content_type
            )
            .into_bytes(),
            extensions: vec![],
        }
        .into())
    }

    async fn raw_echo(&self, request: Request<HttpBody>) -> Result<Response<HttpBody>, Error> {
        Ok(request.into_inner().into())
    }

    async fn old_get_shelf(
        &self,
        request: Request<GetShelfRequest>,
    ) -> Result<Response<Shelf>, Error> {
        self.get_shelf(request).await
    }
}

/// `{collection}/{shelf}` with the operation as its theme; shelf `missing`
/// is SHELF_NOT_FOUND with the shelf in the metadata.
fn shelf_named(
    collection: &str,
    request: Request<GetShelfRequest>,
) -> Result<Response<Shelf>, Error> {
    let operation = request.operation();
    let shelf = request.into_inner().shelf;
    if shelf == "missing" {
        return Err(error_shelf_not_found(format!("shelf {shelf} not found"))
            .with_metadata([("shelf", shelf)]));
    }
    Ok(Shelf {
        name: format!("{collection}/{shelf}"),
        theme: operation.to_string(),
    }
    .into())
}

/// Shelf versions as a stream.
struct Versions(std::collections::VecDeque<Result<Shelf, Error>>);

impl protoway::Stream for Versions {
    type Item = Result<Shelf, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front())
    }
}

/// One shelf, then silence.
struct Quiet(Option<Shelf>);

impl protoway::Stream for Quiet {
    type Item = Result<Shelf, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.0.take() {
            Some(shelf) => std::task::Poll::Ready(Some(Ok(shelf))),
            None => std::task::Poll::Pending,
        }
    }
}

/// How many shelves [`Endless`] streams have produced: a test reads it to
/// see a slow reader hold the handler back.
pub static ENDLESS_SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Shelves with a 1 KiB theme, as fast as they are taken, forever.
struct Endless;

impl protoway::Stream for Endless {
    type Item = Result<Shelf, Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let n = ENDLESS_SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::task::Poll::Ready(Some(Ok(Shelf {
            name: format!("shelves/endless-{n}"),
            theme: "x".repeat(1024),
        })))
    }
}
