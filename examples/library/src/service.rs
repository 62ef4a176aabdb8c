//! The library's business logic: shelves and books in memory behind the
//! generated `LibraryService` trait. It names the generated code only as
//! `crate::pb`, so the same file serves code from protoway-build (this crate)
//! and from protoc or buf (`examples/buf`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::pb::library::v1::library_service_http::LibraryService;
use crate::pb::library::v1::*;
use pbjson_types::Empty;
use protoway::Error;
use protoway::server::{Request, Response, Streaming};
use tokio::sync::broadcast;
use tokio_stream::StreamExt;

const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;

#[derive(Debug, Default)]
struct State {
    shelves: BTreeMap<u64, Shelf>,
    books: BTreeMap<(u64, u64), Book>,
    next_shelf: u64,
    next_book: u64,
}

/// An in-memory library, seeded with two shelves and three books.
#[derive(Debug, Clone)]
pub struct Library {
    state: Arc<Mutex<State>>,
    /// Every book change, for `WatchShelf` (a watcher that falls behind
    /// by more than the channel holds misses events).
    events: broadcast::Sender<ShelfEvent>,
}

impl Default for Library {
    fn default() -> Self {
        let library = Library {
            state: Arc::default(),
            events: broadcast::channel(1024).0,
        };
        {
            let mut s = library.state.lock().expect("fresh lock");
            for theme in ["Poetry", "Science fiction"] {
                s.next_shelf += 1;
                let id = s.next_shelf;
                s.shelves.insert(
                    id,
                    Shelf {
                        name: format!("shelves/{id}"),
                        theme: theme.into(),
                    },
                );
            }
            for (shelf, title, author) in [
                (1, "Odes", "Keats"),
                (1, "Leaves of Grass", "Whitman"),
                (2, "Dune", "Herbert"),
            ] {
                s.next_book += 1;
                let id = s.next_book;
                let book = Book {
                    name: format!("shelves/{shelf}/books/{id}"),
                    title: title.into(),
                    author: author.into(),
                    read: false,
                };
                s.books.insert((shelf, id), book);
            }
        }
        library
    }
}

impl Library {
    /// How many `WatchShelf` streams are open: a caller that leaves closes
    /// its stream.
    pub fn watchers(&self) -> usize {
        self.events.receiver_count()
    }

    /// Tells watchers about a change (nobody may be watching).
    fn publish(&self, kind: shelf_event::Kind, book: &Book) {
        let _ = self.events.send(ShelfEvent {
            kind: kind as i32,
            book: Some(book.clone()),
        });
    }

    /// `create_book`'s work, shared with `create_books`.
    fn create(&self, r: CreateBookRequest) -> Result<Book, Error> {
        let shelf = shelf_id(&r.parent)?;
        let mut book = r.book.unwrap_or_default();
        if book.title.is_empty() {
            return Err(error_invalid_argument("book.title is required"));
        }
        let mut s = self.state.lock().expect("lock");
        if !s.shelves.contains_key(&shelf) {
            return Err(error_shelf_not_found(format!(
                "no shelf named {:?}",
                r.parent
            )));
        }
        s.next_book += 1;
        let id = s.next_book;
        book.name = format!("shelves/{shelf}/books/{id}");
        s.books.insert((shelf, id), book.clone());
        drop(s);
        self.publish(shelf_event::Kind::Created, &book);
        Ok(book)
    }

    /// `get_book`'s work, shared with `check_books`.
    fn book(&self, name: &str) -> Result<Book, Error> {
        let key = book_id(name)?;
        let s = self.state.lock().expect("lock");
        s.books
            .get(&key)
            .cloned()
            .ok_or_else(|| error_book_not_found(format!("no book named {name:?}")))
    }
}

fn shelf_id(name: &str) -> Result<u64, Error> {
    name.strip_prefix("shelves/")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| error_shelf_not_found(format!("no shelf named {name:?}")))
}

fn book_id(name: &str) -> Result<(u64, u64), Error> {
    let not_found = || error_book_not_found(format!("no book named {name:?}"));
    let (shelf, book) = name.split_once("/books/").ok_or_else(not_found)?;
    Ok((
        shelf_id(shelf).map_err(|_| not_found())?,
        book.parse().map_err(|_| not_found())?,
    ))
}

