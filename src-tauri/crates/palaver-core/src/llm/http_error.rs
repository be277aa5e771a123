//! Turning a non-2xx answer into a `ChatError` a person can act on.
//!
//! Error bodies are not always JSON: proxies answer 502 with an HTML page, some servers
//! with plain text, some with nothing. Each gives a clear message; the raw body is never
//! shown whole (an HTML page is summarised by its title).

use super::error::{ChatError, ErrorKind};
use super::kind::Protocol;
use super::wire::{excerpt, kind_for_code, ErrorBody};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, SystemTime};

/// The most of an error body we read: enough for any real error message.
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// Redirects are never followed: the request carries the key, and the place it points to
/// is not the server the key was saved for. The person decides whether to trust it.
fn redirect(status: StatusCode, headers: &HeaderMap) -> ChatError {
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(excerpt)
        .unwrap_or_else(|| "somewhere it did not say".to_owned());
    ChatError::new(
        ErrorKind::BadRequest,
        format!(
            "The server answered with a redirect ({}) to {target}. Palaver does not follow redirects, so the request and its key went no further; if you trust that address, use it as the base URL.",
            status.as_u16()
        ),
    )
    .with_status(status.as_u16())
}

/// A classified HTTP failure: the error to show and whether asking again may help.
pub(crate) struct HttpFailure {
    pub error: ChatError,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

/// Classifies a non-2xx answer to a request in `protocol` (Anthropic's overload has its
/// own status, 529, and its own words).
pub(crate) fn classify(
    protocol: Protocol,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> HttpFailure {
    if status.is_redirection() {
        return HttpFailure {
            error: redirect(status, headers),
            retryable: false,
            retry_after: None,
        };
    }
    let (detail, code) = describe_body(headers, body);
    let retry_after = retry_after(headers);
    let reason = status.canonical_reason().unwrap_or("");
    let label = format!("{} {reason}", status.as_u16())
        .trim_end()
        .to_owned();
    let specific = kind_for_code(code.as_deref(), &detail);

    let (kind, summary) = match status.as_u16() {
        401 | 403 => (
            ErrorKind::Auth,
            "The server rejected the API key".to_owned(),
        ),
        429 if specific == Some(ErrorKind::Quota) => (
            ErrorKind::Quota,
            "The account has no quota left (check the plan and billing)".to_owned(),
        ),
        429 => (ErrorKind::RateLimited, "Rate limited".to_owned()),
        408 => (
            ErrorKind::Timeout,
            "The server timed out waiting for the request".to_owned(),
        ),
        404 => (
            ErrorKind::BadRequest,
            "Not found — check the base URL and the model name".to_owned(),
        ),
        413 => (
            ErrorKind::ContextTooLong,
            "The request is too large for the server".to_owned(),
        ),
        400..=499 if specific == Some(ErrorKind::ContextTooLong) => (
            ErrorKind::ContextTooLong,
            "The conversation is too long for this model".to_owned(),
        ),
        400..=499 => (
            ErrorKind::BadRequest,
            "The server rejected the request".to_owned(),
        ),
        529 if protocol == Protocol::Messages => {
            (ErrorKind::Server, "Anthropic is overloaded".to_owned())
        }
        _ if code.as_deref() == Some("overloaded_error") || status.as_u16() == 529 => {
            (ErrorKind::Server, "The server is overloaded".to_owned())
        }
        _ => (ErrorKind::Server, "The server had an error".to_owned()),
    };

    let mut message = format!("{summary} ({label}): {detail}");
    if kind == ErrorKind::RateLimited {
        if let Some(wait) = retry_after {
            message.push_str(&format!(
                " — try again in {}.",
                super::error::human_duration(round_up_to_second(wait))
            ));
        }
    }
    let retryable = match status.as_u16() {
        408 | 409 => true,
        429 => kind == ErrorKind::RateLimited,
        500..=599 => status != StatusCode::NOT_IMPLEMENTED,
        _ => false,
    };
    HttpFailure {
        error: ChatError::new(kind, message)
            .with_status(status.as_u16())
            .with_retry_after(retry_after),
        retryable,
        retry_after,
    }
}

fn round_up_to_second(d: Duration) -> Duration {
    Duration::from_secs(d.as_millis().div_ceil(1000) as u64)
}

/// A one-line description of an error body, and the machine code if it had one.
fn describe_body(headers: &HeaderMap, body: &[u8]) -> (String, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return ("the server gave no details.".to_owned(), None);
    }
    if let Ok(parsed) = serde_json::from_str::<ErrorBody<'_>>(text) {
        let code = parsed
            .error
            .as_ref()
            .and_then(|e| e.code())
            .map(str::to_owned);
        let message = parsed
            .error
            .as_ref()
            .and_then(|e| e.message())
            .or(parsed.detail.as_deref())
            .or(parsed.message.as_deref())
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if let Some(message) = message {
            return (message.to_owned(), code);
        }
        return (excerpt(text), code);
    }
    let is_html = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("html"))
        || text.starts_with('<');
    if is_html {
        return match html_title(text) {
            Some(title) => (
                format!("the server answered with an HTML page titled “{title}”."),
                None,
            ),
            None => ("the server answered with an HTML page.".to_owned(), None),
        };
    }
    (excerpt(text), None)
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title")? + open_end;
    let title = html[open_end..close]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then(|| excerpt(&title))
}

/// `retry-after-ms` (OpenAI's, precise) first, then `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_millis(ms as u64));
    }
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_millis((secs * 1000.0) as u64));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, CONTENT_TYPE};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn html_bodies_are_summarised_by_title() {
        let f = classify(
            Protocol::ChatCompletions,
            StatusCode::BAD_GATEWAY,
            &headers(&[("content-type", "text/html")]),
            b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        );
        assert_eq!(f.error.kind, ErrorKind::Server);
        assert!(f.retryable);
        assert_eq!(
            f.error.message,
            "The server had an error (502 Bad Gateway): the server answered with an HTML page titled “502 Bad Gateway”."
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7"), ("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let d = retry_after(&headers(&[("retry-after", &date)])).unwrap();
        assert!(d <= Duration::from_secs(30) && d >= Duration::from_secs(28));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    }

    #[test]
    fn quota_is_not_a_rate_limit() {
        let body = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        let f = classify(
            Protocol::ChatCompletions,
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            body,
        );
        assert_eq!(f.error.kind, ErrorKind::Quota);
        assert!(!f.retryable);
    }

    #[test]
    fn context_too_long_from_openai_code() {
        let body = br#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let f = classify(Protocol::ChatCompletions, StatusCode::BAD_REQUEST, &h, body);
        assert_eq!(f.error.kind, ErrorKind::ContextTooLong);
        assert!(f.error.message.contains("maximum context length is 8192"));
    }
}
