//! Several `opsquad serve` instances on one PostgreSQL: every job runs once, a dashboard on one
//! instance sees what another did, and a job leased by an instance that died is taken over by
//! another once its lease runs out.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// A mix of inquiries, as a day's flood would bring: emergencies, repairs, tune-ups.
const INQUIRIES: [(&str, &str); 6] = [
    ("No heat", "Our furnace stopped working last night and the house is cold. 1420 Walnut St, 62704"),
    ("AC", "AC not cooling, blowing warm air. 18 Oak Ave, 62703"),
    ("Water heater", "No hot water since this morning, the water heater is leaking a little. 305 Elm St, 62707"),
    ("Drain", "Kitchen sink is draining really slow, not an emergency. Next week is fine. 77 Cedar Ln, 62704"),
    ("Tune-up", "I'd like to schedule a fall furnace tune-up in the next couple weeks. 9 Maple Dr, 62702"),
    ("Leak", "Slow drip under the bathroom sink, the cabinet floor is getting wet. 412 Birch Rd, 62701"),
];
const LEADS: usize = 36;

/// An instance with its worker running: `concurrency` jobs at a time, a lease short enough for the
/// test yet longer than any run, and no restart within the test once its worker is killed.
async fn instance(app: &TestApp) -> TestApp {
    app.serve_with(|s| {
        s.worker.enabled = true;
        s.worker.concurrency = 2;
        s.worker.lease_seconds = 10;
        s.worker.poll_ms = 100;
        s.worker.restart_backoff_ms = 3_600_000;
    })
    .await
}

fn inquiry(n: usize) -> Value {
    let (subject, body) = INQUIRIES[n % INQUIRIES.len()];
    json!({ "channel": "email", "from": { "name": format!("Flood Customer {n}"), "email": format!("flood{n}@example.com") },
            "subject": subject, "body": body })
}

async fn post_inquiry(app: &TestApp, key: &str, n: usize) -> String {
    let response = app.api(Method::POST, "/api/v1/inbound", key).await.json(&inquiry(n)).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    response.json::<Value>().await.unwrap()["lead_id"].as_str().unwrap().to_owned()
}

/// Everything the stream says until it is dropped, gathered in the background.
fn gather(mut stream: reqwest::Response) -> (Arc<Mutex<String>>, tokio::task::JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let into = text.clone();
    let task = tokio::spawn(async move {
        while let Ok(Some(chunk)) = stream.chunk().await {
            into.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    (text, task)
}

#[tokio::test]
async fn two_instances_on_one_postgres_run_every_job_once() {
    let Some(setup) = spawn_app(Backend::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let demo = setup.demo().await;
    let key = demo.api_key;
    for n in 0..3 {
        let tech = json!({ "name": format!("Flood Tech {n}"), "skills": ["furnace_repair", "ac_repair", "water_heater", "drain_cleaning", "hvac_maintenance", "leak_repair"] });
        let response = setup.api(Method::POST, "/api/v1/technicians", &key).await.json(&tech).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    // A job that an instance claimed just before it died: nobody touches it until its lease runs out.
    let stranded = post_inquiry(&setup, &key, 0).await;
    let lease = store::jobs::claim(&setup.db, 2_000, "instance-that-died").await.unwrap().expect("the first run");

    let a = instance(&setup).await;
    let b = instance(&setup).await;

    // The owner's board is open on instance A.
    let board = a.api(Method::GET, "/api/v1/events", &key).await.send().await.unwrap();
    assert_eq!(board.status(), 200);
    let (seen, reader) = gather(board);

    // The flood arrives through both instances at once; B's worker dies halfway through it.
    let mut leads = vec![stranded.clone()];
    for n in 1..LEADS {
        let through = if n % 2 == 0 { &a } else { &b };
        leads.push(post_inquiry(through, &key, n).await);
        if n == LEADS / 2 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(b.worker.kill(), "B's worker was running");
        }
    }

    let all_done = "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND run_at <= (EXTRACT(EPOCH FROM now()) * 1000)::bigint";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while setup.admin_count(all_done).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "jobs still due after a minute");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every lead is booked once, with its reply and confirmation each sent once: no race for the
    // same opening ended in a person's hands.
    let booked = setup.admin_count("SELECT COUNT(*) FROM leads WHERE stage = 'booked'").await;
    let escalated =
        setup.admin_text("SELECT COALESCE(string_agg(kind || ': ' || reason, ' | '), '') FROM escalations").await;
    let trail = setup
        .admin_text(
            "SELECT COALESCE(string_agg(s.agent || ':' || s.kind || ':' || COALESCE(s.payload::json->>'tool', '') || ':' || COALESCE(s.payload::json->'output'->>'error', ''), ' / ' ORDER BY s.run_id, s.seq), '')
             FROM run_steps s JOIN escalations e ON e.run_id = s.run_id",
        )
        .await;
    assert_eq!(booked, LEADS as i64, "escalations: {escalated}; their runs: {trail}");
    assert_eq!(setup.admin_count("SELECT COUNT(*) FROM appointments WHERE status = 'scheduled'").await, LEADS as i64);
    let twice = "SELECT COUNT(*) FROM (SELECT lead_id FROM appointments GROUP BY lead_id HAVING COUNT(*) > 1) AS t";
    assert_eq!(setup.admin_count(twice).await, 0, "a lead booked twice");
    let sent = "SELECT COUNT(*) FROM side_effects WHERE status = 'done'";
    assert_eq!(setup.admin_count(sent).await, 2 * LEADS as i64, "one reply and one confirmation per lead");
    let dead = setup.admin_text("SELECT COALESCE(string_agg(kind || ': ' || COALESCE(last_error, ''), ' | '), '') FROM jobs WHERE status <> 'done' AND run_at <= (EXTRACT(EPOCH FROM now()) * 1000)::bigint").await;
    assert!(dead.is_empty(), "jobs that did not finish: {dead}");

    // Each job ran once, but those an instance held when it died — the stranded one, and at most
    // one per lane of B's killed worker — which a live instance took over after their lease.
    let retried = setup.admin_count("SELECT COUNT(*) FROM jobs WHERE attempts > 1").await;
    assert!((1..=3).contains(&retried), "{retried} jobs ran more than once");
    // The stranded job may have been taken by B and stranded again when B died: three attempts.
    let thrice = format!("SELECT COUNT(*) FROM jobs WHERE attempts > 2 AND id <> '{}'", lease.id);
    assert_eq!(setup.admin_count(&thrice).await, 0);
    let taken_over = setup.admin_text(&format!("SELECT claimed_by FROM jobs WHERE id = '{}'", lease.id)).await;
    assert!(taken_over != "instance-that-died" && !taken_over.is_empty(), "{taken_over}");
    let instances = setup.admin_count("SELECT COUNT(DISTINCT claimed_by) FROM jobs WHERE kind = 'run_squad'").await;
    assert_eq!(instances, 2, "both instances ran squad runs");

    // The board on A showed every lead booked, those B ran included.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = seen.lock().unwrap().clone();
        let missing: Vec<&String> = leads
            .iter()
            .filter(|id| !text.lines().any(|l| l.contains(id.as_str()) && l.contains("\"stage\":\"booked\"")))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "A's board never showed {missing:?} booked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    reader.abort();
}
