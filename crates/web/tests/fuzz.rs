//! Hostile input on the sign-in and invitation endpoints: random bodies,
//! huge fields, wrong content types, with and without a valid CSRF token.
//! Whatever arrives, the answer is never a 500 and never a session.

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::{ANON_CSRF, world};
use tower::ServiceExt;

/// Deterministic pseudo-random numbers: a failure replays identically.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn text(&mut self, len: usize) -> String {
        const ALPHABET: &[&str] = &[
            "a", "é", "%", "&", "=", "+", " ", "'", "\"", "<", "ß", "😀", "%FF", "\n", "@", "_csrf",
        ];
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }

    fn field(&mut self) -> String {
        match self.below(20) {
            0 => String::new(),
            1..=5 => self.text(8),
            6..=8 => self.text(300),
            // Over the form size limit.
            9 => "x".repeat(70_000),
            10..=13 => format!("{}%40exemple.fr", self.text(6)),
            14 => "membre.a%40quimper.fr".into(),
            15..=16 => "z".repeat(5_000),
            17 => format!("a%00{}", self.text(3)),
            _ => String::from_utf8_lossy(&self.bytes(40)).into_owned(),
        }
    }
}

#[tokio::test]
async fn hostile_bodies_never_yield_a_500_or_a_session() {
    let w = world().await;
    let people_before = count_people(&w).await;
    let mut rng = Rng(0x5eed_2026_1124);
    let invitation = format!("/invitation/{}", w.invitation_a);
    let targets = [
        "/connexion".to_string(),
        invitation.clone(),
        format!("/invitation/{}", "a".repeat(64)),
        "/invitation/pas-un-jeton".into(),
    ];
    let content_types = [
        Some("application/x-www-form-urlencoded"),
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/x-www-form-urlencoded; charset=klingon"),
        None,
    ];
    let iterations = 1500;
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..iterations {
        let target = &targets[rng.below(targets.len())];
        let with_csrf = rng.below(4) != 0;
        let body: Vec<u8> = match rng.below(5) {
            0 => {
                let len = rng.below(2000);
                rng.bytes(len)
            }
            1 => {
                let len = rng.below(200);
                rng.text(len).into_bytes()
            }
            _ => {
                let mut fields = Vec::new();
                if with_csrf {
                    fields.push(format!("_csrf={ANON_CSRF}"));
                }
                for name in [
                    "email",
                    "password",
                    "display_name",
                    "new_password",
                    "confirmation",
                    "suite",
                    "role",
                ] {
                    if rng.below(8) != 0 {
                        fields.push(format!("{name}={}", rng.field()));
                    }
                }
                if rng.below(4) == 0 {
                    fields.push(format!("{}={}", rng.text(5), rng.field()));
                }
                fields.join("&").into_bytes()
            }
        };
        let mut request = Request::post(target.as_str())
            .header(header::COOKIE, format!("passerelle_csrf={ANON_CSRF}"));
        // Half the time the right content type, to reach the handlers.
        let content_type = if rng.below(2) == 0 {
            content_types[0]
        } else {
            content_types[rng.below(content_types.len())]
        };
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let response = w
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        *statuses.entry(status).or_insert(0) += 1;
        assert!(status < 500, "iteration {i}: {target} answered {status}");
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let cookie = cookie.to_str().unwrap_or("");
            assert!(
                !cookie.starts_with("passerelle_session=")
                    || cookie.starts_with("passerelle_session=;"),
                "iteration {i}: session opened"
            );
        }
    }
    assert_eq!(
        count_people(&w).await,
        people_before,
        "no account was created"
    );
    assert!(
        w.db.invitation(&w.invitation_a).await.unwrap().is_some(),
        "the invitation is still unused"
    );
    eprintln!("statuses: {statuses:?}");
    // The inputs reached the handlers, not only the CSRF guard.
    for reached in [401u16, 422, 404] {
        assert!(statuses.contains_key(&reached), "{statuses:?}");
    }
}

async fn count_people(w: &common::World) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM people")
        .fetch_one(w.db.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}
