//! Addresses of the dashboard's pages, for what is read outside it: reminders
//! and the Atom feed.

/// Builds links into the dashboard from its public address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardLinks {
    /// The dashboard's address without a trailing `/`, base path included:
    /// `https://diun.example.com` or `https://example.com/diun`.
    base: Option<String>,
}

impl DashboardLinks {
    /// Links under `base` (`DIUN_DASHBOARD_PUBLIC_URL`); none when it is unknown.
    pub fn new(base: Option<String>) -> Self {
        DashboardLinks { base: base.map(|b| b.trim_end_matches('/').to_owned()).filter(|b| !b.is_empty()) }
    }

    /// The dashboard's list of pending updates (its default view).
    pub fn pending(&self) -> Option<String> {
        self.base.as_ref().map(|base| format!("{base}/"))
    }

    /// The dashboard with the update's history open: the `history` query
    /// parameter is the one the dashboard keeps in its address bar for that
    /// (frontend/src/lib/viewState.ts).
    pub fn update(&self, id: i64) -> Option<String> {
        self.base.as_ref().map(|base| format!("{base}/?history={id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_public_address() {
        let links = DashboardLinks::new(Some("https://example.com/diun/".into()));
        assert_eq!(links.pending().as_deref(), Some("https://example.com/diun/"));
        assert_eq!(links.update(7).as_deref(), Some("https://example.com/diun/?history=7"));
        assert_eq!(DashboardLinks::new(Some(String::new())).update(7), None);
        assert_eq!(DashboardLinks::new(None).pending(), None);
    }
}
