//! A small world for HTTP tests of Comptes: two structures in two
//! départements, people with every role, live sessions, API tokens and
//! one-time links, on the back-end the environment selects.
#![allow(dead_code)]

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use passerelle_accounts::{Role, ScopeLevel, StructureKind};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::testing::bretagne_database;
use passerelle_web::{AppState, Assets, WebConfig, router};
use tower::ServiceExt;

pub const PASSWORD: &str = "une phrase de passe solide";
/// SIRET of structure A, pivot of the place it runs.
pub const SIRET_A: &str = "13002526500013";
/// The anonymous CSRF value the tests' browser holds.
pub const ANON_CSRF: &str = "0000000000000000000000000000000000000000000000000000000000000abc";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| passerelle_accounts::password::hash_password(PASSWORD))
}

pub struct World {
    pub app: Router,
    pub db: Database,
    /// CCAS de Quimper (29): the structure the access tests aim at.
    pub a: i64,
    /// Médiathèque de Rennes (35).
    pub b: i64,
    pub admin: i64,
    pub gestionnaire_a: i64,
    pub membre_a: i64,
    pub membre_a_membership: i64,
    pub membre_b: i64,
    pub coordinator_35: i64,
    pub coordinator_29: i64,
    pub token_a: String,
    pub token_a_id: i64,
    pub token_b: String,
    pub invitation_a: String,
    pub reset_membre_a: String,
    /// A place run by A (its pivot is A's SIRET), in Quimper, last updated
    /// in 2020.
    pub place_a: i64,
    /// The same place as published by another source: a pair to review.
    pub place_a_twin: i64,
    /// A referral from A to A's place: only A's people see the person.
    pub referral_a: i64,
    /// A referent entry of A's (the commune of Quimper, validated), and a
    /// situation complexe request from A to A.
    pub referent_a: i64,
    pub request_a: i64,
    /// A's survey (the Hub Bretagne 2023 questionnaire, open link, no
    /// dates): its slug.
    pub survey_a: &'static str,
    /// Réseau: a network animated by the Finistère's coordinator (joined
    /// on request), an event for professionals in Quimper it organises,
    /// a resource for professionals and a job offer in Quimper shared by
    /// A's member.
    pub network: i64,
    pub event: i64,
    pub resource: i64,
    pub opportunity: i64,
}

/// Réseau's records of the world.
async fn network_world(db: &Database, coordinator: i64, member: i64) -> (i64, i64, i64, i64) {
    use passerelle_network::events::{Event, EventDraft};
    use passerelle_store::network::Member;
    let now = chrono::Utc::now();
    let acting = |person_id| {
        Member::of(passerelle_store::write::Acting {
            person: Some(person_id),
            ..Default::default()
        })
        .expect("a person")
    };
    let network = db
        .create_network(
            &acting(coordinator),
            &passerelle_network::networks::Network {
                name: "Médiathèques du Finistère".into(),
                description: None,
                joining: passerelle_network::vocab::Joining::OnRequest,
            },
            now,
        )
        .await
        .unwrap();
    let day = (now + chrono::Duration::days(30)).date_naive();
    let event = Event::check(
        EventDraft {
            kind: "rencontre".into(),
            title: "Rencontre départementale du Finistère".into(),
            themes: vec!["pedagogie".into()],
            day: Some(day),
            starts: chrono::NaiveTime::from_hms_opt(14, 0, 0),
            venue: "adresse".into(),
            address: "Médiathèque, 1 rue de la Providence".into(),
            commune: Some("29232".into()),
            audience: "professionnels".into(),
            capacity: Some(10),
            ..EventDraft::default()
        },
        now,
    )
    .unwrap();
    let event = db
        .publish_event(&acting(coordinator), &event, now)
        .await
        .unwrap()
        .unwrap();
    let resource = passerelle_network::resources::Resource::try_from(
        passerelle_network::resources::ResourceDraft {
            title: "Fiche : créer son adresse électronique".into(),
            description: "Pas à pas pour un atelier débutant.".into(),
            themes: vec!["usages-quotidien".into()],
            publics: vec!["grand-public".into()],
            format: "fiche".into(),
            licence: "cc-by-sa".into(),
            visibility: "membres".into(),
            link: "https://exemple.org/fiche".into(),
            file: None,
        },
    )
    .unwrap();
    let resource = db
        .share_resource(&acting(member), None, &resource, now)
        .await
        .unwrap();
    let offer = passerelle_network::opportunities::Opportunity::check(
        passerelle_network::opportunities::OpportunityDraft {
            kind: "emploi".into(),
            title: "Conseiller numérique (H/F)".into(),
            organisation: "CCAS de Quimper".into(),
            themes: vec!["acces-aux-droits".into()],
            commune: Some("29232".into()),
            contract: "cdd".into(),
            deadline: Some(day),
            ..Default::default()
        },
        now.date_naive(),
    )
    .unwrap();
    let opportunity = db
        .publish_opportunity(&acting(member), &offer, now)
        .await
        .unwrap()
        .unwrap();
    (network, event, resource, opportunity)
}

