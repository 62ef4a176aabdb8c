//! Rendering one package's HTTP services as Rust: per service a module with
//! the `Operation` constants, the service trait, `routes()` / `router()`
//! and the static route specs; per file one hidden module of message tables.

use proc_macro2::{Literal, TokenStream};
use protoway_codegen::render::{doc_attrs, ident, path, render_file, render_file_parts};
use quote::{format_ident, quote};

use crate::Config;
use crate::model::{
    Binding, Body, EnumTable, FieldRef, KindRef, MessageTable, Method, Package, ResponseBody,
    Service, table_ident,
};

/// Module holding the message tables, private to the generated file.
const TABLES: &str = "protoway_http_tables";

/// Packages with at least this many methods are rendered in two parts, on
/// two threads (below it, a thread costs more than it saves).
const PARALLEL_FROM_METHODS: usize = 24;

/// The `<package>.http.rs` file.
pub fn render_package(package: &Package, config: &Config) -> Result<String, String> {
    let services = &package.services[..];
    let methods: usize = services.iter().map(|s| s.methods.len()).sum();
    // The first service at which half of the methods are behind.
    let mut behind = 0;
    let half = services
        .iter()
        .position(|s| {
            behind += s.methods.len();
            behind * 2 >= methods
        })
        .map_or(0, |i| i + 1);
    if methods < PARALLEL_FROM_METHODS || half >= services.len() {
        return render_file(
            "protoc-gen-rust-http",
            config.output.layout,
            render_items(package, services, true, config),
        );
    }
    let (first, second) = services.split_at(half);
    render_file_parts(
        "protoc-gen-rust-http",
        config.output.layout,
        vec![
            Box::new(|| render_items(package, first, false, config)),
            Box::new(|| render_items(package, second, true, config)),
        ],
    )
}

