//! The only code the runtime compiles per message type: a message's JSON
//! and protobuf codecs behind trait objects. Everything else — matching,
//! binding, negotiation, body handling, reply encoding, the client's
//! request building — takes `&dyn` and is compiled once, in this crate.
//!
//! Each method calls exactly what a prost + pbjson user's own code already
//! instantiates (`serde_json::from_slice`/`to_vec`, `Message::decode` from a
//! slice, `encode_to_vec`), so a crate's generated glue adds little beyond
//! its messages: no second serde deserializer, no second `Buf` type.

use crate::Error;
use crate::mapping::bind::{JsonBuilder, ParamTarget, finish_into, without_position};

/// How decoded JSON or protobuf meets the message already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decode {
    /// The decoded message replaces it.
    Replace,
    /// Protobuf merge: set fields replace, repeated fields append,
    /// messages merge.
    Merge,
    /// Only whether it decodes; the message is left as it was (JSON only:
    /// protobuf treats it as `Merge`).
    Check,
}

/// Decoding into a message in place: the only decoding code compiled per
/// message type, one method per format (what to do with the result is an
/// argument, not another method: each method of a trait object is one more
/// function compiled per message type that is a request or a reply). The
/// named operations ([`replace_json`](#method.replace_json), …) are
/// methods of `dyn DecodeMessage`, compiled once.
pub trait DecodeMessage: Send {
    /// Decodes `json` (a whole message's JSON text) as `how` says.
    fn decode_json(&mut self, json: &[u8], how: Decode) -> serde_json::Result<()>;
    /// Decodes protobuf `bytes`: merged into the message, or replacing it
    /// (`Decode::Replace`).
    fn decode_protobuf(&mut self, bytes: &[u8], how: Decode) -> Result<(), prost::DecodeError>;
}

impl dyn DecodeMessage + '_ {
    /// Replaces the message with `json` (a whole message's JSON text).
    pub fn replace_json(&mut self, json: &[u8]) -> serde_json::Result<()> {
        self.decode_json(json, Decode::Replace)
    }

    /// Why `json` is not this message's JSON (`None`: it is); the message
    /// is left as it was.
    pub fn json_error(&mut self, json: &[u8]) -> Option<serde_json::Error> {
        self.decode_json(json, Decode::Check).err()
    }

    /// Merges `json` over the message (protobuf merge: set fields replace,
    /// repeated fields append, messages merge).
    pub fn merge_json(&mut self, json: &[u8]) -> serde_json::Result<()> {
        self.decode_json(json, Decode::Merge)
    }

    /// Merges protobuf `bytes` into the message.
    pub fn merge_protobuf(&mut self, bytes: &[u8]) -> Result<(), prost::DecodeError> {
        self.decode_protobuf(bytes, Decode::Merge)
    }

    /// Replaces the message with protobuf `bytes`.
    pub fn replace_protobuf(&mut self, bytes: &[u8]) -> Result<(), prost::DecodeError> {
        self.decode_protobuf(bytes, Decode::Replace)
    }
}

/// Encoding a message.
pub trait EncodeMessage: Send {
    /// The message's proto3 JSON.
    fn to_json(&self) -> serde_json::Result<Vec<u8>>;
    /// The message's protobuf encoding.
    fn to_protobuf(&self) -> Vec<u8>;
}