/// One page of `items` from `page_token`: an offset, as this server hands
/// them out. The document says so (`pattern: ^[0-9]{0,9}$`); any such
/// token is accepted, one past the end giving an empty page, so a client
/// that follows the document is never refused.
fn page<T: Clone>(
    items: Vec<T>,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<T>, String), Error> {
    // The proto cannot state a minimum, so the OpenAPI document allows any
    // int32: zero or less means the default, as AIP-158 allows.
    let size = match page_size {
        n if n <= 0 => DEFAULT_PAGE_SIZE,
        n => (n as usize).min(MAX_PAGE_SIZE),
    };
    let start = match page_token {
        "" => 0,
        t => t
            .parse::<usize>()
            .ok()
            .filter(|_| t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| error_invalid_page_token(format!("bad page token {t:?}")))?
            .min(items.len()),
    };
    let end = (start + size).min(items.len());
    let next = if end < items.len() {
        end.to_string()
    } else {
        String::new()
    };
    Ok((items[start..end].to_vec(), next))
}

impl LibraryService for Library {
    async fn create_shelf(
        &self,
        request: Request<CreateShelfRequest>,
    ) -> Result<Response<Shelf>, Error> {
        let mut shelf = request.into_inner().shelf.unwrap_or_default();
        if shelf.theme.is_empty() {
            return Err(error_invalid_argument("shelf.theme is required"));
        }
        let mut s = self.state.lock().expect("lock");
        s.next_shelf += 1;
        let id = s.next_shelf;
        shelf.name = format!("shelves/{id}");
        s.shelves.insert(id, shelf.clone());
        // 200, as the generated OpenAPI document says (a handler may answer
        // 201 with `Response::with_status`; see the bookstore tests).
        Ok(Response::new(shelf))
    }

    async fn get_shelf(&self, request: Request<GetShelfRequest>) -> Result<Response<Shelf>, Error> {
        let name = request.into_inner().name;
        let id = shelf_id(&name)?;
        let s = self.state.lock().expect("lock");
        s.shelves
            .get(&id)
            .cloned()
            .map(Response::new)
            .ok_or_else(|| error_shelf_not_found(format!("no shelf named {name:?}")))
    }

    async fn list_shelves(
        &self,
        request: Request<ListShelvesRequest>,
    ) -> Result<Response<ListShelvesResponse>, Error> {
        let r = request.into_inner();
        let all: Vec<Shelf> = self
            .state
            .lock()
            .expect("lock")
            .shelves
            .values()
            .cloned()
            .collect();
        let (shelves, next_page_token) = page(all, r.page_size, &r.page_token)?;
        Ok(ListShelvesResponse {
            shelves,
            next_page_token,
        }
        .into())
    }

    async fn delete_shelf(
        &self,
        request: Request<DeleteShelfRequest>,
    ) -> Result<Response<Empty>, Error> {
        let name = request.into_inner().name;
        let id = shelf_id(&name)?;
        let mut s = self.state.lock().expect("lock");
        s.shelves
            .remove(&id)
            .ok_or_else(|| error_shelf_not_found(format!("no shelf named {name:?}")))?;
        s.books.retain(|(shelf, _), _| *shelf != id);
        Ok(Empty {}.into())
    }

    async fn create_book(
        &self,
        request: Request<CreateBookRequest>,
    ) -> Result<Response<Book>, Error> {
        Ok(Response::new(self.create(request.into_inner())?))
    }

    async fn get_book(&self, request: Request<GetBookRequest>) -> Result<Response<Book>, Error> {
        Ok(self.book(&request.into_inner().name)?.into())
    }

    async fn list_books(
        &self,
        request: Request<ListBooksRequest>,
    ) -> Result<Response<ListBooksResponse>, Error> {
        let r = request.into_inner();
        let shelf = shelf_id(&r.parent)?;
        let s = self.state.lock().expect("lock");
        if !s.shelves.contains_key(&shelf) {
            return Err(error_shelf_not_found(format!(
                "no shelf named {:?}",
                r.parent
            )));
        }
        let all: Vec<Book> = s
            .books
            .range((shelf, 0)..=(shelf, u64::MAX))
            .map(|(_, b)| b.clone())
            .filter(|b| b.author.contains(&r.filter))
            .collect();
        drop(s);
        let (books, next_page_token) = page(all, r.page_size, &r.page_token)?;
        Ok(ListBooksResponse {
            books,
            next_page_token,
        }
        .into())
    }

