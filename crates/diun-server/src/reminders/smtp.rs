//! Reminders by e-mail, over SMTP (lettre, TLS by rustls).
//!
//! The target is one URL:
//! `smtp://USER:PASSWORD@HOST[:PORT]/?from=ADDRESS&to=ADDRESS[,ADDRESS…][&tls=…][&ca=FILE]`
//! - `smtp://` speaks STARTTLS and refuses to go on without it (port 587
//!   unless given); `&tls=none` sends in clear text, for a relay on the same
//!   machine or network only;
//! - `smtps://` speaks TLS from the first byte (port 465 unless given);
//! - `ca=FILE`: a PEM certificate to trust besides the public roots, for a
//!   server with a private CA or a self-signed certificate;
//! - user and password are percent-encoded in the URL (`@` is `%40`), and
//!   are optional: without them nothing is authenticated.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use url::Url;

use super::digest::Digest;
use super::targets::{percent_decode, DeliveryError};

/// How long one SMTP exchange may wait for the server.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS, required (`smtp://`).
    StartTls,
    /// TLS from the start (`smtps://`).
    Tls,
    /// None (`smtp://…&tls=none`).
    Plain,
}

/// An SMTP server and the addresses of one e-mail reminder.
#[derive(Clone)]
pub struct EmailTarget {
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<(String, String)>,
    /// Extra trusted certificate, PEM.
    ca: Option<Vec<u8>>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl EmailTarget {
    /// Reads an `smtp://` or `smtps://` URL; see the module's documentation.
    pub fn parse(text: &str) -> Result<EmailTarget, String> {
        let url = Url::parse(text).map_err(|err| format!("an e-mail target's URL is not valid: {err}"))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("an e-mail target's URL has no host")?;
        // An IPv6 literal comes bracketed; lettre wants it bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let mut security = if url.scheme() == "smtps" { SmtpSecurity::Tls } else { SmtpSecurity::StartTls };
        let (mut from, mut to, mut ca) = (None, Vec::new(), None);
        for (key, value) in url.query_pairs() {
            match &*key {
                "from" => from = Some(mailbox(&value, "from")?),
                "to" => {
                    for address in value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                        to.push(mailbox(address, "to")?);
                    }
                }
                "tls" => {
                    security = match (&*value, security) {
                        ("none", SmtpSecurity::StartTls) => SmtpSecurity::Plain,
                        ("starttls", SmtpSecurity::StartTls) => SmtpSecurity::StartTls,
                        ("tls", _) => SmtpSecurity::Tls,
                        _ => return Err("an e-mail target's tls= must be starttls or none (smtp://), or tls".into()),
                    }
                }
                "ca" => {
                    ca = Some(
                        std::fs::read(&*value)
                            .map_err(|err| format!("an e-mail target's ca file {value:?} cannot be read: {err}"))?,
                    )
                }
                other => return Err(format!("an e-mail target has an unknown parameter {other:?}")),
            }
        }
        let from = from.ok_or("an e-mail target needs from=ADDRESS")?;
        if to.is_empty() {
            return Err("an e-mail target needs to=ADDRESS[,ADDRESS…]".into());
        }
        let credentials = (!url.username().is_empty())
            .then(|| (percent_decode(url.username()), percent_decode(url.password().unwrap_or_default())));
        let port = url.port().unwrap_or(if security == SmtpSecurity::Tls { 465 } else { 587 });
        Ok(EmailTarget { host, port, security, credentials, ca, from, to })
    }

    /// Sends the digest as one plain-text e-mail to every recipient.
    pub fn send(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let mut message = Message::builder().from(self.from.clone()).subject(digest.title());
        for to in &self.to {
            message = message.to(to.clone());
        }
        let message = message.header(ContentType::TEXT_PLAIN).body(digest.text()).map_err(|err| DeliveryError {
            message: format!("{self}: the message cannot be built: {err}"),
            retryable: false,
        })?;
        self.transport()?.send(&message).map(drop).map_err(|err| DeliveryError {
            // Permanent SMTP replies (5xx: bad address, authentication failed) will not change.
            retryable: !err.is_permanent(),
            message: format!("{self}: {err}"),
        })
    }

    fn transport(&self) -> Result<SmtpTransport, DeliveryError> {
        let tls_parameters = || {
            let mut builder = TlsParameters::builder(self.host.clone());
            if let Some(pem) = &self.ca {
                let certificate = Certificate::from_pem(pem).map_err(|err| DeliveryError {
                    message: format!("{self}: the ca certificate cannot be read: {err}"),
                    retryable: false,
                })?;
                builder = builder.add_root_certificate(certificate);
            }
            builder.build_rustls().map_err(|err| DeliveryError {
                message: format!("{self}: TLS cannot be set up: {err}"),
                retryable: false,
            })
        };
        let tls = match self.security {
            SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
            SmtpSecurity::Plain => Tls::None,
        };
        let mut transport =
            SmtpTransport::builder_dangerous(&self.host).port(self.port).tls(tls).timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &self.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(transport.build())
    }
}

fn mailbox(text: &str, field: &str) -> Result<Mailbox, String> {
    text.parse().map_err(|err| format!("an e-mail target's {field}={text:?} is not an e-mail address: {err}"))
}

/// Server and recipients, never the password.
impl fmt::Display for EmailTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to: Vec<String> = self.to.iter().map(|m| m.email.to_string()).collect();
        write!(f, "email target {}:{} to {}", self.host, self.port, to.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_server_security_credentials_and_addresses() {
        let t = EmailTarget::parse(
            "smtp://diun%40example.com:pa%3Ass@mail.example.com/?from=Diun%20%3Cdiun@example.com%3E&to=a@example.com,%20b@example.com",
        )
        .unwrap();
        assert_eq!((t.host.as_str(), t.port, t.security), ("mail.example.com", 587, SmtpSecurity::StartTls));
        assert_eq!(t.credentials, Some(("diun@example.com".into(), "pa:ss".into())));
        assert_eq!(t.from.name.as_deref(), Some("Diun"));
        assert_eq!(t.to.len(), 2);
        assert_eq!(t.to_string(), "email target mail.example.com:587 to a@example.com, b@example.com");

        let t = EmailTarget::parse("smtps://mail.example.com?from=d@example.com&to=a@example.com").unwrap();
        assert_eq!((t.port, t.security, t.credentials), (465, SmtpSecurity::Tls, None));
        let t = EmailTarget::parse("smtp://127.0.0.1:2525?from=d@example.com&to=a@example.com&tls=none").unwrap();
        assert_eq!((t.port, t.security), (2525, SmtpSecurity::Plain));
    }

    #[test]
    fn refuses_incomplete_or_unknown_settings() {
        let err = |url: &str| EmailTarget::parse(url).err().unwrap();
        assert!(err("smtp://mail.example.com?to=a@example.com").contains("from="));
        assert!(err("smtp://mail.example.com?from=a@example.com").contains("to="));
        assert!(err("smtp://mail.example.com?from=a@example.com&to=nobody").contains("to=\"nobody\""));
        assert!(err("smtps://mail.example.com?from=a@x.org&to=b@x.org&tls=none").contains("tls="));
        assert!(err("smtp://mail.example.com?from=a@x.org&to=b@x.org&cc=c@x.org").contains("\"cc\""));
        assert!(err("smtp://h?from=a@x.org&to=b@x.org&ca=/nonexistent.pem").contains("ca file"));
    }
}
