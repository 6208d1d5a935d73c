//! `opsquad bench`: pushes N inquiries through the whole pipeline (intake, Lead Response,
//! handoff, Scheduler, booking, confirmation) with the offline model and every step committed,
//! on a fresh SQLite file or a fresh PostgreSQL database, and reports throughput, per-run latency
//! and peak memory as JSON.

use std::sync::Arc;
use std::time::Instant;

use domain::catalog::TechnicianInput;
use domain::inbound::SenderProof;
use domain::pipeline::Channel;
use domain::{Email, OrgId, PersonName, Role};
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use store::{technicians, Db, DbOptions, Operator, TenantTx};

use crate::cli::CliError;
use crate::worker::Worker;
use ops::inbound::{self, Inquiry};

const INQUIRIES: [(&str, &str); 6] = [
    (
        "No heat",
        "Our furnace stopped working last night and the house is cold. Can someone come out? 1420 Walnut St, 62704",
    ),
    ("AC", "AC not cooling, blowing warm air. 18 Oak Ave, 62703"),
    ("Water heater", "No hot water since this morning, the water heater is leaking a little. 305 Elm St, 62707"),
    ("Drain", "Kitchen sink is draining really slow, not an emergency. Next week is fine. 77 Cedar Ln, 62704"),
    ("Tune-up", "I'd like to schedule a fall furnace tune-up in the next couple weeks. 9 Maple Dr, 62702"),
    ("Leak", "Slow drip under the bathroom sink, the cabinet floor is getting wet. 412 Birch Rd, 62701"),
];

