//! Delivery of the outbox by SMTP through `lettre`, when
//! `PASSERELLE_SMTP_URL` is set. Without it, messages stay in the outbox,
//! readable by admins and tests.
//!
//! The URL says where and how:
//! `smtp://[user:password@]host[:port][?from=…&tls=starttls&timeout=…&ca=…]`
//! (`smtp://`: plain, for a relay on the same host or network, port 25;
//! `tls=starttls`: STARTTLS required, port 587; `smtps://`: implicit TLS,
//! port 465). `timeout` (seconds, 30 by default) bounds the connection and
//! each message's whole conversation, so that a relay that accepts and
//! then stalls costs one message one timeout, never the round; `ca` names
//! a PEM file of a private certificate authority trusted beside the
//! public ones.
//!
//! Each message carries `Date` and a `Message-ID` stable across its
//! attempts. A relay that refuses a message for good (5xx) marks it
//! failed; any other failure is tried again after a growing delay
//! (`BACKOFF`), and the message is failed after `MAX_ATTEMPTS`. Messages
//! of a round are sent a few at a time (`AT_ONCE`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use passerelle_store::Database;
use passerelle_store::outbox::{Attempt, OutboxMessage};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No TLS: a relay on the same host or a trusted network.
    Plain,
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// Where and as whom to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, String)>,
    pub from: String,
    /// Bounds the connection and each message's conversation.
    pub timeout: Duration,
    /// A PEM file of a private certificate authority to trust.
    pub ca: Option<String>,
}

