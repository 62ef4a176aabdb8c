//! prost + pbjson messages and the generated HTTP server for the bookstore
//! testdata, compiled together the way users include them.

pub mod bookstore {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/bookstore.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/bookstore.v1.serde.rs"));
        include!(concat!(env!("OUT_DIR"), "/bookstore.v1.http.rs"));
        include!(concat!(env!("OUT_DIR"), "/bookstore.v1.errors.rs"));
    }
}

pub mod keywords {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/keywords.v1.rs"));
        include!(concat!(env!("OUT_DIR"), "/keywords.v1.serde.rs"));
        include!(concat!(env!("OUT_DIR"), "/keywords.v1.http.rs"));
    }
}

pub mod google {
    pub mod api {
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
        include!(concat!(env!("OUT_DIR"), "/google.api.serde.rs"));
    }
}

pub mod store;
