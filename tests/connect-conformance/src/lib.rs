//! Empty without feature `suite`; see `src/main.rs`.
