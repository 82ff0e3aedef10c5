//! Delivery of the outbox by SMTP, when `PASSERELLE_SMTP_URL` is set
//! (`smtp://user:password@host:port?from=passerelle@example.org`). Without
//! it, messages stay in the outbox, readable by admins and tests. A plain
//! SMTP client: meant for a relay on the same host or network (no TLS).

use std::time::Duration;

use passerelle_store::Database;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where and as whom to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    pub from: String,
}

impl SmtpConfig {
    /// Parses `smtp://[user:password@]host[:port][?from=address]`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("PASSERELLE_SMTP_URL {url:?} must start with smtp://"))?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((user_info, host)) => {
                let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
                (Some((percent_decode(user), percent_decode(password))), host)
            }
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse()
                    .map_err(|_| format!("PASSERELLE_SMTP_URL: {p:?} is not a port"))?,
            ),
            None => (host_port, 25),
        };
        if host.is_empty() {
            return Err("PASSERELLE_SMTP_URL has no host".into());
        }
        let from = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("from="))
            .map(percent_decode)
            .unwrap_or_else(|| format!("passerelle@{host}"));
        Ok(Self {
            host: host.to_string(),
            port,
            credentials,
            from,
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // On bytes: a multi-byte character after '%' must not split a str.
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if let Some(v) = hex
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(TABLE[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends one message; the error says which step failed.
pub async fn send(config: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let stream = tokio::time::timeout(
        Duration::from_secs(10),
        TcpStream::connect((config.host.as_str(), config.port)),
    )
    .await
    .map_err(|_| "connection timed out".to_string())?
    .map_err(|e| format!("cannot connect to {}:{}: {e}", config.host, config.port))?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut reply = async |expected: &[u16]| -> Result<(), String> {
        loop {
            let line = lines
                .next_line()
                .await
                .map_err(|e| e.to_string())?
                .ok_or("connection closed")?;
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or(format!("unexpected reply {line:?}"))?;
            if line.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            return if expected.contains(&code) {
                Ok(())
            } else {
                Err(format!("server answered {line:?}"))
            };
        }
    };
    reply(&[220]).await?;
    let say = async |w: &mut tokio::net::tcp::OwnedWriteHalf, text: String| {
        w.write_all(text.as_bytes())
            .await
            .map_err(|e| e.to_string())
    };
    say(&mut write, "EHLO passerelle\r\n".into()).await?;
    reply(&[250]).await?;
    if let Some((user, password)) = &config.credentials {
        say(
            &mut write,
            format!(
                "AUTH PLAIN {}\r\n",
                base64(format!("\0{user}\0{password}").as_bytes())
            ),
        )
        .await?;
        reply(&[235]).await?;
    }
    say(&mut write, format!("MAIL FROM:<{}>\r\n", config.from)).await?;
    reply(&[250]).await?;
    say(&mut write, format!("RCPT TO:<{to}>\r\n")).await?;
    reply(&[250, 251]).await?;
    say(&mut write, "DATA\r\n".into()).await?;
    reply(&[354]).await?;
    let mut message = format!(
        "From: Passerelle <{}>\r\nTo: <{to}>\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        config.from,
        base64(subject.as_bytes())
    );
    for line in body.lines() {
        // Dot-stuffing: a line starting with "." would end the message.
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str(".\r\n");
    say(&mut write, message).await?;
    reply(&[250]).await?;
    say(&mut write, "QUIT\r\n".into()).await?;
    Ok(())
}

/// Sends what is pending in the outbox, once. Returns how many were sent.
/// A delivered message loses its one-time link in the outbox
/// (`Database::mark_email`), and the write-ahead log is then flushed so
/// the link does not linger there either.
pub async fn deliver_pending(
    db: &Database,
    config: &SmtpConfig,
    public_url: &str,
) -> Result<usize, passerelle_store::StoreError> {
    let mut sent = 0;
    for message in db.outbox(true, 50).await? {
        let mail = crate::mail::render(&message.content, public_url);
        match send(config, &message.to_address, &mail.subject, &mail.body).await {
            Ok(()) => {
                db.mark_email(message.id, None).await?;
                sent += 1;
            }
            Err(e) => {
                // The address is personal data: the log names the message.
                tracing::warn!("e-mail {} not sent: {}", message.id, without_addresses(&e));
                db.mark_email(message.id, Some(&e)).await?;
            }
        }
    }
    if sent > 0 {
        db.flush_erasures().await?;
    }
    Ok(sent)
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
pub async fn deliver_round(
    db: Database,
    config: std::sync::Arc<SmtpConfig>,
    public_url: std::sync::Arc<str>,
) -> bool {
    let outcome = deliver_pending(&db, &config, &public_url).await;
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
            "smtp://anne%40hub:p%3Ass@mail.exemple.fr:2525?from=passerelle%40hub.fr",
        )
        .unwrap();
        assert_eq!(c.host, "mail.exemple.fr");
        assert_eq!(c.port, 2525);
        assert_eq!(c.credentials, Some(("anne@hub".into(), "p:ss".into())));
        assert_eq!(c.from, "passerelle@hub.fr");
        let c = SmtpConfig::parse("smtp://localhost").unwrap();
        assert_eq!(
            (c.port, c.credentials, c.from.as_str()),
            (25, None, "passerelle@localhost")
        );
        assert!(SmtpConfig::parse("http://x").is_err());
        assert_eq!(
            percent_decode("%aé%4"),
            "%aé%4",
            "malformed escapes stay as they are"
        );
        assert!(SmtpConfig::parse("smtp://host:port").is_err());
    }

    #[test]
    fn smtp_answers_lose_their_addresses() {
        assert_eq!(
            without_addresses("550 5.1.1 <anne@exemple.fr>: Recipient address rejected"),
            "550 5.1.1 [adresse] Recipient address rejected"
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