    async fn update_book(
        &self,
        request: Request<UpdateBookRequest>,
    ) -> Result<Response<Book>, Error> {
        let r = request.into_inner();
        let patch = r.book.unwrap_or_default();
        let key = book_id(&patch.name)?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let mut s = self.state.lock().expect("lock");
        let book = s
            .books
            .get_mut(&key)
            .ok_or_else(|| error_book_not_found(format!("no book named {:?}", patch.name)))?;
        let all = paths.is_empty();
        for path in if all {
            vec!["author".into(), "title".into(), "read".into()]
        } else {
            paths
        } {
            match path.as_str() {
                "author" => book.author = patch.author.clone(),
                "title" => book.title = patch.title.clone(),
                "read" => book.read = patch.read,
                other => {
                    return Err(error_invalid_argument(format!(
                        "update_mask: unknown field {other:?}"
                    )));
                }
            }
        }
        let book = book.clone();
        drop(s);
        self.publish(shelf_event::Kind::Updated, &book);
        Ok(book.into())
    }

    async fn delete_book(
        &self,
        request: Request<DeleteBookRequest>,
    ) -> Result<Response<Empty>, Error> {
        let name = request.into_inner().name;
        let key = book_id(&name)?;
        let mut s = self.state.lock().expect("lock");
        let book = s
            .books
            .remove(&key)
            .ok_or_else(|| error_book_not_found(format!("no book named {name:?}")))?;
        drop(s);
        self.publish(shelf_event::Kind::Deleted, &book);
        Ok(Empty {}.into())
    }

    async fn move_book(&self, request: Request<MoveBookRequest>) -> Result<Response<Book>, Error> {
        let r = request.into_inner();
        let key = book_id(&r.name)?;
        let target = shelf_id(&r.other_shelf_name)?;
        let mut s = self.state.lock().expect("lock");
        if !s.shelves.contains_key(&target) {
            return Err(error_shelf_not_found(format!(
                "no shelf named {:?}",
                r.other_shelf_name
            )));
        }
        let mut book = s
            .books
            .remove(&key)
            .ok_or_else(|| error_book_not_found(format!("no book named {:?}", r.name)))?;
        book.name = format!("shelves/{target}/books/{}", key.1);
        s.books.insert((target, key.1), book.clone());
        Ok(book.into())
    }

    async fn watch_shelf(
        &self,
        request: Request<WatchShelfRequest>,
    ) -> Result<Response<Streaming<ShelfEvent>>, Error> {
        let r = request.into_inner();
        let shelf = shelf_id(&r.name)?;
        if !self
            .state
            .lock()
            .expect("lock")
            .shelves
            .contains_key(&shelf)
        {
            return Err(error_shelf_not_found(format!(
                "no shelf named {:?}",
                r.name
            )));
        }
        let prefix = format!("{}/books/", r.name);
        let events = tokio_stream::wrappers::BroadcastStream::new(self.events.subscribe())
            .filter_map(move |event| match event {
                Ok(event)
                    if event
                        .book
                        .as_ref()
                        .is_some_and(|b| b.name.starts_with(&prefix)) =>
                {
                    Some(Ok(event))
                }
                // Not this shelf's, or missed while behind.
                _ => None,
            });
        let stream = match usize::try_from(r.max_events) {
            Ok(max) if max > 0 => Streaming::new(events.take(max)),
            _ => Streaming::new(events),
        };
        Ok(Response::new(stream))
    }

    async fn create_books(
        &self,
        request: Request<Streaming<CreateBookRequest>>,
    ) -> Result<Response<CreateBooksResponse>, Error> {
        let mut requests = request.into_inner();
        let mut books = Vec::new();
        while let Some(r) = requests.message().await? {
            books.push(self.create(r)?);
        }
        Ok(CreateBooksResponse { books }.into())
    }

    async fn check_books(
        &self,
        request: Request<Streaming<GetBookRequest>>,
    ) -> Result<Response<Streaming<Book>>, Error> {
        let library = self.clone();
        let books = request
            .into_inner()
            .map(move |r| r.and_then(|r| library.book(&r.name)));
        Ok(Response::new(Streaming::new(books)))
    }
}
