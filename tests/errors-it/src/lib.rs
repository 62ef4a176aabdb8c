//! prost's messages and protoc-gen-rust-errors' helpers for the errors
//! testdata, compiled together the way users include them.

macro_rules! include_package {
    ($stem:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $stem, ".rs"));
        include!(concat!(env!("OUT_DIR"), "/", $stem, ".errors.rs"));
    };
}

pub mod helloworld {
    pub mod v1 {
        include_package!("helloworld.v1");
    }
}

pub mod testdata {
    pub mod nested {
        include_package!("testdata.nested");
    }
    pub mod mixed {
        include_package!("testdata.mixed");
    }
    pub mod plain {
        include!(concat!(env!("OUT_DIR"), "/testdata.plain.rs"));
    }
}
