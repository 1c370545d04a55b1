//! The refusal a handler returns.

use core::fmt;

use super::wit;

/// A refusal: the client receives `status` with the body `{"detail": detail}` and the extra
/// headers.
///
/// ```
/// use wasmgate_guest::auth::HttpError;
///
/// let error = HttpError::unauthorized("Invalid API key").header("www-authenticate", "ApiKey");
/// assert_eq!(error.status(), 401);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: u16,
    detail: String,
    headers: Vec<(String, String)>,
}

impl HttpError {
    /// A refusal with any status. Use one from 400 to 599: wasmgate passes those through as is.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// `401 Unauthorized`: the credentials are missing or wrong.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, detail)
    }

    /// `403 Forbidden`: the credentials are fine but do not allow this request.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, detail)
    }

    /// Add a response header, e.g. `www-authenticate`. Unlike LangGraph, wasmgate keeps them.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The message sent as `detail`. An empty one is replaced by the status reason phrase.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The extra response headers, in the order added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub(super) fn into_wit(self) -> wit::HttpError {
        wit::HttpError {
            status: self.status,
            detail: (!self.detail.is_empty()).then_some(self.detail),
            headers: self.headers,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_record() {
        let record = HttpError::unauthorized("Invalid API key")
            .header("www-authenticate", "ApiKey")
            .into_wit();
        assert_eq!(record.status, 401);
        assert_eq!(record.detail.as_deref(), Some("Invalid API key"));
        assert_eq!(
            record.headers,
            [("www-authenticate".to_owned(), "ApiKey".to_owned())]
        );
        assert_eq!(HttpError::forbidden("no").status(), 403);
        assert_eq!(HttpError::new(418, "").into_wit().detail, None);
    }
}
