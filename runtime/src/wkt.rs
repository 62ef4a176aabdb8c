//! The two well-known types whose proto3 JSON form `pbjson_types` gets
//! wrong, with the mapping's own serde: [`Timestamp`] prints RFC 3339 in UTC
//! with a `Z` and 0, 3, 6 or 9 fractional digits (pbjson-types prints
//! `+00:00`), and [`FieldMask`] is the comma-separated lowerCamel string
//! (pbjson-types uses `{"paths": [...]}`).
//!
//! Generated code maps `.google.protobuf.Timestamp` and `.google.protobuf.FieldMask`
//! here (extern_path) and every other well-known type to `pbjson_types`.
//! Both types are wire-identical to `prost_types`' and implement
//! [`prost::Name`], so they pack into `Any` under their usual type URLs.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Visitor};

/// google.protobuf.Timestamp: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (0001-01-01 to 9999-12-31).
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Non-negative fraction of a second, 0..=999,999,999.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// google.protobuf.FieldMask: field paths in proto (snake_case) names.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct FieldMask {
    /// `a.b_c` paths.
    #[prost(string, repeated, tag = "1")]
    pub paths: Vec<String>,
}

impl ::prost::Name for Timestamp {
    const NAME: &'static str = "Timestamp";
    const PACKAGE: &'static str = "google.protobuf";
    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.Timestamp".into()
    }
}

impl ::prost::Name for FieldMask {
    const NAME: &'static str = "FieldMask";
    const PACKAGE: &'static str = "google.protobuf";
    fn type_url() -> String {
        "type.googleapis.com/google.protobuf.FieldMask".into()
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the mapping's range.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Why a Timestamp or FieldMask text was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WktError(String);

impl fmt::Display for WktError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WktError {}

impl Timestamp {
    /// Checks the mapping's range and the nanosecond bounds.
    pub fn validate(&self) -> Result<(), WktError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&self.seconds) {
            return Err(WktError(format!(
                "timestamp seconds {} outside 0001-01-01..9999-12-31",
                self.seconds
            )));
        }
        if !(0..1_000_000_000).contains(&self.nanos) {
            return Err(WktError(format!(
                "timestamp nanos {} outside 0..999999999",
                self.nanos
            )));
        }
        Ok(())
    }

    /// RFC 3339 text, as the proto3 JSON mapping prints it.
    pub fn to_rfc3339(&self) -> Result<String, WktError> {
        self.validate()?;
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
        push_fraction(&mut s, self.nanos as u32);
        s.push('Z');
        Ok(s)
    }

    /// Parses RFC 3339 (`2017-01-15T01:30:15.01Z`, any offset, `t`/`z`
    /// accepted) into UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, WktError> {
        let bad = || WktError(format!("{text:?} is not an RFC 3339 timestamp"));
        let b = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Result<i64, WktError> {
            let part = b.get(range).ok_or_else(bad)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            Ok(part.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
        };
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(bad());
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&month)
            || day < 1
            || day > month_days[month as usize - 1]
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(bad());
        }
        let mut i = 19;
        let mut nanos = 0i64;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = i - start;
            if n == 0 || n > 9 {
                return Err(bad());
            }
            nanos = digits(start..i)? * 10i64.pow(9 - n as u32);
        }
        let offset = match b.get(i..) {
            Some([b'Z' | b'z']) => 0,
            Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
                let (h, m) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
                if h > 23 || m > 59 {
                    return Err(bad());
                }
                let o = h * 3600 + m * 60;
                if *sign == b'-' { -o } else { o }
            }
            _ => return Err(bad()),
        };
        let seconds = days_from_civil(year, month as u32, day as u32) * 86_400
            + hour * 3600
            + minute * 60
            + second
            - offset;
        let ts = Timestamp {
            seconds,
            nanos: nanos as i32,
        };
        ts.validate()?;
        Ok(ts)
    }
}

/// `.fff`, `.ffffff` or `.fffffffff`: the fewest groups of three that hold
/// the fraction exactly (nothing for a whole second).
fn push_fraction(s: &mut String, nanos: u32) {
    let text = if nanos == 0 {
        return;
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    s.push_str(&text);
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Ok(s) => f.write_str(&s),
            Err(_) => write!(f, "{}s+{}ns", self.seconds, self.nanos),
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        let (seconds, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos() as i32),
            Err(e) => {
                let d = e.duration();
                let (s, n) = (d.as_secs() as i64, d.subsec_nanos() as i32);
                if n == 0 {
                    (-s, 0)
                } else {
                    (-s - 1, 1_000_000_000 - n)
                }
            }
        };
        Timestamp { seconds, nanos }
    }
}

