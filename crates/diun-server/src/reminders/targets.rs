//! Where reminders go, each written as one URL (so that a list of them fits
//! in one environment variable):
//!
//! | URL | sends |
//! | --- | --- |
//! | `webhook+https://host/path` | the digest as JSON (POST) |
//! | `ntfy+https://ntfy.sh/TOPIC[?token=TOKEN]` | a ntfy message (user and password in the URL work too) |
//! | `gotify+https://host[/path]?token=APP_TOKEN` | a Gotify message |
//! | `slack+https://host/path` | `{"text": …}`: Slack, Mattermost, Discord (its `…/slack` URL) |
//! | `smtp://…`, `smtps://…` | an e-mail, see [`super::smtp`] |
//!
//! `+http://` works as well as `+https://`, for targets on a private network.

use std::fmt;
use std::time::Duration;

use url::Url;

use super::digest::Digest;
use super::smtp::EmailTarget;

/// How long one HTTP delivery may take, connection included.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// One place reminders are sent to.
#[derive(Clone)]
pub enum Target {
    /// A generic webhook: the digest's JSON, POSTed.
    Webhook { url: Url },
    /// A ntfy topic.
    Ntfy { url: Url, auth: Option<String> },
    /// A Gotify server's `/message` endpoint, with an application token.
    Gotify { url: Url, token: String },
    /// A Slack-compatible incoming webhook (Slack, Mattermost, Discord's `/slack`).
    Slack { url: Url },
    /// E-mail over SMTP.
    Email(EmailTarget),
}

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// For the log; never carries a secret of the target.
    pub message: String,
    /// A network error, a timeout, a 5xx, 408 or 429: worth another try.
    /// Other refusals (a wrong token, a wrong address) are not.
    pub retryable: bool,
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Target {
    /// Reads one target URL; the error says what is wrong without repeating the URL,
    /// which may hold a password or token.
    pub fn parse(text: &str) -> Result<Target, String> {
        let text = text.trim();
        let (kind, rest) = match text.split_once('+') {
            Some((kind, rest)) if rest.starts_with("http://") || rest.starts_with("https://") => (kind, rest),
            _ if text.starts_with("smtp://") || text.starts_with("smtps://") => {
                return EmailTarget::parse(text).map(Target::Email)
            }
            _ => {
                let scheme = text.split(':').next().unwrap_or_default();
                return Err(format!(
                    "a target starting {scheme:?} is none of webhook+http(s)://, ntfy+http(s)://, \
                     gotify+http(s)://, slack+http(s)://, smtp:// or smtps://"
                ));
            }
        };
        let mut url = Url::parse(rest).map_err(|err| format!("a {kind} target's URL is not valid: {err}"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("a {kind} target's URL has no host"));
        }
        match kind {
            "webhook" => Ok(Target::Webhook { url }),
            "slack" => Ok(Target::Slack { url }),
            "ntfy" => {
                if url.path().trim_matches('/').is_empty() {
                    return Err("a ntfy target's URL must name the topic: ntfy+https://ntfy.sh/TOPIC".into());
                }
                let token = take_query(&mut url, "token");
                let auth = match token {
                    Some(token) => Some(format!("Bearer {token}")),
                    None => take_basic_auth(&mut url),
                };
                Ok(Target::Ntfy { url, auth })
            }
            "gotify" => {
                let token = take_query(&mut url, "token")
                    .ok_or("a gotify target needs its application token: gotify+https://HOST?token=TOKEN")?;
                let path = format!("{}/message", url.path().trim_end_matches('/'));
                url.set_path(&path);
                Ok(Target::Gotify { url, token })
            }
            other => Err(format!(
                "{other:?} is not a target kind: webhook, ntfy, gotify, slack (http), or smtp:// / smtps://"
            )),
        }
    }

    /// The kind, a metrics label: `webhook`, `ntfy`, `gotify`, `slack` or `email`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Ntfy { .. } => "ntfy",
            Target::Gotify { .. } => "gotify",
            Target::Slack { .. } => "slack",
            Target::Email(_) => "email",
        }
    }

    /// Sends `digest` once.
    pub fn deliver(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let agent = ureq::AgentBuilder::new().timeout(HTTP_TIMEOUT).build();
        let result = match self {
            Target::Webhook { url } => agent.post(url.as_str()).send_json(digest.json()),
            Target::Slack { url } => {
                agent.post(url.as_str()).send_json(serde_json::json!({ "text": slack_text(digest) }))
            }
            Target::Ntfy { url, auth } => {
                let mut request = agent
                    .post(url.as_str())
                    // ntfy reads its headers as Latin-1; the title is ASCII, the body is UTF-8.
                    .set("Title", &digest.title())
                    .set("Tags", "hourglass");
                if let Some(click) = &digest.dashboard_url {
                    request = request.set("Click", click);
                }
                if let Some(auth) = auth {
                    request = request.set("Authorization", auth);
                }
                request.send_string(&digest.text())
            }
            Target::Gotify { url, token } => {
                agent.post(url.as_str()).set("X-Gotify-Key", token).send_json(serde_json::json!({
                    "title": digest.title(),
                    "message": digest.text(),
                    "priority": 5,
                }))
            }
            Target::Email(email) => return email.send(digest),
        };
        match result {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) => Err(DeliveryError {
                message: format!("{self} answered HTTP {code}"),
                retryable: code >= 500 || code == 408 || code == 429,
            }),
            Err(ureq::Error::Transport(transport)) => Err(DeliveryError {
                // ureq's message may quote the URL, which may hold a token: keep its kind only.
                message: format!("{self} could not be reached: {}", transport.kind()),
                retryable: true,
            }),
        }
    }
}