impl<M> DecodeMessage for M
where
    M: prost::Message + Default + serde::de::DeserializeOwned + Send,
{
    // Written with `match`, not `?` or `Result` combinators: each of those
    // would be one more function compiled per message type.
    fn decode_json(&mut self, json: &[u8], how: Decode) -> serde_json::Result<()> {
        match serde_json::from_slice::<M>(json) {
            Ok(decoded) => {
                match how {
                    Decode::Replace => *self = decoded,
                    Decode::Merge => {
                        // Just encoded by prost: merging it cannot fail.
                        let _ = self.merge(&mut decoded.encode_to_vec().as_slice());
                    }
                    Decode::Check => {}
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn decode_protobuf(&mut self, mut bytes: &[u8], how: Decode) -> Result<(), prost::DecodeError> {
        if how == Decode::Replace {
            self.clear();
        }
        // As `Message::decode(&[u8])` calls it (`Buf = &mut &[u8]`): the
        // decoder a message's own codec already compiled, not a second one.
        self.merge(&mut bytes)
    }
}

impl<M> EncodeMessage for M
where
    M: prost::Message + serde::Serialize + Send,
{
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }

    fn to_protobuf(&self) -> Vec<u8> {
        self.encode_to_vec()
    }
}

/// A singular message field a request body can be decoded into directly:
/// `Option<T>`, which covers prost's `Option<Box<T>>` for recursive
/// messages (prost implements `Message` for `Box<T>`).
pub trait BodyField {
    /// The field's message, set to its default first if unset.
    fn message(&mut self) -> &mut dyn DecodeMessage;
}

impl<T: DecodeMessage + Default> BodyField for Option<T> {
    fn message(&mut self) -> &mut dyn DecodeMessage {
        self.get_or_insert_with(T::default)
    }
}

/// `field`'s message, for generated body accessors (`body: "book"` →
/// `|m| body_field(&mut m.book)`).
pub fn body_field(field: &mut impl BodyField) -> &mut dyn DecodeMessage {
    field.message()
}

/// `body` as the value of nested fields: `{"a":{"b":<body>}}` for
/// `["a", "b"]`. The body must be exactly one JSON value (checked first),
/// so it cannot close the wrapper and add members of its own.
pub(crate) fn wrap_json<'n>(
    names: impl ExactSizeIterator<Item = &'n str>,
    body: &[u8],
) -> serde_json::Result<Vec<u8>> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body)?;
    let depth = names.len();
    let mut wrapped = Vec::with_capacity(body.len() + 32);
    for name in names {
        wrapped.extend_from_slice(b"{\"");
        wrapped.extend_from_slice(name.as_bytes());
        wrapped.extend_from_slice(b"\":");
    }
    wrapped.extend_from_slice(body);
    wrapped.extend(std::iter::repeat_n(b'}', depth));
    Ok(wrapped)
}

/// Replaces `message` with the parameters in `builder` (query/path-only
/// requests): from protobuf wire bytes when every value has a plain
/// encoding, else from their JSON text.
pub fn replace_with_params(
    message: &mut dyn DecodeMessage,
    builder: JsonBuilder<'_>,
) -> Result<(), Error> {
    finish_into(builder, &mut Replace(message))
}

/// Merges the parameters in `builder` over `message` decoded from a body
/// (protobuf merge: set fields replace, repeated fields append, messages
/// merge); as [`replace_with_params`], through wire bytes when it can.
pub fn merge_params(
    message: &mut dyn DecodeMessage,
    builder: JsonBuilder<'_>,
) -> Result<(), Error> {
    if builder.is_empty() {
        return Ok(());
    }
    finish_into(builder, &mut Overlay(message))
}

/// Bound parameters replacing a message.
struct Replace<'m>(&'m mut dyn DecodeMessage);

/// Bound parameters merged over a message.
struct Overlay<'m>(&'m mut dyn DecodeMessage);

impl ParamTarget for Replace<'_> {
    fn apply(&mut self, json: &[u8]) -> Result<(), String> {
        self.0.replace_json(json).map_err(|e| without_position(&e))
    }

    fn rejects(&mut self, json: &[u8]) -> Option<String> {
        self.0.json_error(json).map(|e| without_position(&e))
    }

    fn apply_protobuf(&mut self, wire: &[u8]) -> Option<Result<(), String>> {
        Some(self.0.replace_protobuf(wire).map_err(|e| e.to_string()))
    }
}

impl ParamTarget for Overlay<'_> {
    fn apply(&mut self, json: &[u8]) -> Result<(), String> {
        self.0.merge_json(json).map_err(|e| without_position(&e))
    }

    fn rejects(&mut self, json: &[u8]) -> Option<String> {
        self.0.json_error(json).map(|e| without_position(&e))
    }

    fn apply_protobuf(&mut self, wire: &[u8]) -> Option<Result<(), String>> {
        Some(self.0.merge_protobuf(wire).map_err(|e| e.to_string()))
    }
}

/// An [`Error`] for a request body that is not valid JSON for its message.
#[cfg(feature = "server")]
pub(crate) fn invalid_json(e: &serde_json::Error) -> Error {
    Error::bad_request("INVALID_ARGUMENT", format!("invalid JSON body: {e}"))
}