fn other(err: impl Into<anyhow::Error>) -> CliError {
    CliError::Other(err.into())
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    // Index into a sorted, non-empty list; the float maths stays well inside usize.
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub async fn run(leads: usize, workers: usize, postgres_admin_url: Option<&str>) -> Result<Value, CliError> {
    if leads == 0 || workers == 0 {
        return Err(CliError::Invalid { field: "leads", message: "use at least one lead and one worker".into() });
    }
    let dir = tempfile::tempdir().map_err(other)?;
    let (url, cleanup) = match postgres_admin_url {
        None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
        Some(admin) => {
            let name = format!("opsquad_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(admin).await.map_err(other)?;
            sqlx::query(&format!(r#"CREATE DATABASE "{name}""#)).execute(&mut conn).await.map_err(other)?;
            let base = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
            (format!("{base}/{name}"), Some((admin.to_owned(), name)))
        }
    };
    let result = measure(&url, leads, workers).await;
    if let Some((admin, name)) = cleanup {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).execute(&mut conn).await;
        }
    }
    result
}

async fn measure(url: &str, leads: usize, workers: usize) -> Result<Value, CliError> {
    let options = DbOptions { max_connections: u32::try_from(workers + 4).unwrap_or(32), ..DbOptions::default() };
    let db = Db::open(url, &options).await.map_err(other)?;
    let demo = crate::demo::seed(&db).await?;
    let org = OrgId::parse(&demo.org_id).map_err(other)?;
    let scope = Operator::new("bench").act_for(org, None, Role::Owner);

    // Enough technicians that every lead can be booked within the search window.
    let mut tx = TenantTx::begin(&db, &scope).await.map_err(other)?;
    let all_skills: Vec<String> = squad::demo::services().into_iter().filter_map(|s| s.skill).collect();
    for n in 0..(leads / 40 + 1) {
        let tech = TechnicianInput {
            name: format!("Bench Tech {n}"),
            email: None,
            phone: None,
            skills: all_skills.clone(),
            working_hours: None,
            calendar_id: None,
            active: true,
        };
        technicians::insert(&mut tx, &tech).await.map_err(other)?;
    }
    tx.commit().await.map_err(other)?;

    let public = squad::link_tokens::PublicUrl::new("http://127.0.0.1:3000");
    let intake_started = Instant::now();
    for n in 0..leads {
        let (subject, body) = INQUIRIES[n % INQUIRIES.len()];
        let email = Email::parse(&format!("bench{n}@example.com")).map_err(other)?;
        let inquiry = Inquiry {
            channel: Channel::Email,
            name: Some(PersonName::parse(&format!("Bench Customer {n}")).map_err(other)?),
            email: Some(email),
            phone: None,
            subject: Some(subject.to_owned()),
            body: body.to_owned(),
            address: None,
            proof: SenderProof::None,
            external_id: None,
            known_customer: None,
        };
        inbound::accept(&db, &scope, &inquiry).await.map_err(other)?;
    }
    let intake_secs = intake_started.elapsed().as_secs_f64();

    let worker = Worker {
        db: db.clone(),
        model: Arc::new(squad::offline::OfflineModel),
        models: squad::agents::AgentModels::seeds("offline-rules-v1"),
        limits: squad::runtime::Limits::default(),
        payments: Arc::new(squad::payments::HostedPayPage::new(public.clone(), squad::payments::DEFAULT_PAY_LINK_DAYS)),
        channel: Arc::new(squad::channels::RecordOnly),
        own_channels: Arc::new(squad::channels::NoOwnChannels),
        // Nothing is connected in a benchmark: a key of its own that seals nothing.
        mail_access: ops::integrations::MailAccess {
            keys: Arc::new(
                integrations::secrets::Keyring::parse(&integrations::secrets::Keyring::new_entry("bench").into())
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            google: None,
            reach: integrations::mail::Reach::Anywhere,
        },
        mail_watchers: Arc::default(),
        public_url: public.clone(),
        live: Arc::default(),
        bell: Arc::default(),
        account_mail: Arc::new(ops::account_mail::AccountMail::Off),
        stripe: None,
        calendars: Arc::new(ops::calendars::CalendarAccess {
            caldav: Arc::new(
                integrations::calendar::caldav::CalDav::new(integrations::mail::Reach::Internet)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            google: None,
            keys: Arc::new(
                integrations::secrets::Keyring::parse(&integrations::secrets::Keyring::new_entry("bench").into())
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            public_url: public.clone(),
        }),
    };
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let w = worker.clone();
            tokio::spawn(async move { w.drain().await })
        })
        .collect();
    let mut ran = 0;
    for task in tasks {
        ran += task.await.map_err(other)?.map_err(other)?;
    }
    let pipeline_secs = started.elapsed().as_secs_f64();

    let mut tx = TenantTx::begin(&db, &scope).await.map_err(other)?;
    let mut durations: Vec<i64> = sqlx::query("SELECT updated_at - started_at AS ms FROM agent_runs")
        .fetch_all(tx.conn())
        .await
        .map_err(other)?
        .iter()
        .map(|r| r.get::<i64, _>("ms"))
        .collect();
    durations.sort_unstable();
    let stages: Vec<(String, i64)> =
        sqlx::query("SELECT stage, COUNT(*) AS n FROM leads GROUP BY stage ORDER BY stage")
            .fetch_all(tx.conn())
            .await
            .map_err(other)?
            .iter()
            .map(|r| (r.get::<String, _>("stage"), r.get::<i64, _>("n")))
            .collect();
    let escalations: Vec<(String, i64)> =
        sqlx::query("SELECT kind || ': ' || reason AS kind, COUNT(*) AS n FROM escalations GROUP BY kind, reason ORDER BY kind, reason")
            .fetch_all(tx.conn())
            .await
            .map_err(other)?
            .iter()
            .map(|r| (r.get::<String, _>("kind"), r.get::<i64, _>("n")))
            .collect();
    let steps: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM run_steps").fetch_one(tx.conn()).await.map_err(other)?.get("n");
    tx.commit().await.map_err(other)?;
    db.close().await;

    // Reported figures are rates and milliseconds; float conversion of these counts is exact enough.
    let leads_f = leads as f64;
    Ok(json!({
        "backend": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "model": "offline",
        "leads": leads,
        "workers": workers,
        "jobs_run": ran,
        "steps_committed": steps,
        "intake_leads_per_second": (leads_f / intake_secs).round(),
        "pipeline_seconds": (pipeline_secs * 1000.0).round() / 1000.0,
        "pipeline_leads_per_second": (leads_f / pipeline_secs).round(),
        "run_ms": { "p50": percentile(&durations, 0.50), "p99": percentile(&durations, 0.99), "max": durations.last().copied().unwrap_or(0) },
        "stages": stages.into_iter().map(|(stage, n)| (stage, json!(n))).collect::<serde_json::Map<String, Value>>(),
        "escalations": escalations.into_iter().map(|(kind, n)| (kind, json!(n))).collect::<serde_json::Map<String, Value>>(),
        "peak_rss_mib": peak_rss_kib().map(|k| k / 1024),
    }))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_pick_from_the_sorted_list() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 51);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
