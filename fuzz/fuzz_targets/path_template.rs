//! The path-template parser: any text parses or fails without panicking, and
//! what parses prints to a form that parses back to the same template.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(template) = protoway::path::parse(text) {
        let printed = template.to_string();
        let again = protoway::path::parse(&printed).expect("printed template parses");
        assert_eq!(again, template, "{text:?} printed as {printed:?}");
    }
});
