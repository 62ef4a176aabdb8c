//! The generated `LibraryClient` against the library server over loopback:
//! every RPC, pagination, FieldMask PATCH, the custom verb, errors.

use library::pb::library::v1::library_service_http::LibraryServiceClient;
use library::pb::library::v1::*;
use protoway::client::CallOptions;
use protoway::wkt::FieldMask;

mod common;

async fn client() -> LibraryServiceClient {
    LibraryServiceClient::connect(format!("http://{}", common::serve(library::app()).await))
}

#[tokio::test]
async fn every_rpc_through_the_generated_client() {
    let c = client().await;
    let shelf = c
        .create_shelf_with(
            CreateShelfRequest {
                shelf: Some(Shelf {
                    name: String::new(),
                    theme: "Plays".into(),
                }),
            },
            &CallOptions::new().protobuf(),
        )
        .await
        .unwrap();
    assert_eq!(shelf.status(), 200);
    let shelf = shelf.into_inner();
    assert_eq!(
        c.get_shelf(GetShelfRequest {
            name: shelf.name.clone()
        })
        .await
        .unwrap(),
        shelf
    );

    let mut names = Vec::new();
    for (title, author) in [
        ("Hamlet", "Shakespeare"),
        ("Faust", "Goethe"),
        ("Lear", "Shakespeare"),
    ] {
        let book = c
            .create_book(CreateBookRequest {
                parent: shelf.name.clone(),
                book: Some(Book {
                    title: title.into(),
                    author: author.into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        names.push(book.name);
    }

    // Pagination and filter travel as query parameters.
    let first = c
        .list_books(ListBooksRequest {
            parent: shelf.name.clone(),
            page_size: 1,
            filter: "Shake".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.books.len(), 1);
    let second = c
        .list_books(ListBooksRequest {
            parent: shelf.name.clone(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            filter: "Shake".into(),
        })
        .await
        .unwrap();
    assert_eq!(second.books[0].title, "Lear");
    assert!(second.next_page_token.is_empty());

    // PATCH: the book is the body, the mask a query parameter, the name
    // (nested) the path; only masked fields change.
    let updated = c
        .update_book(UpdateBookRequest {
            book: Some(Book {
                name: names[0].clone(),
                title: "ignored".into(),
                read: true,
                ..Default::default()
            }),
            update_mask: Some(FieldMask::new(["read"])),
        })
        .await
        .unwrap();
    assert!(updated.read);
    assert_eq!(updated.title, "Hamlet");

    let other = c
        .create_shelf(CreateShelfRequest {
            shelf: Some(Shelf {
                name: String::new(),
                theme: "Other".into(),
            }),
        })
        .await
        .unwrap();
    let moved = c
        .move_book(MoveBookRequest {
            name: names[1].clone(),
            other_shelf_name: other.name.clone(),
        })
        .await
        .unwrap();
    assert!(
        moved.name.starts_with(&format!("{}/books/", other.name)),
        "{}",
        moved.name
    );

    c.delete_book(DeleteBookRequest {
        name: names[2].clone(),
    })
    .await
    .unwrap();
    let e = c
        .get_book(GetBookRequest {
            name: names[2].clone(),
        })
        .await
        .unwrap_err();
    assert!(is_book_not_found(&e), "{e}");
    let shelves = c.list_shelves(ListShelvesRequest::default()).await.unwrap();
    assert!(shelves.shelves.iter().any(|s| s.name == other.name));
    c.delete_shelf(DeleteShelfRequest {
        name: other.name.clone(),
    })
    .await
    .unwrap();
    let e = c
        .get_shelf(GetShelfRequest { name: other.name })
        .await
        .unwrap_err();
    assert!(is_shelf_not_found(&e), "{e}");
    // A name outside `shelves/*` never leaves the client.
    let e = c
        .get_shelf(GetShelfRequest {
            name: "books/1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.reason(), "INVALID_ARGUMENT");
}