/// The modules of `services`, then the message tables if `tables`.
fn render_items(
    package: &Package,
    services: &[Service],
    tables: bool,
    config: &Config,
) -> TokenStream {
    let rt = path(&config.runtime_crate);
    let services = services.iter().map(|s| render_service(s, &rt, config));
    let tables = tables.then(|| render_tables(package, &rt));
    quote! { #(#services)* #tables }
}

/// A type path as seen from inside a service module (one level down).
fn from_service_module(rust_path: &str) -> TokenStream {
    if rust_path.starts_with("::") || rust_path.starts_with("crate::") {
        path(rust_path)
    } else {
        path(&format!("super::{rust_path}"))
    }
}

fn render_service(s: &Service, rt: &TokenStream, config: &Config) -> TokenStream {
    let default_stubs = config.default_stubs;
    let module = ident(&s.module);
    let trait_name = ident(&s.trait_name);
    let full_name = &s.full_name;
    let module_doc = if config.server {
        format!(
            " HTTP server for `{full_name}`: the [`{}`] trait and its [`router`].",
            s.trait_name
        )
    } else {
        format!(
            " HTTP client for `{full_name}` and its [`{}`] trait.",
            s.trait_name
        )
    };
    let service_doc = if s.doc.is_empty() {
        let line = format!(" The `{full_name}` service.");
        quote!(#[doc = #line])
    } else {
        doc_attrs(&s.doc)
    };
    let deprecated = s.deprecated.then(|| quote!(#[deprecated]));
    let consts = s.methods.iter().map(|m| {
        let name = ident(&m.const_name);
        let op = &m.operation;
        let doc = format!(" Operation name of `{}`.", m.name);
        quote! { #[doc = #doc] pub const #name: &str = #op; }
    });
    let trait_methods = s
        .methods
        .iter()
        .map(|m| render_trait_method(m, rt, default_stubs));
    let skipped = s.skipped.iter().map(|(name, why)| {
        let text = format!(" `{name}` is not part of this trait: {why}.");
        quote! { #[doc = ""] #[doc = #text] }
    });
    let specs = s.methods.iter().flat_map(|m| {
        let rpc_only = m.bindings.is_empty().then(|| render_rpc_only_spec(m, rt));
        m.bindings
            .iter()
            .enumerate()
            .map(move |(i, b)| render_route_spec(m, i, b, rt))
            .chain(rpc_only)
    });
    let adds = s.methods.iter().flat_map(|m| {
        let call = call_ident(m);
        let input = from_service_module(&m.input);
        m.body_fields.iter().enumerate().map(move |(i, body_field)| {
            let spec = route_ident(m, i);
            if m.client_streaming {
                // The body is the stream of requests.
                return quote!(.route_stream(&#spec, &service, #call::<S>));
            }
            match body_field.as_deref() {
                None => quote!(.route(&#spec, &service, #call::<S>)),
                Some([inner @ .., last]) => {
                    let inner = inner.iter().map(|f| ident(f));
                    let last = ident(last);
                    quote! {
                        .route_body(&#spec, &service, #call::<S>, |m: &mut #input| {
                            #rt::message::body_field(
                                &mut m #(.#inner.get_or_insert_with(::core::default::Default::default))*.#last
                            )
                        })
                    }
                }
                Some([]) => quote!(.route(&#spec, &service, #call::<S>)),
            }
        })
    });
    let calls = s.methods.iter().map(|m| {
        let call = call_ident(m);
        let method = ident(&m.rust_name);
        let (input, _) = message_types(m, rt);
        let send = if m.server_streaming {
            quote!(send_stream)
        } else {
            quote!(send)
        };
        let allow = (s.deprecated || m.deprecated).then(|| quote!(#[allow(deprecated)]));
        quote! {
            #allow
            fn #call<S: #trait_name>(
                service: ::std::sync::Arc<S>,
                request: #rt::route::Request<#input>,
                reply: #rt::server::ReplyTo,
            ) -> #rt::server::ReplyFuture {
                ::std::boxed::Box::new(async move { reply.#send(service.#method(request).await) })
            }
        }
    });
    let allow_deprecated = (s.deprecated || s.methods.iter().any(|m| m.deprecated))
        .then(|| quote!(#[allow(deprecated)]));
    let client = config
        .client
        .then(|| render_client(s, rt, allow_deprecated.as_ref()));
    // Without the server (parameter `server=false`), nothing here needs
    // protoway's `server` feature (axum).
    let server = config.server.then(|| {
        quote! {
                /// Every binding of the service, ready to merge with other services' routes (`Routes::merge`). `routes(service).into_service()` serves them with one routing step (your own axum routes as its `fallback`).
                #allow_deprecated
                pub fn routes<S: #trait_name>(service: S) -> #rt::server::Routes {
                    let service = ::std::sync::Arc::new(service);
                    #rt::server::Routes::new() #(#adds)*
                }

                #(#calls)*

                /// An axum router serving the service, with the generated routes as its fallback (see [`routes`] to combine services or to serve them without axum's routing step).
                #allow_deprecated
                pub fn router<S: #trait_name>(service: S) -> #rt::axum::Router {
                    routes(service).router()
                }
        }
    });
    quote! {
        #[doc = #module_doc]
        pub mod #module {
            #(#consts)*

            #service_doc
            #(#skipped)*
            #deprecated
            pub trait #trait_name: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#trait_methods)*
            }

            #server

            #client

            #(#specs)*
        }
    }
}

/// A method's request and reply types in the trait: the message, or a
/// `Streaming` of it for a stream side.
fn message_types(m: &Method, rt: &TokenStream) -> (TokenStream, TokenStream) {
    let input = from_service_module(&m.input);
    let output = from_service_module(&m.output);
    let input = if m.client_streaming {
        quote!(#rt::Streaming<#input>)
    } else {
        input
    };
    let output = if m.server_streaming {
        quote!(#rt::Streaming<#output>)
    } else {
        output
    };
    (input, output)
}

fn render_trait_method(m: &Method, rt: &TokenStream, default_stub: bool) -> TokenStream {
    let name = ident(&m.rust_name);
    let (input, output) = message_types(m, rt);
    let doc = if m.doc.is_empty() {
        let line = format!(" `{}`.", m.operation);
        quote!(#[doc = #line])
    } else {
        doc_attrs(&m.doc)
    };
    let routes = m
        .bindings
        .iter()
        .map(|b| format!(" - `{} {}`", b.method, b.template))
        .collect::<Vec<_>>();

    let http = if routes.is_empty() {
        " HTTP: none (gRPC, gRPC-Web and Connect only)."
    } else {
        " HTTP:"
    };
    let deprecated = m.deprecated.then(|| quote!(#[deprecated]));
    let body = if default_stub {
        let message = format!("{} is not implemented", m.operation);
        quote! {
            {
                let _ = request;
                ::core::future::ready(::core::result::Result::Err(#rt::Error::new(
                    501,
                    "UNIMPLEMENTED",
                    #message,
                )))
            }
        }
    } else {
        quote!(;)
    };
    quote! {
        #doc
        #[doc = ""]
        #[doc = #http]
        #(#[doc = #routes])*
        #deprecated
        fn #name(
            &self,
            request: #rt::route::Request<#input>,
        ) -> impl ::core::future::Future<
            Output = ::core::result::Result<#rt::route::Response<#output>, #rt::Error>,
        > + ::core::marker::Send #body
    }
}

/// `<Service>Client`: one method per RPC on its primary binding (returning
/// the call's future: the request is encoded before it returns), a
/// `_with` variant taking call options, and the service trait itself, so
/// callers can swap the client for an in-process implementation.
fn render_client(s: &Service, rt: &TokenStream, allow: Option<&TokenStream>) -> TokenStream {
    let trait_name = ident(&s.trait_name);
    let client_name = format_ident!("{}Client", s.trait_name.trim_start_matches("r#"));
    let doc = format!(
        " HTTP client of `{}` (each RPC on its first binding). It implements [`{}`] too, so code written against the trait takes this client or an in-process service alike.",
        s.full_name, s.trait_name
    );
    let inherent = s.methods.iter().map(|m| {
        let name = ident(&m.rust_name);
        let with = format_ident!("{}_with", m.rust_name.trim_start_matches("r#"));
        let route = route_ident(m, 0);
        let input = from_service_module(&m.input);
        let output = from_service_module(&m.output);
        let line = match m.bindings.first() {
            Some(b) => format!(" `{} {}`.", b.method, b.template),
            None => format!(
                " `POST {}` (Connect: the method has no HTTP binding).",
                m.operation
            ),
        };
        let doc = if m.doc.is_empty() {
            quote!(#[doc = #line])
        } else {
            let d = doc_attrs(&m.doc);
            quote!(#d #[doc = ""] #[doc = #line])
        };
        let with_doc = format!(
            " [`Self::{}`] with per-call options; the reply keeps its status and headers.",
            m.rust_name.trim_start_matches("r#")
        );
        let deprecated = m.deprecated.then(|| quote!(#[deprecated]));
        if m.client_streaming {
            // Streams of requests: gRPC or Connect clients (not yet here).
            return quote!();
        }
        if m.server_streaming {
            return quote! {
                #doc
                #deprecated
                pub fn #name(
                    &self,
                    request: impl #rt::client::IntoRequest<#input>,
                ) -> #rt::client::StreamFuture<'_, #rt::Streaming<#output>> {
                    self.client.call_stream_messages(&#route, &request.into_request())
                }
            };
        }
        quote! {
            #doc
            #deprecated
            pub fn #name(
                &self,
                request: impl #rt::client::IntoRequest<#input>,
            ) -> #rt::client::CallFuture<'_, #output> {
                self.client.call_message(&#route, &request.into_request())
            }

            #[doc = #with_doc]
            #deprecated
            pub fn #with(
                &self,
                request: #input,
                options: &#rt::client::CallOptions,
            ) -> #rt::client::CallFuture<'_, #rt::route::Response<#output>> {
                self.client.call(&#route, &request, options)
            }
        }
    });
    let trait_impls = s.methods.iter().map(|m| {
        let name = ident(&m.rust_name);
        let route = route_ident(m, 0);
        let (input, output) = message_types(m, rt);
        let call = if m.client_streaming && m.server_streaming {
            quote!(self.client.call_bidi(&#route, request))
        } else if m.client_streaming {
            quote!(self.client.call_client_stream(&#route, request))
        } else if m.server_streaming {
            quote!(self.client.call_stream(&#route, &request))
        } else {
            quote!(self.client.call_request(&#route, &request))
        };
        quote! {
            fn #name(
                &self,
                request: #rt::route::Request<#input>,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<#rt::route::Response<#output>, #rt::Error>,
            > + ::core::marker::Send {
                #call
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        pub struct #client_name {
            client: #rt::client::Client,
        }

        #allow
        impl #client_name {
            /// A client over `client` (base URL, reqwest client, default headers).
            pub fn with_client(client: #rt::client::Client) -> Self {
                Self { client }
            }

            /// A client of the server at `base_url` (`http://host:port`).
            pub fn connect(base_url: impl ::core::convert::Into<::std::string::String>) -> Self {
                Self::with_client(#rt::client::Client::new(base_url))
            }

            #(#inherent)*
        }

        #allow
        impl #trait_name for #client_name {
            #(#trait_impls)*
        }
    }
}

/// The private function a route calls: `service.<method>(request)`.
fn call_ident(m: &Method) -> syn::Ident {
    format_ident!("call_{}", m.rust_name.trim_start_matches("r#"))
}

fn route_ident(m: &Method, i: usize) -> syn::Ident {
    format_ident!(
        "ROUTE_{}_{}",
        m.const_name.trim_start_matches("OPERATION_"),
        i
    )
}

fn field_ref(f: &FieldRef, rt: &TokenStream) -> TokenStream {
    let (name, json, number) = (&f.name, &f.json_name, Literal::u32_unsuffixed(f.number));
    quote!(#rt::route::FieldRef::new(#name, #json, #number))
}

/// The route of a method without HTTP bindings: its operation path only.
fn render_rpc_only_spec(m: &Method, rt: &TokenStream) -> TokenStream {
    let name = route_ident(m, 0);
    let op = ident(&m.const_name);
    let request = table_path(&m.input_full);
    let reply = table_path(&m.output_full);
    let doc = format!(" `{}`: gRPC, gRPC-Web and Connect only.", m.name);
    let no_side_effects = m.no_side_effects.then(|| quote!(.no_side_effects()));
    let streams = streams(m, rt);
    quote! {
        #[doc = #doc]
        pub static #name: #rt::route::RouteSpec =
            #rt::route::RouteSpec::rpc_only(#op, &#request, &#reply) #no_side_effects #streams;
    }
}

/// `.streams(…)` for a streaming method.
fn streams(m: &Method, rt: &TokenStream) -> Option<TokenStream> {
    let kind = match (m.client_streaming, m.server_streaming) {
        (false, false) => return None,
        (false, true) => quote!(Server),
        (true, false) => quote!(Client),
        (true, true) => quote!(Bidi),
    };
    Some(quote!(.streams(#rt::route::Streams::#kind)))
}

fn render_route_spec(m: &Method, i: usize, b: &Binding, rt: &TokenStream) -> TokenStream {
    let name = route_ident(m, i);
    let op = ident(&m.const_name);
    let (method, template) = (&b.method, &b.template);
    let request = table_path(&m.input_full);
    let reply = table_path(&m.output_full);
    let body = match &b.body {
        Body::None => None,
        Body::All => Some(quote!(#rt::route::BodyRule::All)),
        Body::AllHttpBody => Some(quote!(#rt::route::BodyRule::AllHttpBody)),
        Body::Field(path) => {
            let path = path.iter().map(|f| field_ref(f, rt));
            Some(quote!(#rt::route::BodyRule::Field(&[#(#path),*])))
        }
        Body::FieldHttpBody(path) => {
            let path = path.iter().map(|f| field_ref(f, rt));
            Some(quote!(#rt::route::BodyRule::FieldHttpBody(&[#(#path),*])))
        }
    }
    .map(|body| quote!(.body(#body)));
    let response_body = match &b.response_body {
        ResponseBody::Whole => None,
        ResponseBody::HttpBody => Some(quote!(#rt::route::ResponseBody::HttpBody)),
        ResponseBody::Field(f) => {
            let f = field_ref(f, rt);
            Some(quote!(#rt::route::ResponseBody::Field(#f)))
        }
        ResponseBody::FieldHttpBody(f) => {
            let f = field_ref(f, rt);
            Some(quote!(#rt::route::ResponseBody::FieldHttpBody(#f)))
        }
    }
    .map(|response_body| quote!(.response_body(#response_body)));
    let no_side_effects = m.no_side_effects.then(|| quote!(.no_side_effects()));
    // Computed here, not when the routes are built or a client calls.
    let field_paths = |paths: &[Vec<String>]| {
        let paths = paths.iter().map(|p| quote!(&[#(#p),*]));
        quote!(&[#(#paths),*])
    };
    let path_fields = (!b.path_fields.is_empty()).then(|| {
        let paths = field_paths(&b.path_fields);
        quote!(.path_fields(#paths))
    });
    let excluded = b.query_excluded();
    let takes_query = !matches!(b.body, Body::All | Body::AllHttpBody);
    let query_excluded = (takes_query && !excluded.is_empty()).then(|| {
        let paths = field_paths(&excluded);
        quote!(.query_excluded(#paths))
    });
    let doc = format!(" `{method} {template}` → `{}`.", m.name);
    let streams = streams(m, rt);
    quote! {
        #[doc = #doc]
        pub static #name: #rt::route::RouteSpec =
            #rt::route::RouteSpec::new(#op, #method, #template, &#request, &#reply)
                #body #response_body #path_fields #query_excluded #no_side_effects #streams;
    }
}

fn table_path(full_name: &str) -> TokenStream {
    let module = ident(TABLES);
    let name = ident(&table_ident("MESSAGE", full_name));
    quote!(super::#module::#name)
}

fn kind_tokens(
    kind: &KindRef,
    owner: &str,
    field: &str,
    maps: &mut Vec<TokenStream>,
) -> TokenStream {
    match kind {
        KindRef::Scalar(s) => {
            let v = ident(s);
            quote!(Kind::#v)
        }
        KindRef::WellKnown(w) => {
            let v = ident(w);
            quote!(Kind::WellKnown(WellKnown::#v))
        }
        KindRef::Enum(e) => {
            let name = ident(&table_ident("ENUM", e));
            quote!(Kind::Enum(&#name))
        }
        KindRef::Message(m) => {
            let name = ident(&table_ident("MESSAGE", m));
            quote!(Kind::Message(&#name))
        }
        KindRef::Map(k, v) => {
            let name = ident(&table_ident("MAP", &format!("{owner}.{field}")));
            let key = kind_tokens(k, owner, field, maps);
            let value = kind_tokens(v, owner, field, maps);
            maps.push(quote! {
                pub static #name: MapSpec = MapSpec { key: #key, value: #value };
            });
            quote!(Kind::Map(&#name))
        }
    }
}

fn render_message(m: &MessageTable) -> TokenStream {
    let name = ident(&table_ident("MESSAGE", &m.full_name));
    let full = &m.full_name;
    let mut maps = Vec::new();
    let fields = m
        .fields
        .iter()
        .map(|f| {
            let kind = kind_tokens(&f.kind, &m.full_name, &f.name, &mut maps);
            let (fname, json, number) = (&f.name, &f.json_name, Literal::u32_unsuffixed(f.number));
            let constructor = ident(&f.cardinality.to_lowercase());
            let field = quote!(FieldSpec::#constructor(#fname, #json, #number, #kind));
            match &f.oneof {
                Some(o) => quote!(#field.in_oneof(#o)),
                None => field,
            }
        })
        .collect::<Vec<_>>();
    quote! {
        pub static #name: MessageSpec = MessageSpec {
            name: #full,
            fields: &[#(#fields),*],
        };
        #(#maps)*
    }
}

fn render_enum(e: &EnumTable) -> TokenStream {
    let name = ident(&table_ident("ENUM", &e.full_name));
    let full = &e.full_name;
    let values = e.values.iter().map(|(n, v)| {
        let v = Literal::i32_unsuffixed(*v);
        quote!((#n, #v))
    });
    quote! {
        pub static #name: EnumSpec = EnumSpec {
            name: #full,
            values: &[#(#values),*],
        };
    }
}

fn render_tables(package: &Package, rt: &TokenStream) -> TokenStream {
    if package.messages.is_empty() {
        return TokenStream::new();
    }
    let module = ident(TABLES);
    let messages: TokenStream = package.messages.values().map(render_message).collect();
    let enums: TokenStream = package.enums.values().map(render_enum).collect();
    // Short names for the spec types, imported only when used (no unused
    // import warnings in generated code).
    let imports = [
        "EnumSpec",
        "FieldSpec",
        "Kind",
        "MapSpec",
        "MessageSpec",
        "WellKnown",
    ]
    .into_iter()
    .filter(|name| uses_ident(&messages, name) || uses_ident(&enums, name))
    .map(ident);
    quote! {
        /// Field tables of the request and reply messages: what query and
        /// path binding needs, without reflection at run time.
        #[doc(hidden)]
        mod #module {
            use #rt::spec::{#(#imports),*};
            #messages
            #enums
        }
    }
}

/// Whether `tokens` contain the identifier `name` (not inside a literal).
fn uses_ident(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => uses_ident(&g.stream(), name),
        _ => false,
    })
}