impl TryFrom<Timestamp> for SystemTime {
    type Error = WktError;
    fn try_from(t: Timestamp) -> Result<SystemTime, WktError> {
        t.validate()?;
        let whole = Duration::from_secs(t.seconds.unsigned_abs());
        let base = if t.seconds >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        base.and_then(|b| b.checked_add(Duration::from_nanos(t.nanos as u64)))
            .ok_or_else(|| WktError(format!("{t} is not representable as SystemTime")))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339().map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl FieldMask {
    /// A mask of the given proto field paths.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(paths: I) -> Self {
        FieldMask {
            paths: paths.into_iter().map(Into::into).collect(),
        }
    }

    /// The mapping's text: paths in lowerCamel joined by `,`.
    pub fn to_json_text(&self) -> Result<String, WktError> {
        let mut out = String::new();
        for (i, path) in self.paths.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // The mapping requires a path to survive the camel round trip.
            if path.chars().any(|c| c.is_ascii_uppercase()) || path.contains("__") {
                return Err(WktError(format!(
                    "field mask path {path:?} has no JSON form"
                )));
            }
            let mut upper = false;
            for c in path.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Parses the mapping's text; lowerCamel paths become snake_case (proto
    /// names given as-is pass through unchanged).
    pub fn from_json_text(text: &str) -> FieldMask {
        let paths = text
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mut snake = String::with_capacity(p.len() + 4);
                for c in p.chars() {
                    if c.is_ascii_uppercase() {
                        snake.push('_');
                        snake.push(c.to_ascii_lowercase());
                    } else {
                        snake.push(c);
                    }
                }
                snake
            })
            .collect();
        FieldMask { paths }
    }
}

impl serde::Serialize for FieldMask {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_json_text().map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> serde::Deserialize<'de> for FieldMask {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldMask;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field mask string \"a.b,c\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<FieldMask, E> {
                Ok(FieldMask::from_json_text(s))
            }
            // `{"paths": [...]}`, what pbjson-types writes, is read too.
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<FieldMask, A::Error> {
                let mut paths = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "paths" {
                        paths = map.next_value()?;
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(FieldMask { paths })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_and_parse() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00Z"),
            (20, 2, "1970-01-01T00:00:20.000000002Z"),
            (1_481_804_612, 49, "2016-12-15T12:23:32.000000049Z"),
            (1_484_443_815, 10_000_000, "2017-01-15T01:30:15.010Z"),
            (1_484_443_815, 10_000, "2017-01-15T01:30:15.000010Z"),
            (MIN_SECONDS, 0, "0001-01-01T00:00:00Z"),
            (MAX_SECONDS, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
            (951_782_400, 0, "2000-02-29T00:00:00Z"),
            (-1, 0, "1969-12-31T23:59:59Z"),
        ];
        for (seconds, nanos, text) in cases {
            let t = Timestamp { seconds, nanos };
            assert_eq!(t.to_rfc3339().unwrap(), text);
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap(), t, "{text}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2017-01-15T01:30:15.01+01:30").unwrap(),
            Timestamp::parse_rfc3339("2017-01-15T00:00:15.01Z").unwrap()
        );
        for bad in [
            "",
            "2017-01-15",
            "2017-13-01T00:00:00Z",
            "2017-02-29T00:00:00Z",
            "2017-01-15T24:00:00Z",
            "2017-01-15T01:30:15",
            "2017-01-15T01:30:15.Z",
            "2017-01-15T01:30:15.0123456789Z",
            "2017-01-15T01:30:15+0100",
            "10000-01-01T00:00:00Z",
            "0000-12-31T23:59:59Z",
            "2017-01-15T01:30:15Zjunk",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(
            Timestamp {
                seconds: MAX_SECONDS + 1,
                nanos: 0
            }
            .to_rfc3339()
            .is_err()
        );
        assert!(
            Timestamp {
                seconds: 0,
                nanos: -1
            }
            .to_rfc3339()
            .is_err()
        );
    }

    #[test]
    fn system_time_round_trips() {
        for t in [
            Timestamp {
                seconds: -2,
                nanos: 5,
            },
            Timestamp {
                seconds: 1_700_000_000,
                nanos: 123,
            },
        ] {
            let st = SystemTime::try_from(t).unwrap();
            assert_eq!(Timestamp::from(st), t);
        }
    }

    #[test]
    fn field_masks_use_camel_text() {
        let m = FieldMask::new(["user.display_name", "photo"]);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#""user.displayName,photo""#
        );
        let back: FieldMask = serde_json::from_str(r#""user.displayName,photo""#).unwrap();
        assert_eq!(back, m);
        let old: FieldMask = serde_json::from_str(r#"{"paths":["a_b"]}"#).unwrap();
        assert_eq!(old.paths, ["a_b"]);
        let empty: FieldMask = serde_json::from_str(r#""""#).unwrap();
        assert!(empty.paths.is_empty());
        assert!(FieldMask::new(["Bad"]).to_json_text().is_err());
        assert_eq!(
            FieldMask::from_json_text("float_value,doubleValue").paths,
            ["float_value", "double_value"]
        );
    }
}