pub async fn world() -> World {
    let db = bretagne_database().await;
    let structure = |nom: &'static str, kind, commune: &'static str| NewStructure {
        nom,
        kind,
        siret: None,
        commune_code: Some(commune),
    };
    let a = db
        .create_structure(&NewStructure {
            siret: Some(SIRET_A),
            ..structure("CCAS de Quimper", StructureKind::Ccas, "29232")
        })
        .await
        .unwrap()
        .unwrap();
    let b = db
        .create_structure(&structure(
            "Médiathèque de Rennes",
            StructureKind::Mediatheque,
            "35238",
        ))
        .await
        .unwrap()
        .unwrap();
    let hub = db
        .create_structure(&structure("Hub Bretagne", StructureKind::Hub, "35238"))
        .await
        .unwrap()
        .unwrap();
    let person =
        |email: &'static str, structure: i64, role: Role, scopes: Vec<(ScopeLevel, String)>| {
            let db = db.clone();
            async move {
                db.create_person_with_role(
                    email,
                    email.split('@').next().unwrap(),
                    Some(password_hash()),
                    structure,
                    role,
                    &scopes,
                )
                .await
                .unwrap()
            }
        };
    let admin = person("admin@hub.bzh", hub, Role::Admin, vec![]).await;
    let gestionnaire_a = person("gestionnaire.a@quimper.fr", a, Role::Gestionnaire, vec![]).await;
    let membre_a = person("membre.a@quimper.fr", a, Role::Membre, vec![]).await;
    let membre_b = person("membre.b@rennes.fr", b, Role::Membre, vec![]).await;
    let coordinator_35 = person(
        "coord.35@hub.bzh",
        hub,
        Role::Coordinateur,
        vec![(ScopeLevel::Departement, "35".into())],
    )
    .await;
    let coordinator_29 = person(
        "coord.29@hub.bzh",
        hub,
        Role::Coordinateur,
        vec![(ScopeLevel::Departement, "29".into())],
    )
    .await;
    let membre_a_membership = db.memberships_of(membre_a).await.unwrap()[0].id;
    let (token_a_id, token_a) = db
        .create_api_token(
            &passerelle_store::write::Acting::system(),
            a,
            "Jeton secret A",
            gestionnaire_a,
        )
        .await
        .unwrap();
    let (_, token_b) = db
        .create_api_token(
            &passerelle_store::write::Acting::system(),
            b,
            "Jeton B",
            admin,
        )
        .await
        .unwrap();
    let invitation_a = db
        .create_invitation(
            &passerelle_store::write::Acting {
                person: Some(gestionnaire_a),
                ..Default::default()
            },
            &passerelle_store::accounts::NewInvitation {
                email: "nouvelle@quimper.fr",
                structure: &db.structure(a).await.unwrap().unwrap(),
                role: Role::Membre,
                scopes: &[],
                inviter: Some("Gestionnaire A"),
            },
        )
        .await
        .unwrap();
    let membre = db.person(membre_a).await.unwrap().unwrap();
    let reset_membre_a = db.create_password_reset(&membre).await.unwrap();
    let place = |source: &str, nom: &str, adresse: &str, lat: f64| passerelle_places::Place {
        id: format!("{source}-1"),
        pivot: SIRET_A.into(),
        nom: nom.into(),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        code_insee: Some("29232".into()),
        adresse: adresse.into(),
        latitude: Some(lat),
        longitude: Some(-4.1027),
        date_maj: "2020-03-01".into(),
        source: Some(source.into()),
        services: vec!["Aide aux démarches administratives".into()],
        ..Default::default()
    };
    let first = place(
        "carto-29",
        "Point numérique du CCAS de Quimper",
        "1 rue de la Providence",
        47.9960,
    );
    db.import_places(&[first], "x", "test", None).await.unwrap();
    let twin = place(
        "mednum",
        "Espace numérique CCAS",
        "1 rue Providence",
        47.9990,
    );
    let report = db.import_places(&[twin], "x", "test", None).await.unwrap();
    assert_eq!(
        report.to_review, 1,
        "the two descriptions make a pair to review: {report:?}"
    );
    let pair = db.pending_duplicates().await.unwrap().remove(0);
    let (place_a, place_a_twin) = (pair.a.id, pair.b.id);
    let (referral_a, _) = db
        .create_referral(
            &passerelle_referrals::model::NewReferral {
                place_id: Some(place_a),
                structure_id: None,
                service: "Aide aux démarches administratives".into(),
                organisation: Some("CAF".into()),
                situation: "Prime d’activité".into(),
                urgency: "normale".into(),
                availability: String::new(),
                person: passerelle_referrals::model::Person {
                    first_name: "Jeanne".into(),
                    channel: "telephone".into(),
                    contact: "0612345678".into(),
                    caf_number: None,
                    france_travail_number: None,
                },
                consent: Some(passerelle_referrals::model::Consent {
                    informed_by: membre_a,
                    at: chrono::Utc::now(),
                    how: Some(passerelle_referrals::model::ConsentWay::Oral),
                }),
            },
            passerelle_store::referrals::Parties {
                sender_structure: a,
                sender_person: membre_a,
                receiver_structure: a,
            },
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    // A CCAS stands for its commune; its proposal, validated by the
    // Finistère's coordinator, receives requests.
    let referent_a = db
        .save_referent(
            None,
            &passerelle_referrals::referents::Referent {
                organisation: "Commune".into(),
                territory: "com:29232".into(),
                name: "Pôle partenaires".into(),
                email: Some("partenaires@quimper.fr".into()),
                phone: None,
                scope: "Dossiers bloqués".into(),
            },
            Some(a),
            gestionnaire_a,
            false,
        )
        .await
        .unwrap();
    assert!(
        db.validate_referent(referent_a, coordinator_29)
            .await
            .unwrap()
    );
    let (request_a, _) = db
        .create_request(
            &passerelle_referrals::referents::ComplexRequest {
                subject: "RSA suspendu".into(),
                description: "Sans courrier depuis 3 mois".into(),
                person_details: "Jeanne, allocataire 1234567".into(),
                mandate_type: Some(passerelle_referrals::referents::Mandate::Oral),
                mandate_date: Some(chrono::Utc::now().date_naive()),
            },
            a,
            membre_a,
            a,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    // Tests of e-mail start from an empty outbox.
    sqlx::query("DELETE FROM outbox")
        .execute(db.pool())
        .await
        .unwrap();
    let survey_a = "enquete-a";
    db.create_survey(
        &passerelle_store::surveys::NewSurvey {
            slug: survey_a,
            structure_id: a,
            questionnaire: &passerelle_surveys::templates::load("hub-bretagne-2023")
                .unwrap()
                .unwrap(),
            access: passerelle_store::surveys::Access::Open,
            opens_on: None,
            closes_on: None,
            status: passerelle_store::surveys::Status::Online,
        },
        &passerelle_store::write::Acting::system(),
    )
    .await
    .unwrap()
    .unwrap();
    let (network, event, resource, opportunity) =
        network_world(&db, coordinator_29, membre_a).await;
    let app = router(
        AppState::new(db.clone(), WebConfig::new("http://passerelle.test", false)),
        &Assets { dir: None },
    );
    World {
        app,
        db,
        a,
        b,
        admin,
        gestionnaire_a,
        membre_a,
        membre_a_membership,
        membre_b,
        coordinator_35,
        coordinator_29,
        token_a,
        token_a_id,
        token_b,
        invitation_a,
        reset_membre_a,
        place_a,
        place_a_twin,
        referral_a,
        referent_a,
        request_a,
        survey_a,
        network,
        event,
        resource,
        opportunity,
    }
}

/// What a browser or client holds.
#[derive(Clone, Default)]
pub struct Client {
    pub session: Option<String>,
    pub csrf: String,
    pub bearer: Option<String>,
}

impl Client {
    pub fn anonymous() -> Self {
        Self {
            session: None,
            csrf: ANON_CSRF.into(),
            bearer: None,
        }
    }

    pub fn bearer(token: &str) -> Self {
        Self {
            session: None,
            csrf: String::new(),
            bearer: Some(token.into()),
        }
    }

    /// A fresh session of a person.
    pub async fn signed_in(db: &Database, person_id: i64) -> Self {
        let token = db.create_session(person_id).await.unwrap();
        let csrf = db.session(&token).await.unwrap().unwrap().csrf_token;
        Self {
            session: Some(token),
            csrf,
            bearer: None,
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent, for binary answers.
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    /// The session secret set by the answer, if it opened one.
    pub fn new_session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("passerelle_session="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .find(|v| !v.is_empty())
    }
}

pub async fn call(
    app: &Router,
    client: &Client,
    method: &str,
    uri: &str,
    form: Option<&str>,
) -> Answer {
    call_from(app, client, method, uri, form, None).await
}

/// The same, from a client at this network address (as the server's
/// listener reports it).
pub async fn call_from(
    app: &Router,
    client: &Client,
    method: &str,
    uri: &str,
    form: Option<&str>,
    address: Option<std::net::SocketAddr>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(address) = address {
        request = request.extension(axum::extract::ConnectInfo(address));
    }
    let mut cookies = vec![format!("passerelle_csrf={ANON_CSRF}")];
    if let Some(s) = &client.session {
        cookies.push(format!("passerelle_session={s}"));
    }
    if let Some(b) = &client.bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {b}"));
    } else {
        request = request.header(header::COOKIE, cookies.join("; "));
    }
    let body = match form {
        Some(fields) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let csrf = format!("_csrf={}", client.csrf);
            Body::from(if fields.is_empty() {
                csrf
            } else {
                format!("{csrf}&{fields}")
            })
        }
        None => Body::empty(),
    };
    answer(app, request.body(body).unwrap()).await
}

/// Sends a request; the answer, read whole.
async fn answer(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// POSTs a body of any type as this client, as a script would: a session
/// with its CSRF token in `X-CSRF-Token`, or the Bearer token; with a
/// `Content-Length` header if asked.
pub async fn send_body(
    app: &Router,
    client: &Client,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
    declare_length: bool,
) -> Answer {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, content_type);
    if declare_length {
        request = request.header(header::CONTENT_LENGTH, body.len());
    }
    if let Some(s) = &client.session {
        request = request
            .header(header::COOKIE, format!("passerelle_session={s}"))
            .header("x-csrf-token", client.csrf.clone());
    }
    if let Some(b) = &client.bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {b}"));
    }
    answer(app, request.body(Body::from(body)).unwrap()).await
}

