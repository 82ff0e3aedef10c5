//! Two `passerelle serve` on one database, as behind a load balancer: what
//! one server (or the command line) changes, the other shows within
//! seconds, and the scheduled jobs run on one of them only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use passerelle_accounts::notification::Notification;
use passerelle_accounts::{Role, StructureKind};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::outbox::Content;
use passerelle_store::testing::fresh_database_url;

const BIN: &str = env!("CARGO_BIN_EXE_passerelle");

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database_url: &str) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PASSERELLE_ADDR", "127.0.0.1:0")
        .env_remove("PASSERELLE_SMTP_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start passerelle serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, address }
}

/// GET over plain HTTP/1.1: the status and the body.
fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// A referral whose receiver has not acted for eleven days: a reminder is
/// due at the next run of the deadlines job.
async fn referral_awaiting_a_reminder(db: &Database) -> i64 {
    let structure = db
        .create_structure(&NewStructure {
            nom: "CCAS de Quimper",
            kind: StructureKind::Ccas,
            siret: None,
            commune_code: Some("29232"),
        })
        .await
        .unwrap()
        .unwrap();
    let person = db
        .create_person_with_role(
            "as@ccas-quimper.bzh",
            "Assistante sociale",
            None,
            structure,
            Role::Membre,
            &[],
        )
        .await
        .unwrap();
    let eleven_days_ago = Utc::now() - chrono::Duration::days(11);
    let (id, _) = db
        .create_referral(
            &passerelle_referrals::model::NewReferral {
                place_id: None,
                structure_id: Some(structure),
                service: "Aide aux démarches administratives".into(),
                organisation: None,
                situation: "Déclaration en ligne".into(),
                urgency: "normale".into(),
                availability: String::new(),
                person: passerelle_referrals::model::Person {
                    first_name: "Maryvonne".into(),
                    channel: "telephone".into(),
                    contact: "0612345678".into(),
                    caf_number: None,
                    france_travail_number: None,
                },
                consent: Some(passerelle_referrals::model::Consent {
                    informed_by: person,
                    at: eleven_days_ago,
                    how: Some(passerelle_referrals::model::ConsentWay::Oral),
                }),
            },
            passerelle_store::referrals::Parties {
                sender_structure: structure,
                sender_person: person,
                receiver_structure: structure,
            },
            None,
            eleven_days_ago,
        )
        .await
        .unwrap();
    id
}

async fn reminders(db: &Database) -> usize {
    db.outbox(false, 100)
        .await
        .unwrap()
        .iter()
        .filter(|m| {
            matches!(
                m.content,
                Content::Notification(Notification::ReferralReminder { .. })
            )
        })
        .count()
}

#[tokio::test]
async fn two_servers_on_one_database_stay_consistent() {
    let url = fresh_database_url().await;
    let db = Database::open(&url).await.unwrap();
    db.load_bundled_reference().await.unwrap();
    referral_awaiting_a_reminder(&db).await;
    assert_eq!(reminders(&db).await, 0);

    // Both start their hourly jobs at once: one reminder, not two.
    let (a, b) = (serve(&url), serve(&url));
    let started = Instant::now();
    while reminders(&db).await == 0 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(reminders(&db).await, 1, "each reminder is sent once");

    // A place imported from the command line shows on both servers.
    let search = "/api/v1/places?q=Ty+Numerik+Kemper";
    for server in [&a, &b] {
        let (status, body) = get(&server.address, search);
        assert_eq!((status, body.as_str()), (200, "[]"));
    }
    let dir = std::env::temp_dir().join(format!("passerelle-instances-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lieux.csv");
    std::fs::write(
        &file,
        "id,pivot,nom,commune,code_postal,code_insee,adresse,latitude,longitude,services,date_maj,source\n\
         tynum-1,00000000000000,Ty Numerik Kemper,Quimper,29000,29232,2 rue du Port,47.99,-4.10,Aide aux démarches administratives,2026-11-01,essai\n",
    )
    .unwrap();
    let import = Command::new(BIN)
        .args(["places", "import", file.to_str().unwrap()])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    for server in [&b, &a] {
        let asked = Instant::now();
        loop {
            let (_, body) = get(&server.address, search);
            if body.contains("Ty Numerik Kemper") {
                break;
            }
            assert!(
                asked.elapsed() < Duration::from_secs(5),
                "the place is not found on {} after 5 s: {body}",
                server.address
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
