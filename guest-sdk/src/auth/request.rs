//! The request a handler sees.

use super::wit;

/// The request being authenticated: method, path, query string and headers. The body is never
/// available.
///
/// Header names arrive lower-cased, in the order received, duplicates included. Lookups follow
/// LangGraph: names are matched case-insensitively and, when a header is repeated, the **last**
/// value wins.
///
/// The fields are public so that handlers can be unit-tested natively with hand-made requests:
///
/// ```
/// use wasmgate_guest::auth::Request;
///
/// let request = Request::new("GET", "/threads")
///     .with_header("authorization", "Bearer abc")
///     .with_query("page=2");
/// assert_eq!(request.bearer_token(), Some("abc"));
/// assert_eq!(request.query_param("page").as_deref(), Some("2"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query string, e.g. `/threads/123`.
    pub path: String,
    /// Raw query string without the leading `?`; empty when there is none.
    pub query: String,
    /// Every header as (lower-case name, raw value bytes), in the order received.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    /// A request with no query and no headers; mostly useful in tests.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            ..Self::default()
        }
    }

    /// Append a header (builder style); mostly useful in tests.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replace the raw query string (without `?`); mostly useful in tests.
    #[must_use]
    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// The raw value of header `name` (case-insensitive); the last one if it is repeated.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .rev()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }

    /// Header `name` as text: like [`header`](Self::header), but `None` when the value is not
    /// valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name)
            .and_then(|value| core::str::from_utf8(value).ok())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    ///
    /// The scheme is matched case-insensitively and the token is trimmed. `None` when the header
    /// is missing, not UTF-8, uses another scheme, or carries an empty token.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header_str("authorization")?.trim();
        let (scheme, token) = value.split_once(|c: char| c.is_ascii_whitespace())?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    /// The value of the `x-api-key` header; `None` when it is missing, empty or not UTF-8.
    pub fn api_key(&self) -> Option<&str> {
        self.header_str("x-api-key").filter(|key| !key.is_empty())
    }

    /// Every query parameter as decoded (name, value) pairs, in order.
    ///
    /// Decoding follows `application/x-www-form-urlencoded`: `+` is a space and `%XX` is a byte;
    /// malformed escapes are kept literally and invalid UTF-8 becomes U+FFFD.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect()
    }

    /// The decoded value of query parameter `name` (see [`query_pairs`](Self::query_pairs)); the
    /// last one if it is repeated, as in LangGraph (`?a=1&a=2` gives `"2"`).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .rev()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value)
    }

    pub(super) fn from_wit(request: wit::Request) -> Self {
        Self {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request
                .headers
                .into_iter()
                .map(|header| (header.name, header.value))
                .collect(),
        }
    }
}

/// Decode one `application/x-www-form-urlencoded` component.
fn percent_decode(input: &str) -> String {
    fn hex(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }

    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let escaped = bytes
                    .get(i + 1)
                    .and_then(|&high| hex(high))
                    .zip(bytes.get(i + 2).and_then(|&low| hex(low)));
                if let Some((high, low)) = escaped {
                    decoded.push(high << 4 | low);
                    i += 2;
                } else {
                    decoded.push(b'%');
                }
            }
            byte => decoded.push(byte),
        }
        i += 1;
    }
    String::from_utf8(decoded)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_last_wins() {
        let request = Request::new("GET", "/")
            .with_header("x-api-key", "first")
            .with_header("X-Other", "other")
            .with_header("X-API-KEY", "second");
        assert_eq!(request.header("x-api-key"), Some(&b"second"[..]));
        assert_eq!(request.header("X-Other"), Some(&b"other"[..]));
        assert_eq!(request.header("x-missing"), None);
        assert_eq!(request.api_key(), Some("second"));
    }

    #[test]
    fn header_str_refuses_invalid_utf8() {
        let request = Request::new("GET", "/").with_header("x-bin", vec![0xff, 0xfe]);
        assert_eq!(request.header("x-bin"), Some(&[0xff, 0xfe][..]));
        assert_eq!(request.header_str("x-bin"), None);
    }

    #[test]
    fn api_key_ignores_empty_values() {
        let request = Request::new("GET", "/").with_header("x-api-key", "");
        assert_eq!(request.api_key(), None);
    }

    #[test]
    fn bearer_token_parsing() {
        let token = |value: &str| {
            Request::new("GET", "/")
                .with_header("authorization", value)
                .bearer_token()
                .map(str::to_owned)
        };
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("BEARER   abc  ").as_deref(), Some("abc"));
        assert_eq!(token("  Bearer\tabc").as_deref(), Some("abc"));
        assert_eq!(token("Bearer"), None);
        assert_eq!(token("Bearer   "), None);
        assert_eq!(token("Basic YWxpY2U6cHc="), None);
        assert_eq!(token("Bearerabc"), None);
        assert_eq!(Request::new("GET", "/").bearer_token(), None);
    }

    #[test]
    fn query_decoding() {
        let request = Request::new("GET", "/").with_query(
            "a=1&name=J%C3%BCrgen+M%c3%bcller&a=2&flag&empty=&bad=%zz%4&plus=%2B&=anon",
        );
        assert_eq!(request.query_param("a").as_deref(), Some("2"));
        assert_eq!(
            request.query_param("name").as_deref(),
            Some("Jürgen Müller")
        );
        assert_eq!(request.query_param("flag").as_deref(), Some(""));
        assert_eq!(request.query_param("empty").as_deref(), Some(""));
        assert_eq!(request.query_param("bad").as_deref(), Some("%zz%4"));
        assert_eq!(request.query_param("plus").as_deref(), Some("+"));
        assert_eq!(request.query_param("").as_deref(), Some("anon"));
        assert_eq!(request.query_param("missing"), None);
        assert_eq!(request.query_pairs().len(), 8);
    }

    #[test]
    fn query_decoding_of_encoded_names_and_invalid_utf8() {
        let request = Request::new("GET", "/").with_query("my%20key=v&raw=%FF");
        assert_eq!(request.query_param("my key").as_deref(), Some("v"));
        assert_eq!(request.query_param("raw").as_deref(), Some("\u{fffd}"));
        assert!(Request::new("GET", "/").query_pairs().is_empty());
    }

    #[test]
    fn from_wit_keeps_every_header_in_order() {
        let request = Request::from_wit(wit::Request {
            method: "POST".into(),
            path: "/runs".into(),
            query: "x=1".into(),
            headers: vec![
                wit::Header {
                    name: "a".into(),
                    value: b"1".to_vec(),
                },
                wit::Header {
                    name: "a".into(),
                    value: b"2".to_vec(),
                },
            ],
        });
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/runs");
        assert_eq!(request.headers.len(), 2);
        assert_eq!(request.header_str("a"), Some("2"));
    }
}