/// Sends a prepared request; the status and the JSON body (null if none).
pub async fn send_json(app: &Router, request: Request<Body>) -> (u16, serde_json::Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A message of the outbox as sent: written in French for the test world's
/// public address.
#[derive(Debug, Clone)]
pub struct Mail {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The outbox, newest first (`pending_only`: the sender's queue, oldest
/// first), each message written as the mailer writes it.
pub async fn outbox(db: &Database, pending_only: bool, limit: i64) -> Vec<Mail> {
    db.outbox(pending_only, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            let written = passerelle_web::mail::render(&m.content, "http://passerelle.test");
            Mail {
                id: m.id,
                to_address: m.to_address,
                subject: written.subject,
                body: written.body,
                sent_at: m.sent_at,
                attempts: m.attempts,
                last_error: m.last_error,
            }
        })
        .collect()
}

/// A message queued the way messages were before notifications were
/// stored as data (subject and body), as an upgraded outbox still holds.
pub async fn queue_written_mail(db: &Database, to: &str, subject: &str, body: &str) {
    sqlx::query(
        "INSERT INTO outbox (to_address, subject, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(to.to_string())
    .bind(subject.to_string())
    .bind(body.to_string())
    .bind(passerelle_store::time::now_iso())
    .execute(db.pool())
    .await
    .unwrap();
}

/// A real SMTP server on loopback (`tests/smtp/relay.py`, Python's
/// aiosmtpd: `scripts/install-test-deps` installs it), stopped when
/// dropped. Each message it accepts is read back with `received`.
pub struct Relay {
    pub port: u16,
    /// The CA that signed its certificate, when it offers STARTTLS.
    pub ca: Option<std::path::PathBuf>,
    maildir: tempdir::Dir,
    child: std::process::Child,
}

/// A message as the relay received it.
#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub authenticated: bool,
    pub tls: bool,
    pub headers: std::collections::BTreeMap<String, String>,
    pub text: String,
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Relay {
    /// Starts a relay with the script's options (`--auth user:password`,
    /// `--stall address`, `--tls`).
    pub fn start(options: &[&str]) -> Relay {
        use std::io::BufRead;
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "passerelle-relay-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let maildir = tempdir::Dir(dir.clone());
        let mut args: Vec<String> = vec![
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/relay.py").into(),
            "--maildir".into(),
            dir.display().to_string(),
        ];
        let tls = options.contains(&"--tls");
        for option in options {
            args.push(option.to_string());
            if *option == "--tls" {
                args.push(dir.display().to_string());
            }
        }
        let mut child = std::process::Command::new("python3")
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect(
                "python3 runs tests/smtp/relay.py (scripts/install-test-deps installs aiosmtpd)",
            );
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the relay did not start (is aiosmtpd installed?): {line:?}")
            });
        Relay {
            port,
            ca: tls.then(|| dir.join("ca.pem")),
            maildir,
            child,
        }
    }

    /// The messages received so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        let mut found: Vec<(u32, Received)> = std::fs::read_dir(&self.maildir.0)
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                let n = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                let text = std::fs::read_to_string(&path).unwrap();
                Some((n, serde_json::from_str(&text).unwrap()))
            })
            .collect();
        found.sort_by_key(|(n, _)| *n);
        found.into_iter().map(|(_, r)| r).collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
