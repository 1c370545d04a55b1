//! The handler's settings, declared in `langgraph.json`.
//!
//! Settings live under `wasmgate.auth.settings`. Values written as `{"$env": ...}` or
//! `{"$file": ...}` are resolved by the host, so secrets need not sit in the file; a handler can
//! read only its own settings and has no other access to the host environment.
//!
//! ```json
//! {
//!   "auth": {"path": "./auth.wasm"},
//!   "wasmgate": {"auth": {"settings": {
//!     "issuer": "https://login.example.com",
//!     "api_keys": {"alice-key": {"identity": "alice"}},
//!     "signing_key": {"$env": "SIGNING_KEY"}
//!   }}}
//! }
//! ```
//!
//! String settings arrive as the string itself; objects, arrays, numbers and booleans arrive as
//! JSON text. [`get`] returns that text, [`json`] deserializes it.

use core::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::bindings::langgraph::auth::settings as wit;

/// The raw value of setting `name`, or `None` if it is not declared.
pub fn get(name: &str) -> Option<String> {
    wit::get(name)
}

/// Setting `name` deserialized into `T`.
///
/// The value is parsed as JSON. If that does not produce a `T`, the raw text is tried as a JSON
/// string, so a string setting can be read as `String` (or any type that deserializes from a
/// string) whatever it looks like.
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use wasmgate_guest::auth::settings;
///
/// let keys: BTreeMap<String, serde_json::Value> = settings::json("api_keys")?;
/// # Ok::<(), settings::SettingError>(())
/// ```
pub fn json<T: DeserializeOwned>(name: &str) -> Result<T, SettingError> {
    parse(name, get(name))
}

/// Every declared setting as (name, raw value) pairs, sorted by name (WIT `get-all`).
pub fn list() -> Vec<(String, String)> {
    wit::get_all()
}

fn parse<T: DeserializeOwned>(name: &str, raw: Option<String>) -> Result<T, SettingError> {
    let Some(raw) = raw else {
        return Err(SettingError::Missing { name: name.into() });
    };
    serde_json::from_str(&raw).or_else(|error| {
        serde_json::from_value(Value::String(raw)).map_err(|_| SettingError::Invalid {
            name: name.into(),
            source: error,
        })
    })
}

/// Why [`json`] could not read a setting.
///
/// Its `Display` names the setting and the reason but never quotes the value, so it is safe to
/// put in a response detail or a log line even when the setting holds secrets. The parse error
/// itself (which may quote the value) is available through [`std::error::Error::source`].
#[derive(Debug)]
#[non_exhaustive]
pub enum SettingError {
    /// The setting is not declared in `langgraph.json`.
    Missing {
        /// The setting's name.
        name: String,
    },
    /// The value is not valid JSON, or not of the expected shape.
    Invalid {
        /// The setting's name.
        name: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl SettingError {
    /// The name of the setting concerned.
    pub fn name(&self) -> &str {
        match self {
            Self::Missing { name } | Self::Invalid { name, .. } => name,
        }
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { name } => write!(f, "setting `{name}` is not declared"),
            Self::Invalid { name, source } => {
                let what = match source.classify() {
                    serde_json::error::Category::Data => "does not have the expected shape",
                    serde_json::error::Category::Eof => "is truncated JSON",
                    serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                        "is not valid JSON"
                    }
                };
                write!(
                    f,
                    "setting `{name}` {what} (line {}, column {})",
                    source.line(),
                    source.column()
                )
            }
        }
    }
}

impl std::error::Error for SettingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Missing { .. } => None,
            Self::Invalid { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Entry {
        identity: String,
    }

    #[test]
    fn parses_json_settings() {
        let keys: BTreeMap<String, Entry> =
            parse("api_keys", Some(r#"{"k": {"identity": "alice"}}"#.into())).unwrap();
        assert_eq!(keys["k"].identity, "alice");
        let limit: u32 = parse("limit", Some("10".into())).unwrap();
        assert_eq!(limit, 10);
    }

    #[test]
    fn string_settings_read_as_strings() {
        let issuer: String = parse("issuer", Some("https://x".into())).unwrap();
        assert_eq!(issuer, "https://x");
        let numeric: String = parse("pin", Some("1234".into())).unwrap();
        assert_eq!(numeric, "1234");
        let quoted: String = parse("q", Some(r#""abc""#.into())).unwrap();
        assert_eq!(quoted, "abc");
    }

    #[test]
    fn missing_setting() {
        let error = parse::<Value>("api_keys", None).unwrap_err();
        assert_eq!(error.name(), "api_keys");
        assert_eq!(error.to_string(), "setting `api_keys` is not declared");
    }

    #[test]
    fn invalid_settings_never_quote_the_value() {
        let error = parse::<BTreeMap<String, Entry>>(
            "api_keys",
            Some(r#"{"k": {"identity": true}}"#.into()),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("setting `api_keys` does not have the expected shape"),
            "{message}"
        );
        assert!(!message.contains("true"), "{message}");
        assert!(std::error::Error::source(&error).is_some());

        let error =
            parse::<BTreeMap<String, Entry>>("secret", Some("{ghp_secret".into())).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("setting `secret` is not valid JSON"),
            "{message}"
        );
        assert!(!message.contains("ghp_secret"));
    }
}
