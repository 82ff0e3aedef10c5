//! Réseau storage on the back-end the environment selects, with a fake
//! clock: the waiting list in order with its e-mail, reminders once,
//! attendance and figures, the weekly digest by territory and theme,
//! expiry, files kept in the database, the contact relay's limits, and
//! what goes with a person's account.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use passerelle_accounts::notification::{Frequency, Notification, Topic};
use passerelle_accounts::policy::{FiguresScope, Scope};
use passerelle_accounts::{Role, ScopeLevel, StructureKind};
use passerelle_network::directory::{ContactLimit, Profile};
use passerelle_network::events::{Event, EventDraft, Refused};
use passerelle_network::needs::TrainingNeed;
use passerelle_network::networks::Network;
use passerelle_network::opportunities::{Opportunity, OpportunityDraft};
use passerelle_network::resources::{Resource, ResourceDraft, Upload};
use passerelle_network::vocab::{Joining, NeedLevel, RegistrationStatus, Theme};
use passerelle_store::accounts::NewStructure;
use passerelle_store::network::{ContactRefusal, DigestRun, DirectoryQuery, Member, ResourceQuery};
use passerelle_store::testing::bretagne_database;
use passerelle_store::{Backend, Database};

/// What a notification says, in short, for the assertions.
fn label(n: &Notification) -> String {
    match n {
        Notification::EventSeatGiven { event } => format!("place: {}", event.title),
        Notification::EventReminder { event } => format!("rappel: {}", event.title),
        Notification::EventCancelled { event } => format!("annulé: {}", event.title),
        Notification::EventPublished { event, network } => {
            format!("nouveau: {} ({network})", event.title)
        }
        Notification::DirectoryContact { from_name, .. } => format!("message de {from_name}"),
        Notification::NetworkJoinRequested { network, .. } => format!("demande: {network}"),
        Notification::NetworkJoinAccepted { network, .. } => format!("accepté: {network}"),
        Notification::OpportunitiesDigest { items } => format!(
            "veille: {}",
            items
                .iter()
                .map(|i| i.title.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Notification::Digest { items } => format!(
            "résumé: {}",
            items.iter().map(label).collect::<Vec<_>>().join(", ")
        ),
        other => panic!("not Réseau's: {other:?}"),
    }
}

/// The outbox, oldest first: (to, what it says).
async fn outbox(db: &Database) -> Vec<(String, String)> {
    let mut all: Vec<_> = db
        .outbox(false, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| match m.content {
            passerelle_store::outbox::Content::Notification(n) => (m.to_address, label(&n)),
            other => panic!("Réseau's messages are notifications: {other:?}"),
        })
        .collect();
    all.reverse();
    all
}

async fn clear_outbox(db: &Database) {
    sqlx::query("DELETE FROM outbox")
        .execute(db.pool())
        .await
        .unwrap();
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

struct World {
    db: Database,
    hub: i64,
    coordinator: i64,
    people: Vec<i64>,
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
    let hub = structure("Hub Bretagne", StructureKind::Hub, "35238").await;
    let mediatheque = structure(
        "Médiathèque de Quimper",
        StructureKind::Mediatheque,
        "29232",
    )
    .await;
    let coordinator = db
        .create_person_with_role(
            "coord@hub.bzh",
            "Coordination",
            None,
            hub,
            Role::Coordinateur,
            &[(ScopeLevel::Departement, "29".into())],
        )
        .await
        .unwrap();
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(
            db.create_person_with_role(
                &format!("pro{i}@quimper.bzh"),
                &format!("Pro {i}"),
                None,
                mediatheque,
                Role::Membre,
                &[],
            )
            .await
            .unwrap(),
        );
    }
    World {
        db,
        hub,
        coordinator,
        people,
    }
}

fn acting(person: i64) -> Member {
    Member::of(passerelle_store::write::Acting {
        person: Some(person),
        ..Default::default()
    })
    .unwrap()
}

fn event(capacity: i64, day: NaiveDate) -> Event {
    Event::check(
        EventDraft {
            kind: "rencontre".into(),
            title: "Rencontre départementale du Finistère".into(),
            themes: vec!["pedagogie".into()],
            day: Some(day),
            starts: NaiveTime::from_hms_opt(14, 0, 0),
            ends: NaiveTime::from_hms_opt(17, 0, 0),
            venue: "adresse".into(),
            address: "Médiathèque, 1 rue de la Providence".into(),
            commune: Some("29232".into()),
            audience: "professionnels".into(),
            capacity: Some(capacity),
            ..EventDraft::default()
        },
        at(2026, 11, 1, 9),
    )
    .unwrap()
}

#[tokio::test]
async fn the_waiting_list_is_served_in_order_and_told() {
    let w = world().await;
    let db = &w.db;
    let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let id = db
        .publish_event(&acting(w.coordinator), &event(2, day), at(2026, 11, 1, 9))
        .await
        .unwrap()
        .unwrap();
    let mut statuses = Vec::new();
    for (i, p) in w.people.iter().enumerate() {
        let s = db
            .register_for_event(&acting(*p), id, at(2026, 11, 2, 9 + i as u32))
            .await
            .unwrap()
            .unwrap();
        statuses.push(s);
    }
    use RegistrationStatus::{Registered, Waiting};
    assert_eq!(statuses, vec![Registered, Registered, Waiting, Waiting]);
    assert_eq!(
        db.register_for_event(&acting(w.people[0]), id, at(2026, 11, 3, 9))
            .await
            .unwrap(),
        Err(Refused::AlreadyIn)
    );
    let third = db.registration(id, w.people[3]).await.unwrap().unwrap();
    assert_eq!(third.position, Some(2));
    // The first withdraws: the first waiting (Pro 2) takes the seat and is told.
    let done = db
        .withdraw_from_event(&acting(w.people[0]), id, at(2026, 11, 4, 9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.seated, 1);
    assert_eq!(
        outbox(db).await,
        vec![(
            "pro2@quimper.bzh".to_string(),
            "place: Rencontre départementale du Finistère".to_string()
        )]
    );
    let seated = db.registration(id, w.people[2]).await.unwrap().unwrap();
    assert_eq!(seated.status, Registered);
    assert_eq!(
        db.registration(id, w.people[3])
            .await
            .unwrap()
            .unwrap()
            .position,
        Some(1)
    );
    // Coming back puts one at the end of the list.
    assert_eq!(
        db.register_for_event(&acting(w.people[0]), id, at(2026, 11, 5, 9))
            .await
            .unwrap(),
        Ok(Waiting)
    );
    // More seats: both waiting take them, in order.
    clear_outbox(db).await;
    let seated = db
        .set_event_capacity(&acting(w.coordinator), id, Some(4), at(2026, 11, 6, 9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seated, 2);
    let told: Vec<_> = outbox(db).await.into_iter().map(|(to, _)| to).collect();
    assert_eq!(told, vec!["pro3@quimper.bzh", "pro0@quimper.bzh"]);
    assert!(
        db.set_event_capacity(&acting(w.coordinator), id, Some(3), at(2026, 11, 6, 9))
            .await
            .unwrap()
            .is_err(),
        "never below the seats given"
    );
    // Too late to withdraw once it started.
    assert_eq!(
        db.withdraw_from_event(&acting(w.people[1]), id, at(2026, 12, 3, 14))
            .await
            .unwrap(),
        Err(Refused::Started)
    );
}

#[tokio::test]
async fn reminders_go_once_the_day_before_and_attendance_makes_the_figures() {
    let w = world().await;
    let db = &w.db;
    let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let id = db
        .publish_event(&acting(w.coordinator), &event(10, day), at(2026, 11, 1, 9))
        .await
        .unwrap()
        .unwrap();
    for p in &w.people[..3] {
        db.register_for_event(&acting(*p), id, at(2026, 11, 2, 9))
            .await
            .unwrap()
            .unwrap();
    }
    db.withdraw_from_event(&acting(w.people[2]), id, at(2026, 11, 3, 9))
        .await
        .unwrap()
        .unwrap();
    clear_outbox(db).await;
    // 1 December: too early. 2 December at 9 h (8 h UTC): the reminders.
    let early = db
        .run_network_jobs(at(2026, 12, 1, 12), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(early.reminders, 0);
    let eve = db
        .run_network_jobs(at(2026, 12, 2, 8), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(eve.reminders, 2);
    let again = db
        .run_network_jobs(at(2026, 12, 2, 9), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(again.reminders, 0, "once");
    let subjects: Vec<_> = outbox(db)
        .await
        .into_iter()
        .map(|(to, s)| format!("{to} {s}"))
        .collect();
    assert_eq!(
        subjects,
        vec![
            "pro0@quimper.bzh rappel: Rencontre départementale du Finistère",
            "pro1@quimper.bzh rappel: Rencontre départementale du Finistère"
        ]
    );
    // On the day, attendance: Pro 0 came, Pro 1 did not.
    let attendees = db.attendees(id).await.unwrap();
    assert_eq!(attendees.len(), 3);
    let pro0 = attendees
        .iter()
        .find(|a| a.name.as_deref() == Some("Pro 0"))
        .unwrap()
        .registration_id;
    db.take_attendance(&acting(w.coordinator), id, &[pro0])
        .await
        .unwrap();
    let attendees = db.attendees(id).await.unwrap();
    let present: Vec<_> = attendees
        .iter()
        .map(|a| (a.name.clone().unwrap(), a.attended))
        .collect();
    assert_eq!(
        present,
        vec![
            ("Pro 0".into(), Some(true)),
            ("Pro 1".into(), Some(false)),
            ("Pro 2".into(), None)
        ]
    );
    // The Finistère's coordinator counts it; Ille-et-Vilaine's does not.
    let finistere = FiguresScope::Territories(vec![Scope {
        level: ScopeLevel::Departement,
        code: "29".into(),
    }]);
    let held = db
        .held_events(&finistere, None, at(2026, 1, 1, 0), at(2027, 1, 1, 0))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].registered, held[0].present), (2, Some(1)));
    assert_eq!(held[0].area.departement.as_deref(), Some("Finistère"));
    let ille = FiguresScope::Territories(vec![Scope {
        level: ScopeLevel::Departement,
        code: "35".into(),
    }]);
    assert!(
        db.held_events(&ille, None, at(2026, 1, 1, 0), at(2027, 1, 1, 0))
            .await
            .unwrap()
            .is_empty()
    );
    let _ = w.hub;
}

fn funding(
    title: &str,
    territory: Option<(ScopeLevel, &str)>,
    theme: &str,
    deadline: NaiveDate,
) -> Opportunity {
    Opportunity::check(
        OpportunityDraft {
            kind: "financement".into(),
            title: title.into(),
            organisation: "Région Bretagne".into(),
            themes: vec![theme.into()],
            territory: territory.map(|(l, c)| (l, c.to_string())),
            deadline: Some(deadline),
            link: "https://www.bretagne.bzh/aap".into(),
            ..OpportunityDraft::default()
        },
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_digest_goes_weekly_by_territory_and_theme_and_opportunities_expire() {
    let w = world().await;
    let db = &w.db;
    let deadline = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let finistere = Some((ScopeLevel::Departement, "29".to_string()));
    // Pro 0 follows the Finistère's funding; Pro 1 Ille-et-Vilaine's.
    db.subscribe_digest(
        &acting(w.people[0]),
        finistere,
        &[Theme::Financements],
        at(2026, 11, 1, 9),
    )
    .await
    .unwrap();
    db.subscribe_digest(
        &acting(w.people[1]),
        Some((ScopeLevel::Departement, "35".into())),
        &[],
        at(2026, 11, 1, 9),
    )
    .await
    .unwrap();
    let publish = |o: Opportunity, when| {
        let db = db.clone();
        let coordinator = w.coordinator;
        async move {
            db.publish_opportunity(&acting(coordinator), &o, when)
                .await
                .unwrap()
                .unwrap()
        }
    };
    publish(
        funding(
            "AAP régional",
            Some((ScopeLevel::Region, "53")),
            "financements",
            deadline,
        ),
        at(2026, 11, 3, 9),
    )
    .await;
    publish(
        funding(
            "AAP Quimper",
            Some((ScopeLevel::Commune, "29232")),
            "financements",
            deadline,
        ),
        at(2026, 11, 3, 10),
    )
    .await;
    publish(
        funding(
            "Réemploi 29",
            Some((ScopeLevel::Departement, "29")),
            "reemploi",
            deadline,
        ),
        at(2026, 11, 3, 11),
    )
    .await;
    publish(
        funding(
            "AAP Rennes",
            Some((ScopeLevel::Commune, "35238")),
            "financements",
            deadline,
        ),
        at(2026, 11, 3, 12),
    )
    .await;
    clear_outbox(db).await;
    // Monday 9 November, 7 h in Paris: not yet; 8 h: the digests.
    let early = db
        .run_network_jobs(at(2026, 11, 9, 6), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(early.digests, 0);
    let monday = db
        .run_network_jobs(at(2026, 11, 9, 7), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(monday.digests, 2);
    assert_eq!(
        outbox(db).await,
        vec![
            (
                "pro0@quimper.bzh".to_string(),
                "veille: AAP régional, AAP Quimper".to_string()
            ),
            (
                "pro1@quimper.bzh".to_string(),
                "veille: AAP régional, AAP Rennes".to_string()
            ),
        ]
    );
    // Once a week, even forced.
    let forced = db
        .run_network_jobs(at(2026, 11, 10, 7), DigestRun::Forced)
        .await
        .unwrap();
    assert_eq!(forced.digests, 0);
    // Next week: only what is new since.
    publish(
        funding(
            "AAP départemental",
            Some((ScopeLevel::Departement, "29")),
            "financements",
            deadline,
        ),
        at(2026, 11, 12, 9),
    )
    .await;
    clear_outbox(db).await;
    let next = db
        .run_network_jobs(at(2026, 11, 16, 8), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(next.digests, 1);
    assert_eq!(outbox(db).await[0].1, "veille: AAP départemental");
    // After its last day, an opportunity expires.
    let open = |day| passerelle_store::network::OpportunityQuery {
        open_on: Some(day),
        territory: Some((ScopeLevel::Commune, "29232".into())),
        ..Default::default()
    };
    let listed = db.opportunities(&open(deadline)).await.unwrap();
    let titles: Vec<_> = listed.iter().map(|o| o.title.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "AAP régional",
            "AAP Quimper",
            "Réemploi 29",
            "AAP départemental"
        ]
    );
    let report = db
        .run_network_jobs(at(2026, 11, 21, 9), DigestRun::Scheduled)
        .await
        .unwrap();
    assert_eq!(report.expired, 5);
    assert!(db.opportunities(&open(deadline)).await.unwrap().is_empty());
}

#[tokio::test]
async fn files_are_kept_in_the_database_and_served_back() {
    let w = world().await;
    let db = &w.db;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..=255u8).cycle().take(300_000));
    let resource = Resource::try_from(ResourceDraft {
        title: "Guide de l’atelier « premiers pas »".into(),
        description: "Déroulé et fiches à imprimer pour un atelier débutant.".into(),
        themes: vec!["usages-quotidien".into()],
        publics: vec!["grand-public".into()],
        format: "guide".into(),
        licence: "cc-by-sa".into(),
        visibility: "public".into(),
        file: Some(Upload {
            name: "guide.pdf".into(),
            bytes: pdf.clone(),
        }),
        ..ResourceDraft::default()
    })
    .unwrap();
    let id = db
        .share_resource(&acting(w.people[0]), None, &resource, at(2026, 11, 1, 9))
        .await
        .unwrap();
    let (kind, name, bytes) = db.resource_file(id).await.unwrap().unwrap();
    assert_eq!(
        (kind.mime(), name.as_str()),
        ("application/pdf", "guide.pdf")
    );
    assert_eq!(bytes, pdf);
    // Found by a word of its description, signed out.
    let found = db
        .resources(&ResourceQuery {
            text: Some("atelier debutant".into()),
            ..ResourceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].file.as_ref().unwrap().size, pdf.len() as i64);
    db.mark_resource(&acting(w.people[1]), id, true, at(2026, 11, 2, 9))
        .await
        .unwrap();
    db.mark_resource(&acting(w.people[1]), id, true, at(2026, 11, 2, 9))
        .await
        .unwrap();
    let r = db.resource(id, Some(w.people[1])).await.unwrap().unwrap();
    assert_eq!((r.useful, r.marked), (1, true));
    // Hidden by a moderator: gone from lists, but its author still sees it.
    use passerelle_store::network::Moderation;
    assert!(
        db.moderate_resource(
            &acting(w.coordinator),
            id,
            Moderation::Hide,
            at(2026, 11, 3, 9)
        )
        .await
        .unwrap()
    );
    assert!(
        db.resources(&ResourceQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let own = db
        .resources(&ResourceQuery {
            members: true,
            viewer: Some(w.people[0]),
            ..ResourceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    assert!(own[0].hidden);
}

#[tokio::test]
async fn the_directory_is_opt_in_rate_limited_and_goes_with_the_account() {
    let w = world().await;
    let db = &w.db;
    let profile = Profile {
        job_title: "Conseillère numérique".into(),
        structure_id: None,
        commune: "29232".into(),
        themes: vec![Theme::Pedagogie],
        presentation: None,
    };
    assert!(
        db.directory(&DirectoryQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "nobody chose to appear"
    );
    db.save_network_profile(&acting(w.people[0]), &profile, at(2026, 11, 1, 9))
        .await
        .unwrap()
        .unwrap();
    let finistere = DirectoryQuery {
        territory: Some((ScopeLevel::Departement, "29".into())),
        ..DirectoryQuery::default()
    };
    let listed = db.directory(&finistere).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].area.commune.as_deref(), Some("Quimper"));
    let elsewhere = DirectoryQuery {
        territory: Some((ScopeLevel::Departement, "35".into())),
        ..DirectoryQuery::default()
    };
    assert!(db.directory(&elsewhere).await.unwrap().is_empty());
    // Messages are relayed, within limits.
    let message = "Bonjour, pourrions-nous échanger sur vos ateliers ?";
    for _ in 0..2 {
        db.relay_contact(
            &acting(w.people[1]),
            w.people[0],
            message,
            at(2026, 11, 5, 9),
        )
        .await
        .unwrap()
        .unwrap();
    }
    assert_eq!(
        db.relay_contact(
            &acting(w.people[1]),
            w.people[0],
            message,
            at(2026, 11, 5, 9)
        )
        .await
        .unwrap(),
        Err(ContactRefusal::Limit(ContactLimit::Recipient))
    );
    assert_eq!(
        db.relay_contact(
            &acting(w.people[1]),
            w.people[2],
            message,
            at(2026, 11, 5, 9)
        )
        .await
        .unwrap(),
        Err(ContactRefusal::NotListed)
    );
    let mail = outbox(db).await;
    assert_eq!(mail.len(), 2);
    assert_eq!(
        mail[0],
        ("pro0@quimper.bzh".into(), "message de Pro 1".into())
    );
    // Training needs of the Finistère, counted for its coordinator.
    db.add_training_need(
        &acting(w.people[0]),
        &TrainingNeed {
            theme: Theme::IntelligenceArtificielle,
            level: NeedLevel::Initiation,
            territory: (ScopeLevel::Departement, "29".into()),
        },
        at(2026, 11, 1, 9),
    )
    .await
    .unwrap();
    let counts = db
        .training_need_counts(&FiguresScope::Territories(vec![Scope {
            level: ScopeLevel::Region,
            code: "53".into(),
        }]))
        .await
        .unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (counts[0].departement.as_deref(), counts[0].count),
        (Some("Finistère"), 1)
    );
    // The account goes: its entry, needs and subscription go with it.
    db.subscribe_digest(&acting(w.people[0]), None, &[], at(2026, 11, 1, 9))
        .await
        .unwrap();
    for sql in [
        "DELETE FROM memberships WHERE person_id = $1",
        "DELETE FROM sessions WHERE person_id = $1",
        "DELETE FROM people WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(w.people[0])
            .execute(db.pool())
            .await
            .unwrap();
    }
    for table in [
        "network_profiles",
        "network_training_needs",
        "network_digests",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    // Withdrawing is deleting.
    db.save_network_profile(&acting(w.people[1]), &profile, at(2026, 11, 1, 9))
        .await
        .unwrap()
        .unwrap();
    assert!(
        db.withdraw_network_profile(&acting(w.people[1]))
            .await
            .unwrap()
    );
    assert!(db.network_profile(w.people[1]).await.unwrap().is_none());
}

/// The outbox, oldest first: (to, what it says, held for the digest).
async fn deliveries(db: &Database) -> Vec<(String, String, bool)> {
    let mut all: Vec<_> = db
        .outbox(false, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.digested_into.is_none())
        .map(|m| match &m.content {
            passerelle_store::outbox::Content::Notification(n) => {
                (m.to_address.clone(), label(n), m.digest)
            }
            other => panic!("Réseau's messages are notifications: {other:?}"),
        })
        .collect();
    all.reverse();
    all
}

async fn choose(db: &Database, person: i64, topic: Topic, frequency: Frequency) {
    db.set_notification_preferences(&acting(person).acting, person, &[(topic, frequency)])
        .await
        .unwrap();
}

#[tokio::test]
async fn preferences_change_what_reseau_sends() {
    let w = world().await;
    let db = &w.db;
    let [p0, p1, p2, p3] = w.people[..] else {
        unreachable!()
    };
    // Registrations: Pro 0 at once (the default), Pro 1 in the digest,
    // Pro 2 never. New events of their networks: Pro 0 in the digest (the
    // default), Pro 3 never.
    choose(db, p1, Topic::EventRegistration, Frequency::Daily).await;
    choose(db, p2, Topic::EventRegistration, Frequency::Never).await;
    choose(db, p3, Topic::NetworkEvent, Frequency::Never).await;
    let network = db
        .create_network(
            &acting(w.coordinator),
            &Network {
                name: "Médiathèques du Finistère".into(),
                description: None,
                joining: Joining::Open,
            },
            at(2026, 11, 1, 8),
        )
        .await
        .unwrap();
    for p in [p0, p3] {
        db.join_network(&acting(p), network, at(2026, 11, 1, 8))
            .await
            .unwrap()
            .unwrap();
    }
    let mut e = event(10, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
    e.network_id = Some(network);
    let id = db
        .publish_event(&acting(w.coordinator), &e, at(2026, 11, 1, 9))
        .await
        .unwrap()
        .unwrap();
    let title = "Rencontre départementale du Finistère";
    assert_eq!(
        deliveries(db).await,
        vec![(
            "pro0@quimper.bzh".to_string(),
            format!("nouveau: {title} (Médiathèques du Finistère)"),
            true
        )],
        "members are told, as each chose; the organiser is not"
    );
    clear_outbox(db).await;
    for p in [p0, p1, p2] {
        db.register_for_event(&acting(p), id, at(2026, 11, 2, 9))
            .await
            .unwrap()
            .unwrap();
    }
    assert!(
        db.cancel_event(&acting(w.coordinator), id, at(2026, 11, 3, 9))
            .await
            .unwrap()
    );
    let cancelled = format!("annulé: {title}");
    assert_eq!(
        deliveries(db).await,
        vec![
            ("pro0@quimper.bzh".to_string(), cancelled.clone(), false),
            ("pro1@quimper.bzh".to_string(), cancelled.clone(), true),
        ],
        "at once, held for the digest, or not at all"
    );
    assert_eq!(db.queue_digests(at(2026, 11, 4, 6)).await.unwrap(), 1);
    assert_eq!(
        deliveries(db).await,
        vec![
            ("pro0@quimper.bzh".to_string(), cancelled.clone(), false),
            (
                "pro1@quimper.bzh".to_string(),
                format!("résumé: {cancelled}"),
                false
            ),
        ],
        "the day's digest carries what Pro 1 chose to receive once a day"
    );
}

#[tokio::test]
async fn a_reseau_write_its_audit_line_and_its_mail_commit_together() {
    let w = world().await;
    let db = &w.db;
    let id = db
        .publish_event(
            &acting(w.coordinator),
            &event(10, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
            at(2026, 11, 1, 9),
        )
        .await
        .unwrap()
        .unwrap();
    db.register_for_event(&acting(w.people[0]), id, at(2026, 11, 2, 9))
        .await
        .unwrap()
        .unwrap();
    clear_outbox(db).await;
    // The audit line of a cancellation cannot be written: it comes after
    // the change and the e-mails, which must go with it.
    match db.backend() {
        Backend::Sqlite => {
            sqlx::raw_sql(
                "CREATE TRIGGER no_cancel_audit BEFORE INSERT ON audit_events \
                 WHEN NEW.action = 'network.event_cancelled' BEGIN SELECT RAISE(ABORT, 'refusé'); END",
            )
            .execute(db.pool())
            .await
            .unwrap();
        }
        Backend::Postgres => {
            sqlx::raw_sql(
                "CREATE FUNCTION no_cancel_audit() RETURNS trigger AS $$ BEGIN \
                 IF NEW.action = 'network.event_cancelled' THEN RAISE EXCEPTION 'refusé'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER no_cancel_audit BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION no_cancel_audit();",
            )
            .execute(db.pool())
            .await
            .unwrap();
        }
    }
    assert!(
        db.cancel_event(&acting(w.coordinator), id, at(2026, 11, 3, 9))
            .await
            .is_err()
    );
    let e = db.network_event(id).await.unwrap().unwrap();
    assert_eq!(e.cancelled_at, None, "the change is rolled back");
    assert!(outbox(db).await.is_empty(), "no e-mail for it");
    sqlx::raw_sql("DROP TRIGGER no_cancel_audit ON audit_events")
        .execute(db.pool())
        .await
        .ok();
    sqlx::raw_sql("DROP TRIGGER no_cancel_audit")
        .execute(db.pool())
        .await
        .ok();
    // Without the obstacle, all three are written, the audit line with
    // who acted and from where.
    let from = Member::of(passerelle_store::write::Acting {
        person: Some(w.coordinator),
        address: Some("192.0.2.9".into()),
        ..Default::default()
    })
    .unwrap();
    assert!(
        db.cancel_event(&from, id, at(2026, 11, 3, 9))
            .await
            .unwrap()
    );
    assert_eq!(outbox(db).await.len(), 1);
    let line = db
        .audit_events(Some("network.event_cancelled"), 10)
        .await
        .unwrap();
    assert_eq!(line.len(), 1);
    assert!(line[0].actor.is_some());
    assert_eq!(line[0].ip.as_deref(), Some("192.0.2.9"));
}