impl SmtpConfig {
    /// Parses `smtp[s]://[user:password@]host[:port][?from=&tls=&timeout=&ca=]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text)
            .map_err(|e| format!("PASSERELLE_SMTP_URL n’est pas une URL ({e}) : écrivez smtp[s]://utilisateur:mot-de-passe@hôte:port"))?;
        let mut security = match url.scheme() {
            "smtp" => Security::Plain,
            "smtps" => Security::Tls,
            _ => {
                return Err(format!(
                    "PASSERELLE_SMTP_URL commence par {}:// : écrivez smtp:// ou smtps://",
                    url.scheme()
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("PASSERELLE_SMTP_URL ne nomme aucun hôte : écrivez smtp[s]://hôte:port")?
            .to_string();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = (!url.username().is_empty())
            .then(|| (decode(url.username()), decode(url.password().unwrap_or(""))));
        let (mut from, mut timeout, mut ca) = (None, Duration::from_secs(30), None);
        for (key, value) in url.query_pairs() {
            match &*key {
                "from" => from = Some(value.into_owned()),
                "tls" => {
                    security = match (&*value, security) {
                        ("starttls", Security::Plain) => Security::StartTls,
                        ("none", Security::Plain) => Security::Plain,
                        _ => {
                            return Err(format!(
                                "PASSERELLE_SMTP_URL : tls={value} n’est ni starttls ni none (smtps:// est déjà en TLS)"
                            ));
                        }
                    }
                }
                "timeout" => {
                    timeout = value
                        .parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .map(Duration::from_secs)
                        .ok_or(format!(
                            "PASSERELLE_SMTP_URL : timeout={value} n’est pas un nombre de secondes"
                        ))?
                }
                "ca" => ca = Some(value.into_owned()),
                _ => {
                    return Err(format!(
                        "PASSERELLE_SMTP_URL : paramètre inconnu « {key} » (from, tls, timeout ou ca)"
                    ));
                }
            }
        }
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        });
        Ok(Self {
            from: from.unwrap_or_else(|| format!("passerelle@{host}")),
            host,
            port,
            security,
            credentials,
            timeout,
            ca,
        })
    }
}

/// A relay to send through, built once from its configuration.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

/// Why a message did not leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// The relay refused it for good: trying again would not help.
    pub permanent: bool,
    pub reason: String,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = format!("Passerelle <{}>", config.from)
            .parse()
            .map_err(|e| {
                format!(
                    "PASSERELLE_SMTP_URL : from={} n’est pas une adresse électronique ({e})",
                    config.from
                )
            })?;
        let tls = || -> Result<TlsParameters, String> {
            let mut builder = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca {
                let pem = std::fs::read(path).map_err(|e| {
                    format!("PASSERELLE_SMTP_URL : lecture impossible de ca={path} ({e})")
                })?;
                let ca = Certificate::from_pem(&pem).map_err(|e| {
                    format!("PASSERELLE_SMTP_URL : ca={path} n’est pas un certificat PEM ({e})")
                })?;
                builder = builder.add_root_certificate(ca);
            }
            builder
                .build_rustls()
                .map_err(|e| format!("PASSERELLE_SMTP_URL : TLS impossible à préparer ({e})"))
        };
        let tls = match config.security {
            Security::Plain => Tls::None,
            Security::StartTls => Tls::Required(tls()?),
            Security::Tls => Tls::Wrapper(tls()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            timeout: config.timeout,
        })
    }

    /// Sends one message of the outbox: `id` and `queued` make its
    /// `Message-ID`, the same at each attempt.
    pub async fn send(
        &self,
        id: i64,
        queued: DateTime<Utc>,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), SendError> {
        let refused = |reason: String| SendError {
            permanent: true,
            reason,
        };
        let to: Mailbox = to
            .parse()
            .map_err(|e| refused(format!("adresse du destinataire invalide ({e})")))?;
        let domain = self.from.email.domain();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date(queued.into())
            .message_id(Some(format!(
                "<passerelle.{id}.{}@{domain}>",
                queued.timestamp()
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| refused(format!("courriel impossible à composer ({e})")))?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(SendError {
                permanent: false,
                reason: format!("le relais n’a pas répondu en {} s", self.timeout.as_secs()),
            }),
            // The relay's own words stay as it wrote them, after ours.
            Ok(Err(e)) => Err(SendError {
                permanent: e.is_permanent(),
                reason: if e.is_permanent() {
                    format!("refusé par le relais ({e})")
                } else {
                    format!("le relais n’a pas pris le courriel ({e})")
                },
            }),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 5;
/// The wait before the 2nd, 3rd, 4th and 5th attempts.
pub const BACKOFF: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
];
/// Messages sent at once in a round.
const AT_ONCE: usize = 4;

/// What to record after the attempt number `attempts` (from 1) of a
/// message failed at `now`.
pub fn after_failure(error: &SendError, attempts: i64, now: DateTime<Utc>) -> Attempt {
    let reason = without_addresses(&error.reason);
    let wait = usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| BACKOFF.get(i))
        .filter(|_| !error.permanent && attempts < MAX_ATTEMPTS);
    match wait {
        Some(wait) => Attempt::Retry {
            error: reason,
            retry_at: now + chrono::Duration::from_std(*wait).unwrap_or_default(),
        },
        None => Attempt::Failed { error: reason },
    }
}

/// Sends what is due in the outbox, once, a few messages at a time.
/// Returns how many were sent. A delivered message loses its one-time link
/// in the outbox, and the write-ahead log is then flushed so the link does
/// not linger there either.
pub async fn deliver_pending(
    db: &Database,
    mailer: &Arc<Mailer>,
    public_url: &str,
) -> Result<usize, passerelle_store::StoreError> {
    let due = db.outbox_due(Utc::now(), 50).await?;
    let mut sending = tokio::task::JoinSet::new();
    let mut sent = 0;
    let mut queue = due.into_iter();
    loop {
        while sending.len() < AT_ONCE {
            let Some(message) = queue.next() else { break };
            sending.spawn(send_one(mailer.clone(), message, public_url.to_string()));
        }
        let Some(done) = sending.join_next().await else {
            break;
        };
        let (message, outcome) =
            done.map_err(|e| passerelle_store::StoreError::Corrupt(e.to_string()))?;
        let attempt = match outcome {
            Ok(()) => {
                sent += 1;
                Attempt::Sent
            }
            Err(e) => {
                // The address is personal data: the log names the message.
                let attempt = after_failure(&e, message.attempts + 1, Utc::now());
                tracing::warn!(
                    "e-mail {} not sent: {}",
                    message.id,
                    without_addresses(&e.reason)
                );
                attempt
            }
        };
        db.record_attempt(message.id, Utc::now(), &attempt).await?;
    }
    if sent > 0 {
        db.flush_erasures().await?;
    }
    Ok(sent)
}

async fn send_one(
    mailer: Arc<Mailer>,
    message: OutboxMessage,
    public_url: String,
) -> (OutboxMessage, Result<(), SendError>) {
    let mail = crate::mail::render(&message.content, &public_url);
    let outcome = mailer
        .send(
            message.id,
            message.created_at,
            &message.to_address,
            &mail.subject,
            &mail.body,
        )
        .await;
    (message, outcome)
}

/// An SMTP server's answer with the e-mail addresses it quotes blanked.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[adresse]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The mailer on the jobs board, and how often it delivers.
pub const JOB: &str = "outbox";
pub const EVERY: Duration = Duration::from_secs(5);

/// One round of delivery (run every few seconds by the server holding the
/// mailer's lease, so that two servers never send one message twice);
/// whether it went well.
pub async fn deliver_round(db: Database, mailer: Arc<Mailer>, public_url: Arc<str>) -> bool {
    let outcome = deliver_pending(&db, &mailer, &public_url).await;
    if let Err(e) = &outcome {
        tracing::error!("outbox delivery: {e}");
    }
    outcome.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_smtp_urls() {
        let c = SmtpConfig::parse(
            "smtp://anne%40hub:p%3Ass@mail.exemple.fr:2525?from=passerelle%40hub.fr&tls=starttls&timeout=7",
        )
        .unwrap();
        assert_eq!(c.host, "mail.exemple.fr");
        assert_eq!(c.port, 2525);
        assert_eq!(c.security, Security::StartTls);
        assert_eq!(c.timeout, Duration::from_secs(7));
        assert_eq!(c.credentials, Some(("anne@hub".into(), "p:ss".into())));
        assert_eq!(c.from, "passerelle@hub.fr");
        let c = SmtpConfig::parse("smtp://localhost").unwrap();
        assert_eq!(
            (c.port, c.security, c.credentials, c.from.as_str()),
            (25, Security::Plain, None, "passerelle@localhost")
        );
        let c = SmtpConfig::parse("smtps://relais.exemple.fr").unwrap();
        assert_eq!((c.port, c.security), (465, Security::Tls));
        assert!(SmtpConfig::parse("http://x").is_err());
        assert!(SmtpConfig::parse("smtp://host:port").is_err());
        assert!(SmtpConfig::parse("smtp://host?tls=peut-être").is_err());
        assert!(SmtpConfig::parse("smtp://host?timeout=0").is_err());
        assert!(SmtpConfig::parse("smtp://host?tiemout=3").is_err());
    }

    #[test]
    fn smtp_answers_lose_their_addresses() {
        assert_eq!(
            without_addresses("550 5.1.1 <anne@exemple.fr>: Recipient address rejected"),
            "550 5.1.1 [adresse] Recipient address rejected"
        );
    }

    #[test]
    fn failures_back_off_then_give_up() {
        let now = Utc::now();
        let slow = SendError {
            permanent: false,
            reason: "timed out".into(),
        };
        let waits: Vec<_> = (1..=MAX_ATTEMPTS)
            .map(|n| match after_failure(&slow, n, now) {
                Attempt::Retry { retry_at, .. } => Some((retry_at - now).num_minutes()),
                _ => None,
            })
            .collect();
        assert_eq!(waits, [Some(1), Some(5), Some(30), Some(120), None]);
        let refused = SendError {
            permanent: true,
            reason: "550 <a@b.fr> unknown".into(),
        };
        assert_eq!(
            after_failure(&refused, 1, now),
            Attempt::Failed {
                error: "550 [adresse] unknown".into()
            }
        );
    }
}
