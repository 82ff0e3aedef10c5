//! Orientations storage, on the back-end the environment selects: the
//! lifecycle, optimistic concurrency, idempotency, deadlines with a fake
//! clock, erasure and the audit of personal reads.

use chrono::{DateTime, Duration, Utc};
use passerelle_accounts::{Role, StructureKind};
use passerelle_referrals::deadlines::Periods;
use passerelle_referrals::lifecycle::{Rendezvous, Side, Status, Step, StepKind};
use passerelle_referrals::model::{Consent, NewReferral, Person};
use passerelle_referrals::referents::Outcome;
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::referrals::{Actor, DeadlineReport, EventDetail, Parties, StepError};
use passerelle_store::testing::bretagne_database;

struct World {
    db: Database,
    ccas: i64,
    mediatheque: i64,
    social_worker: i64,
    mediator: i64,
}

async fn world() -> World {
    let db = bretagne_database().await;
    let structure = |nom, kind, commune| {
        let db = db.clone();
        async move {
            db.create_structure(&NewStructure {
                nom,
                kind,
                siret: None,
                commune_code: Some(commune),
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    let ccas = structure("CCAS de Quimper", StructureKind::Ccas, "29232").await;
    let mediatheque = structure("Médiathèque de Brest", StructureKind::Mediatheque, "29019").await;
    let social_worker = db
        .create_person_with_role("as@ccas.bzh", "Anne", None, ccas, Role::Membre, &[])
        .await
        .unwrap();
    let mediator = db
        .create_person_with_role(
            "med@brest.bzh",
            "Malo",
            None,
            mediatheque,
            Role::Membre,
            &[],
        )
        .await
        .unwrap();
    World {
        db,
        ccas,
        mediatheque,
        social_worker,
        mediator,
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn new_referral(by: i64) -> NewReferral {
    NewReferral {
        place_id: None,
        structure_id: None,
        service: "Aide aux démarches administratives".into(),
        organisation: Some("CAF".into()),
        situation: "Prime d’activité à renouveler".into(),
        urgency: "normale".into(),
        availability: "Mardi matin".into(),
        person: Person {
            first_name: "Jeanne".into(),
            channel: "telephone".into(),
            contact: "06 12 34 56 78".into(),
            caf_number: None,
            france_travail_number: None,
        },
        consent: Some(Consent {
            informed_by: by,
            at: t0(),
            how: Some(passerelle_referrals::model::ConsentWay::Oral),
        }),
    }
}

async fn send(w: &World, key: Option<&str>, now: DateTime<Utc>) -> (i64, bool) {
    w.db.create_referral(
        &new_referral(w.social_worker),
        Parties {
            sender_structure: w.ccas,
            sender_person: w.social_worker,
            receiver_structure: w.mediatheque,
        },
        key,
        now,
    )
    .await
    .unwrap()
}

fn receiver(w: &World) -> Actor {
    Actor {
        person_id: Some(w.mediator),
        side: Side::Receiver,
    }
}

/// The CAF's structure in the Finistère, and its member.
async fn caf(w: &World) -> (i64, i64) {
    let caf =
        w.db.create_structure(&NewStructure {
            nom: "CAF du Finistère",
            kind: StructureKind::Caf,
            siret: None,
            commune_code: Some("29232"),
        })
        .await
        .unwrap()
        .unwrap();
    let agent =
        w.db.create_person_with_role(
            "partenaires@caf29.fr",
            "Pôle partenaires",
            None,
            caf,
            Role::Membre,
            &[],
        )
        .await
        .unwrap();
    (caf, agent)
}

fn caf_entry() -> passerelle_referrals::referents::Referent {
    passerelle_referrals::referents::Referent {
        organisation: "CAF".into(),
        territory: "dep:29".into(),
        name: "Pôle partenaires".into(),
        email: Some("partenaires@caf29.fr".into()),
        phone: None,
        scope: "Dossiers bloqués".into(),
    }
}

#[tokio::test]
async fn a_referral_from_sending_to_accompanied() {
    let w = world().await;
    let (id, created) = send(&w, Some("cle-1"), t0()).await;
    assert!(created);
    // A retried submission: the same referral, nothing more.
    assert_eq!(send(&w, Some("cle-1"), t0()).await, (id, false));
    assert_eq!(w.db.referral_lines(&[w.ccas], true).await.unwrap().len(), 1);
    // The receiving structure was told, without personal data.
    let mail = w.db.outbox(false, 10).await.unwrap();
    assert!(mail.iter().any(|m| m.to_address == "med@brest.bzh"
        && m.content
            == passerelle_store::outbox::Content::Notification(
                passerelle_accounts::notification::Notification::ReferralReceived {
                    referral: id,
                    service: "Aide aux démarches administratives".into(),
                }
            )));

    let step = |v, s: Step, at| {
        let db = w.db.clone();
        let actor = receiver(&w);
        async move { db.referral_step(id, v, &s, actor, at).await }
    };
    assert_eq!(step(1, Step::Open, t0()).await.unwrap(), Status::Recue);
    // A second person acting on what they saw at version 1: a conflict.
    assert!(matches!(
        step(1, Step::Accompanied, t0()).await,
        Err(StepError::Conflict)
    ));
    assert!(matches!(
        step(2, Step::NoShow, t0()).await,
        Err(StepError::Refused(_))
    ));
    assert_eq!(
        step(
            2,
            Step::Appointment(Rendezvous {
                day: chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap(),
                time: chrono::NaiveTime::from_hms_opt(14, 30, 0),
            }),
            t0()
        )
        .await
        .unwrap(),
        Status::RendezVousFixe
    );
    assert_eq!(
        step(3, Step::Accompanied, t0() + Duration::days(7))
            .await
            .unwrap(),
        Status::Accompagnee
    );
    let r = w.db.referral(id).await.unwrap().unwrap();
    assert_eq!((r.status.code(), r.version), ("accompagnee", 4));
    assert_eq!(
        r.appointment_date,
        chrono::NaiveDate::from_ymd_opt(2026, 1, 12)
    );
    assert_eq!(
        r.appointment_time,
        chrono::NaiveTime::from_hms_opt(14, 30, 0)
    );
    assert!(r.closed_at.is_some());
    // The sender sees every step, attributed.
    let events = w.db.referral_events(id, false).await.unwrap();
    let steps: Vec<&str> = events.iter().map(|e| e.status_to.code()).collect();
    assert_eq!(
        steps,
        ["envoyee", "recue", "rendez_vous_fixe", "accompagnee"]
    );
    // Read back typed: the step, the side, the appointment's day.
    assert_eq!(events[0].step, StepKind::Sent);
    assert_eq!(events[1].side, Side::Receiver);
    assert_eq!(
        events[2].detail,
        Some(EventDetail::Appointment(Rendezvous {
            day: chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap(),
            time: chrono::NaiveTime::from_hms_opt(14, 30, 0),
        }))
    );
    assert_eq!(events[1].actor.as_deref(), Some("Malo"));
    // The sender can no longer cancel a closed referral.
    let sender = Actor {
        person_id: Some(w.social_worker),
        side: Side::Sender,
    };
    assert!(matches!(
        w.db.referral_step(id, 4, &Step::Cancel, sender, t0()).await,
        Err(StepError::Refused(_))
    ));
}

#[tokio::test]
async fn reminders_expiry_and_erasure_follow_the_clock() {
    let w = world().await;
    let (waiting, _) = send(&w, None, t0()).await;
    let (answered, _) = send(&w, None, t0()).await;
    w.db.referral_step(
        answered,
        1,
        &Step::Refuse {
            reason: "Capacité d’accueil atteinte".into(),
            message: "Voir le CCAS de Brest".into(),
        },
        receiver(&w),
        t0() + Duration::days(1),
    )
    .await
    .unwrap();
    let p = Periods::default();
    let run = |days| {
        let db = w.db.clone();
        async move {
            db.run_referral_deadlines(t0() + Duration::days(days), p)
                .await
                .unwrap()
        }
    };
    let none = DeadlineReport::default();
    assert_eq!(run(5).await, none);
    assert_eq!(
        run(10).await,
        DeadlineReport {
            reminded: 1,
            ..none
        }
    );
    assert_eq!(run(11).await, none, "one reminder");
    assert_eq!(run(30).await, DeadlineReport { expired: 1, ..none });
    assert_eq!(
        w.db.referral(waiting).await.unwrap().unwrap().status.code(),
        "expiree"
    );
    // Six months after closure, the person's fields go; twice is once.
    assert_eq!(run(150).await, none);
    // Refused on day 1, expired on day 30: each six months later.
    assert_eq!(run(200).await, DeadlineReport { erased: 1, ..none });
    assert_eq!(run(215).await, DeadlineReport { erased: 1, ..none });
    assert_eq!(run(216).await, none);
    assert!(
        w.db.referral_person(answered, w.mediator, w.mediatheque, "test")
            .await
            .unwrap()
            .is_none()
    );
    let r = w.db.referral(answered).await.unwrap().unwrap();
    assert_eq!(r.status.code(), "refusee", "the anonymous follow-up stays");
    assert_eq!(
        r.refusal_reason.as_deref(),
        Some("Capacité d’accueil atteinte")
    );
    let events = w.db.referral_events(answered, true).await.unwrap();
    assert!(
        events.iter().all(|e| e.message.is_none()),
        "messages erased too"
    );
}

#[tokio::test]
async fn reading_the_person_is_audited_and_erasure_on_request() {
    let w = world().await;
    let (id, _) = send(&w, None, t0()).await;
    let fields =
        w.db.referral_person(id, w.mediator, w.mediatheque, "page")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(fields.person.first_name, "Jeanne");
    let trail =
        w.db.audit_events(Some("referral.read_person"), 10)
            .await
            .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        trail[0].subject.as_deref(),
        Some(format!("referral:{id}").as_str())
    );
    assert!(
        w.db.erase_referral_person(id, Some(w.social_worker), Some(w.ccas), Utc::now())
            .await
            .unwrap()
    );
    assert!(
        !w.db
            .erase_referral_person(id, Some(w.social_worker), Some(w.ccas), Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(
        w.db.audit_events(Some("referral.erase_person"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let stats =
        w.db.referral_stats(Some("29"), day(2026, 1, 1), day(2027, 1, 1))
            .await
            .unwrap();
    assert_eq!(stats.total, 1);
    assert_eq!(
        stats
            .flows
            .get(&(StructureKind::Ccas, StructureKind::Mediatheque)),
        Some(&1)
    );
}

#[tokio::test]
async fn referents_and_a_complex_situation_answered_then_erased() {
    use passerelle_referrals::referents::{ComplexRequest, Referent};
    use passerelle_store::referents::RequestError;
    let w = world().await;
    // The CAF's structure, whose member answers as the referent group.
    let (caf, agent) = caf(&w).await;
    let entry = caf_entry();
    let id =
        w.db.save_referent(None, &entry, Some(caf), agent, false)
            .await
            .unwrap();
    let changed = Referent {
        phone: Some("02 98 00 00 00".into()),
        ..entry
    };
    assert_eq!(
        w.db.save_referent(Some(id), &changed, Some(caf), agent, false)
            .await
            .unwrap(),
        id
    );
    let listed = w.db.referents().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].phone.as_deref(), Some("02 98 00 00 00"));

    let request = ComplexRequest {
        subject: "RSA suspendu".into(),
        description: "Suspension sans courrier depuis 3 mois".into(),
        person_details: "Jeanne, allocataire 1234567".into(),
        mandate_type: Some(passerelle_referrals::referents::Mandate::Paper),
        mandate_date: Some(t0().date_naive()),
    };
    // An entry awaiting validation receives nothing.
    assert!(matches!(
        w.db.create_request(&request, w.ccas, w.social_worker, caf, Some("k"), t0())
            .await,
        Err(RequestError::NotAReferentGroup)
    ));
    assert!(w.db.validate_referent(id, w.social_worker).await.unwrap());
    assert!(
        !w.db.validate_referent(id, w.social_worker).await.unwrap(),
        "once"
    );
    let listed = w.db.referents().await.unwrap();
    assert_eq!(listed[0].validated_by.as_deref(), Some("Anne"));
    assert_eq!(listed[0].created_by.as_deref(), Some("Pôle partenaires"));
    let (q, _) =
        w.db.create_request(&request, w.ccas, w.social_worker, caf, Some("k"), t0())
            .await
            .unwrap();
    assert_eq!(
        w.db.create_request(&request, w.ccas, w.social_worker, caf, Some("k"), t0())
            .await
            .unwrap(),
        (q, false)
    );
    w.db.request_reply(
        q,
        1,
        agent,
        false,
        Some("Dossier débloqué ce jour."),
        None,
        t0(),
    )
    .await
    .unwrap();
    assert!(matches!(
        w.db.request_reply(q, 1, w.social_worker, true, Some("Merci"), None, t0())
            .await,
        Err(RequestError::Conflict)
    ));
    w.db.request_reply(
        q,
        2,
        w.social_worker,
        true,
        None,
        Some(Outcome::Useful),
        t0(),
    )
    .await
    .unwrap();
    assert!(matches!(
        w.db.request_reply(q, 3, agent, false, Some("?"), None, t0())
            .await,
        Err(RequestError::Closed)
    ));
    let row = w.db.request(q).await.unwrap().unwrap();
    assert_eq!(
        (row.status.code(), row.outcome),
        ("close", Some(Outcome::Useful))
    );
    let thread = w.db.request_messages(q, true).await.unwrap();
    assert_eq!(thread[0].body.as_deref(), Some("Dossier débloqué ce jour."));
    assert!(w.db.request_person(q, agent, caf).await.unwrap().is_some());
    // Six months after closure: erased, the thread's texts too.
    let report =
        w.db.run_referral_deadlines(t0() + Duration::days(185), Periods::default())
            .await
            .unwrap();
    assert_eq!(report.erased, 1);
    assert!(w.db.request_person(q, agent, caf).await.unwrap().is_none());
    assert!(
        w.db.request_messages(q, true)
            .await
            .unwrap()
            .iter()
            .all(|m| m.body.is_none())
    );
}

/// Every text value of every table that contains `needle`, as
/// "table: value" (columns that are not text are skipped).
async fn text_anywhere(db: &Database, needle: &str) -> Vec<String> {
    use sqlx::{Column, Row};
    let sql = match db.backend() {
        passerelle_store::Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        passerelle_store::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let tables: Vec<String> = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("name").unwrap())
        // The migrations' own bookkeeping holds no data.
        .filter(|t: &String| !t.starts_with("_sqlx"))
        .collect();
    let mut found = Vec::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
            .fetch_all(db.pool())
            .await
            .unwrap();
        for row in &rows {
            for (i, column) in row.columns().iter().enumerate() {
                if let Ok(Some(value)) = row.try_get::<Option<String>, _>(i)
                    && value.contains(needle)
                {
                    found.push(format!("{table}.{}: {value}", column.name()));
                }
            }
        }
    }
    found
}

/// Issue 12, M7: every status of a referral and of a "situation complexe"
/// request reaches erasure on the clock (a past appointment without
/// outcome becomes "sans suite", an idle request closes), and afterwards
/// nothing personal remains in any table, the outbox included.
#[tokio::test]
async fn m7_every_status_reaches_erasure_and_nothing_personal_remains() {
    use passerelle_referrals::referents::ComplexRequest;
    let w = world().await;
    let marker = |what: &str| format!("Zxq-{what}");
    let at = |days: i64| t0() + Duration::days(days);
    // One referral per status, each naming its person.
    let mut referrals = Vec::new();
    for status in Status::ALL {
        let m = marker(status.code());
        let mut r = new_referral(w.social_worker);
        r.person.first_name = m.clone();
        r.person.contact = format!("{m}@exemple.fr");
        r.person.caf_number = Some(m.clone());
        r.person.france_travail_number = Some(m.clone());
        r.situation = format!("Situation de {m}");
        r.availability = format!("Disponible, {m}");
        let (id, _) =
            w.db.create_referral(
                &r,
                Parties {
                    sender_structure: w.ccas,
                    sender_person: w.social_worker,
                    receiver_structure: w.mediatheque,
                },
                None,
                t0(),
            )
            .await
            .unwrap();
        let system = Actor {
            person_id: None,
            side: Side::System,
        };
        let sender = Actor {
            person_id: Some(w.social_worker),
            side: Side::Sender,
        };
        let appointment = Step::Appointment(Rendezvous::on(at(5).date_naive()));
        let refusal = Step::Refuse {
            reason: "Capacité d’accueil atteinte".into(),
            message: format!("Message au sujet de {m}"),
        };
        let steps: Vec<(Step, Actor)> = match status {
            Status::Envoyee => vec![],
            Status::Recue => vec![(Step::Open, receiver(&w))],
            Status::RendezVousFixe => vec![(Step::Open, receiver(&w)), (appointment, receiver(&w))],
            Status::Accompagnee => vec![
                (Step::Open, receiver(&w)),
                (Step::Accompanied, receiver(&w)),
            ],
            Status::NonVenue => vec![
                (Step::Open, receiver(&w)),
                (appointment, receiver(&w)),
                (Step::NoShow, receiver(&w)),
            ],
            Status::Refusee => vec![(refusal, receiver(&w))],
            Status::Annulee => vec![(Step::Cancel, sender)],
            Status::Expiree => vec![(Step::Expire, system)],
            Status::SansSuite => vec![
                (Step::Open, receiver(&w)),
                (appointment, receiver(&w)),
                (Step::Lapse, system),
            ],
        };
        for (version, (step, actor)) in steps.iter().enumerate() {
            w.db.referral_step(id, version as i64 + 1, step, *actor, t0())
                .await
                .unwrap();
        }
        let stored = w.db.referral(id).await.unwrap().unwrap();
        assert_eq!(stored.status, status);
        referrals.push(id);
    }
    // A referent group, and two requests with a thread: one left open,
    // one closed by its author.
    let (caf, agent) = caf(&w).await;
    let entry = caf_entry();
    w.db.save_referent(None, &entry, Some(caf), agent, true)
        .await
        .unwrap();
    let mut requests = Vec::new();
    for what in ["ouverte", "close"] {
        let m = marker(&format!("demande-{what}"));
        let q = ComplexRequest {
            subject: format!("Objet : {m}"),
            description: format!("Situation de {m}"),
            person_details: format!("{m}, allocataire 1234567"),
            mandate_type: Some(passerelle_referrals::referents::Mandate::Paper),
            mandate_date: Some(t0().date_naive()),
        };
        let (id, _) =
            w.db.create_request(&q, w.ccas, w.social_worker, caf, None, t0())
                .await
                .unwrap();
        w.db.request_reply(
            id,
            1,
            agent,
            false,
            Some(&format!("Réponse pour {m}")),
            None,
            t0(),
        )
        .await
        .unwrap();
        if what == "close" {
            w.db.request_reply(
                id,
                2,
                w.social_worker,
                true,
                Some(&format!("Merci pour {m}")),
                Some(Outcome::Useful),
                t0(),
            )
            .await
            .unwrap();
        }
        requests.push(id);
    }
    assert!(!text_anywhere(&w.db, "Zxq").await.is_empty());

    // The clock moves; these days reach every step of the schedule.
    let p = Periods::default();
    let mut total = DeadlineReport::default();
    for day in [1, 11, 31, 40, 61, 70, 150, 190, 215, 230, 245, 400] {
        let r = w.db.run_referral_deadlines(at(day), p).await.unwrap();
        total.reminded += r.reminded;
        total.expired += r.expired;
        total.lapsed += r.lapsed;
        total.requests_expired += r.requests_expired;
        total.erased += r.erased;
        if day == 150 {
            assert_eq!(total.erased, 0, "nothing before the retention period");
        }
    }
    assert_eq!(
        total,
        DeadlineReport {
            reminded: 2,
            expired: 2,
            lapsed: 1,
            requests_expired: 1,
            erased: Status::ALL.len() + 2,
        }
    );
    let statuses: Vec<String> = {
        let mut out = Vec::new();
        for id in &referrals {
            let r = w.db.referral(*id).await.unwrap().unwrap();
            assert!(
                r.erased_at.is_some(),
                "referral {id} ({:?}) erased",
                r.status
            );
            out.push(r.status.code().to_string());
        }
        out
    };
    assert_eq!(
        statuses,
        [
            "expiree",
            "expiree",
            "sans_suite",
            "accompagnee",
            "non_venue",
            "refusee",
            "annulee",
            "expiree",
            "sans_suite"
        ]
    );
    for id in &requests {
        let q = w.db.request(*id).await.unwrap().unwrap();
        assert!(q.erased_at.is_some() && q.subject.is_none(), "request {id}");
    }
    let left = text_anywhere(&w.db, "Zxq").await;
    assert!(left.is_empty(), "personal text left: {left:#?}");
    // The anonymous follow-up stays.
    assert_eq!(
        w.db.referral_stats(Some("29"), day(2026, 1, 1), day(2027, 1, 1))
            .await
            .unwrap()
            .total,
        Status::ALL.len() as i64
    );
}

/// L2: an idempotency key is the sender's own: the same key from another
/// structure creates its own referral or request, and a retry by the same
/// sender still lands on the first.
#[tokio::test]
async fn idempotency_keys_belong_to_their_sender() {
    use passerelle_referrals::referents::ComplexRequest;
    let w = world().await;
    let referral = |structure, person| {
        let (db, r) = (w.db.clone(), new_referral(person));
        async move {
            db.create_referral(
                &r,
                Parties {
                    sender_structure: structure,
                    sender_person: person,
                    receiver_structure: structure,
                },
                Some("cle"),
                t0(),
            )
            .await
            .unwrap()
        }
    };
    let (first, created) = referral(w.ccas, w.social_worker).await;
    let (other, other_created) = referral(w.mediatheque, w.mediator).await;
    assert!(created && other_created && first != other);
    assert_eq!(referral(w.ccas, w.social_worker).await, (first, false));
    let request = ComplexRequest {
        subject: "RSA suspendu".into(),
        description: "Sans courrier".into(),
        person_details: "Jeanne".into(),
        mandate_type: Some(passerelle_referrals::referents::Mandate::Paper),
        mandate_date: Some(t0().date_naive()),
    };
    // Requests go to a validated referent group: the CAF's.
    let (caf, agent) = caf(&w).await;
    let entry =
        w.db.save_referent(None, &caf_entry(), Some(caf), agent, true)
            .await
            .unwrap();
    assert!(w.db.referent(entry).await.unwrap().is_some());
    let ask = |structure, person| {
        let (db, q) = (w.db.clone(), request.clone());
        async move {
            db.create_request(&q, structure, person, caf, Some("cle"), t0())
                .await
                .unwrap()
        }
    };
    let (q1, c1) = ask(w.ccas, w.social_worker).await;
    let (q2, c2) = ask(w.mediatheque, w.mediator).await;
    assert!(c1 && c2 && q1 != q2);
    assert_eq!(ask(w.mediatheque, w.mediator).await, (q2, false));
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
