//! Which route a request names, for middleware that runs before the router.
//!
//! The router matches a percent-decoded path, so a check on the raw path can
//! be fooled by `/%61pi/...`. The middleware therefore never looks for the
//! routes it must protect; it looks for the few routes it may leave open,
//! spelled exactly as they are registered, and treats every other spelling
//! (encoded, doubled slashes, dot segments, other case) as protected.

/// The raw path below the base path, or `None` when it is not under it.
///
/// `below_base("/diun/webhook", "/diun")` is `Some("/webhook")`;
/// `below_base("/diunx/webhook", "/diun")` is `None`.
pub fn below_base<'a>(path: &'a str, base_path: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(base_path)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Whether `path` is exactly `{base_path}{route}`, byte for byte.
pub fn is_exactly(path: &str, base_path: &str, route: &str) -> bool {
    below_base(path, base_path) == Some(route)
}

/// Whether the request is for the webhook, the one route that takes
/// state-changing requests from anywhere (it has its own secret).
pub fn is_webhook(path: &str, base_path: &str) -> bool {
    is_exactly(path, base_path, "/webhook")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_registered_spelling_counts() {
        assert!(is_webhook("/webhook", ""));
        assert!(is_webhook("/diun/webhook", "/diun"));
        for other in ["/%77ebhook", "//webhook", "/./webhook", "/Webhook", "/webhook/", "/api/../webhook"] {
            assert!(!is_webhook(other, ""), "{other}");
        }
        assert!(!is_webhook("/webhook", "/diun"));
        assert!(!is_webhook("/diunx/webhook", "/diun"));
        assert_eq!(below_base("/diun", "/diun"), Some(""));
    }
}
