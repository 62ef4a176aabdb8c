//! Rendering the error enums of one package as Rust.

use proc_macro2::{Literal, TokenStream};
use protoway_codegen::render::{doc_attrs, ident, path, render_file};
use quote::{format_ident, quote};

use crate::Config;
use crate::model::ErrorEnum;

/// The `<package>.errors.rs` file for `enums`.
pub fn render_package(enums: &[ErrorEnum], config: &Config) -> Result<String, String> {
    let rt = path(&config.runtime_crate);
    let items = enums.iter().map(|e| render_enum(e, &rt));
    render_file(
        "protoc-gen-rust-errors",
        config.output.layout,
        quote! { #(#items)* },
    )
}

fn render_enum(e: &ErrorEnum, rt: &TokenStream) -> TokenStream {
    let ty = path(&e.rust_path);
    let proto_name = &e.proto_name;
    let code_arms = e.variants.iter().map(|v| {
        let variant = ident(&v.rust_name);
        let code = Literal::u16_unsuffixed(v.code.unwrap_or(500));
        quote! { Self::#variant => #code, }
    });
    let uncoded = e.variants.iter().any(|v| v.code.is_none());
    let code_doc = if uncoded {
        format!(
            " The HTTP status of this `{proto_name}` value (500 for values without an `errors.code`)."
        )
    } else {
        format!(" The HTTP status of this `{proto_name}` value.")
    };
    let deprecated_allow = (e.deprecated || e.variants.iter().any(|v| v.deprecated))
        .then(|| quote!(#[allow(deprecated)]));
    let enum_doc = " This reason as an error, with its code and `message`.";
    let is_doc = format!(
        " Whether `err` carries this `{proto_name}` reason and its code (kratos' `errors.Is`)."
    );

    let helpers = e.errors.iter().map(|v| {
        let is_fn = format_ident!("is_{}", v.fn_suffix);
        let error_fn = format_ident!("error_{}", v.fn_suffix);
        let reason = &v.reason;
        let code = Literal::u16_unsuffixed(v.code);
        let deprecated = v.deprecated.then(|| quote!(#[deprecated]));
        let doc = if v.doc.is_empty() { TokenStream::new() } else {
            let lines = doc_attrs(&v.doc);
            quote! { #[doc = ""] #lines }
        };
        let is_summary = format!(" Whether `err` is `{reason}` ({}).", v.code);
        let error_summary = format!(" An error with reason `{reason}` and code {}, carrying `message`.", v.code);
        quote! {
            #[doc = #is_summary]
            #doc
            #deprecated
            pub fn #is_fn(err: &#rt::Error) -> bool {
                err.code() == #code && err.reason() == #reason
            }

            #[doc = #error_summary]
            #doc
            #deprecated
            pub fn #error_fn(message: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>) -> #rt::Error {
                #rt::Error::new(#code, #reason, message)
            }
        }
    });

    quote! {
        #deprecated_allow
        impl #ty {
            #[doc = #code_doc]
            pub fn code(&self) -> u16 {
                match self { #(#code_arms)* }
            }

            /// The reason sent on the wire: the proto value name, as kratos sends it.
            pub fn reason(&self) -> &'static str {
                self.as_str_name()
            }

            #[doc = #enum_doc]
            pub fn error(&self, message: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>) -> #rt::Error {
                #rt::Error::new(self.code(), self.reason(), message)
            }

            #[doc = #is_doc]
            pub fn is(&self, err: &#rt::Error) -> bool {
                err.code() == self.code() && err.reason() == self.reason()
            }
        }

        #deprecated_allow
        impl ::core::convert::From<#ty> for #rt::Error {
            fn from(reason: #ty) -> Self {
                reason.error("")
            }
        }

        #(#helpers)*
    }
}