/// The target for the log: kind and host, never its path, token or password.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Webhook { url } | Target::Ntfy { url, .. } | Target::Gotify { url, .. } | Target::Slack { url } => {
                write!(f, "{} target {}", self.kind(), url.host_str().unwrap_or_default())
            }
            Target::Email(email) => write!(f, "{email}"),
        }
    }
}

/// Never prints a URL: it may hold a token.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

/// Slack's own link syntax, `<url|text>`, would show as is on Mattermost and
/// Discord; plain URLs are made links by all three.
fn slack_text(digest: &Digest) -> String {
    format!("*{}*\n{}", digest.title(), digest.text())
}

/// Removes the query parameter `name` from `url` and returns its value.
fn take_query(url: &mut Url, name: &str) -> Option<String> {
    let mut found = None;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter_map(|(key, value)| {
            if key == name {
                found = Some(value.into_owned());
                None
            } else {
                Some((key.into_owned(), value.into_owned()))
            }
        })
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    found.filter(|value| !value.is_empty())
}

/// Removes `user:password@` from `url` and returns it as a Basic `Authorization` value.
fn take_basic_auth(url: &mut Url) -> Option<String> {
    use base64::Engine;
    if url.username().is_empty() {
        return None;
    }
    let decode = |s: &str| percent_decode(s);
    let pair = format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or_default()));
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
}

/// A URL's user or password as written, percent-escapes decoded.
pub(super) fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_keeps_secrets_out_of_its_name() {
        let target = Target::parse("ntfy+https://ntfy.sh/diun-reminders?token=tk_secret").unwrap();
        let Target::Ntfy { url, auth } = &target else { panic!("{target:?}") };
        assert_eq!(url.as_str(), "https://ntfy.sh/diun-reminders");
        assert_eq!(auth.as_deref(), Some("Bearer tk_secret"));
        assert_eq!(target.to_string(), "ntfy target ntfy.sh");

        let target = Target::parse("ntfy+http://me:p%40ss@10.0.0.2:8080/topic").unwrap();
        let Target::Ntfy { url, auth } = &target else { panic!("{target:?}") };
        assert_eq!(url.as_str(), "http://10.0.0.2:8080/topic");
        assert_eq!(auth.as_deref(), Some("Basic bWU6cEBzcw==")); // me:p@ss

        let target = Target::parse("gotify+https://push.example.com/gotify/?token=AbC&x=1").unwrap();
        let Target::Gotify { url, token } = &target else { panic!("{target:?}") };
        assert_eq!((url.as_str(), token.as_str()), ("https://push.example.com/gotify/message?x=1", "AbC"));

        assert_eq!(Target::parse("slack+https://hooks.slack.com/services/T/B/X").unwrap().kind(), "slack");
        assert_eq!(Target::parse("webhook+http://127.0.0.1:9/hook").unwrap().kind(), "webhook");
        assert!(format!("{:?}", Target::parse("slack+https://hooks.slack.com/services/T/B/X").unwrap())
            .contains("hooks.slack.com"));
    }

    #[test]
    fn refuses_what_it_cannot_send_to() {
        assert!(Target::parse("https://example.com").unwrap_err().contains("none of"));
        assert!(Target::parse("teams+https://example.com/x").unwrap_err().contains("not a target kind"));
        assert!(Target::parse("ntfy+https://ntfy.sh/").unwrap_err().contains("topic"));
        assert!(Target::parse("gotify+https://g.example.com").unwrap_err().contains("token"));
        assert!(Target::parse("webhook+http://").unwrap_err().contains("webhook"));
        // The message never repeats the URL and its token.
        assert!(!Target::parse("teams+https://x.example/?token=s3cret").unwrap_err().contains("s3cret"));
    }
}
