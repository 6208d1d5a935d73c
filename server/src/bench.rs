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

/// CPU time this process has used so far, in seconds (user + system, Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after it are fixed. utime and stime are the
    // 12th and 13th after it, in USER_HZ, which Linux fixes at 100 for /proc.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// How the benchmark's jobs are worked: by this process, or by several `opsquad serve`-like
/// processes sharing one database, as instances behind a load balancer would.
#[derive(Debug, Clone, Copy)]
pub struct Crew {
    pub workers: usize,
    pub instances: usize,
}

pub async fn run(leads: usize, crew: Crew, postgres_admin_url: Option<&str>) -> Result<Value, CliError> {
    if leads == 0 || crew.workers == 0 || crew.instances == 0 {
        return Err(CliError::Invalid { field: "leads", message: "use at least one lead, worker and instance".into() });
    }
    if crew.instances > 1 && postgres_admin_url.is_none() {
        return Err(CliError::Invalid {
            field: "instances",
            message: "several instances share one PostgreSQL database; pass --postgres".into(),
        });
    }
    let scratch = Scratch::create(postgres_admin_url).await?;
    let result = measure(&scratch.url, leads, crew).await;
    scratch.remove().await;
    result
}

/// A throwaway database for one benchmark: a SQLite file in a temporary folder, or a database of
/// its own on the PostgreSQL server at the admin URL.
pub(crate) struct Scratch {
    pub(crate) url: String,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Scratch {
    pub(crate) async fn create(postgres_admin_url: Option<&str>) -> Result<Self, CliError> {
        let dir = tempfile::tempdir().map_err(other)?;
        let Some(admin) = postgres_admin_url else {
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            return Ok(Self { url, _dir: dir, postgres: None });
        };
        let name = format!("opsquad_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin).await.map_err(other)?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#)).execute(&mut conn).await.map_err(other)?;
        let base = admin.rsplit_once('/').map_or(admin, |(server, _)| server);
        Ok(Self { url: format!("{base}/{name}"), _dir: dir, postgres: Some((admin.to_owned(), name)) })
    }

    /// Drops the PostgreSQL database (the SQLite folder goes with `self`).
    pub(crate) async fn remove(self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
                let _ =
                    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).execute(&mut conn).await;
            }
        }
    }
}

/// `opsquad bench --join URL`: one instance of a several-instance benchmark. Works the jobs that
/// are due on the database until none is left and prints what it did and used.
pub async fn join(url: &str, workers: usize) -> Result<Value, CliError> {
    let options = DbOptions { max_connections: u32::try_from(workers + 2).unwrap_or(32), ..DbOptions::default() };
    let db = Db::open(url, &options).await.map_err(other)?;
    let cpu = cpu_seconds();
    let ran = drain(&bench_worker(&db)?, workers).await?;
    db.close().await;
    Ok(json!({
        "jobs_run": ran,
        "cpu_seconds": cpu.zip(cpu_seconds()).map(|(before, after)| after - before),
        "peak_rss_mib": peak_rss_kib().map(|k| k / 1024),
    }))
}

/// The worker every benchmark instance runs: the offline model, nothing connected, every message
/// only recorded.
fn bench_worker(db: &Db) -> Result<Worker, CliError> {
    let public = squad::link_tokens::PublicUrl::new("http://127.0.0.1:3000");
    // Nothing is connected in a benchmark: a key of its own that seals nothing.
    let keys = || {
        integrations::secrets::Keyring::parse(&integrations::secrets::Keyring::new_entry("bench").into())
            .map(Arc::new)
            .map_err(|e| other(anyhow::anyhow!("{e}")))
    };
    Ok(Worker {
        db: db.clone(),
        model: Arc::new(squad::offline::OfflineModel),
        models: squad::agents::AgentModels::seeds("offline-rules-v1"),
        limits: squad::runtime::Limits::default(),
        payments: Arc::new(squad::payments::HostedPayPage::new(public.clone(), squad::payments::DEFAULT_PAY_LINK_DAYS)),
        channel: Arc::new(squad::channels::RecordOnly),
        own_channels: Arc::new(squad::channels::NoOwnChannels),
        mail_access: ops::integrations::MailAccess {
            keys: keys()?,
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
                    .map_err(|e| other(anyhow::anyhow!("{e}")))?,
            ),
            google: None,
            keys: keys()?,
            public_url: public,
        }),
        shift: crate::worker::Shift::default(),
    })
}

/// Runs `workers` drains side by side until nothing is due; returns how many jobs ran.
async fn drain(worker: &Worker, workers: usize) -> Result<usize, CliError> {
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
    Ok(ran)
}

/// What working the due jobs took, in this process or in the instances it started.
struct Worked {
    jobs_run: usize,
    seconds: f64,
    /// CPU seconds of the processes that worked the jobs (the database's own are not counted).
    cpu_seconds: f64,
    /// The largest peak RSS among the instances (MiB); `None` when this process did the work.
    instance_peak_rss_mib: Option<u64>,
}

async fn work(url: &str, worker: &Worker, crew: Crew) -> Result<Worked, CliError> {
    let started = Instant::now();
    if crew.instances == 1 {
        let cpu = cpu_seconds().unwrap_or(0.0);
        let jobs_run = drain(worker, crew.workers).await?;
        let cpu_seconds = cpu_seconds().unwrap_or(0.0) - cpu;
        return Ok(Worked {
            jobs_run,
            seconds: started.elapsed().as_secs_f64(),
            cpu_seconds,
            instance_peak_rss_mib: None,
        });
    }
    let exe = std::env::current_exe().map_err(other)?;
    let children: Vec<_> = (0..crew.instances)
        .map(|_| {
            tokio::process::Command::new(&exe)
                .args(["bench", "--join", url, "--workers", &crew.workers.to_string()])
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(other)
        })
        .collect::<Result<_, _>>()?;
    let mut worked = Worked { jobs_run: 0, seconds: 0.0, cpu_seconds: 0.0, instance_peak_rss_mib: Some(0) };
    for child in children {
        let out = child.wait_with_output().await.map_err(other)?;
        if !out.status.success() {
            return Err(other(anyhow::anyhow!("a benchmark instance failed ({})", out.status)));
        }
        let report: Value = serde_json::from_slice(&out.stdout).map_err(other)?;
        worked.jobs_run += report["jobs_run"].as_u64().unwrap_or(0) as usize;
        worked.cpu_seconds += report["cpu_seconds"].as_f64().unwrap_or(0.0);
        let rss = report["peak_rss_mib"].as_u64().unwrap_or(0);
        worked.instance_peak_rss_mib = worked.instance_peak_rss_mib.max(Some(rss));
    }
    worked.seconds = started.elapsed().as_secs_f64();
    Ok(worked)
}

async fn measure(url: &str, leads: usize, crew: Crew) -> Result<Value, CliError> {
    let options = DbOptions { max_connections: u32::try_from(crew.workers + 4).unwrap_or(32), ..DbOptions::default() };
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

    // Lead Response and the Scheduler; then every visit is marked done and the Invoice agent bills it.
    let worker = bench_worker(&db)?;
    let scheduled = work(url, &worker, crew).await?;
    let mut tx = TenantTx::begin(&db, &scope).await.map_err(other)?;
    let visits: Vec<String> = sqlx::query("SELECT id FROM appointments WHERE status = 'scheduled'")
        .fetch_all(tx.conn())
        .await
        .map_err(other)?
        .iter()
        .map(|r| r.get::<String, _>("id"))
        .collect();
    tx.commit().await.map_err(other)?;
    for visit in &visits {
        ops::appointments::complete(&db, &scope, visit).await.map_err(other)?;
    }
    let billed = work(url, &worker, crew).await?;
    let pipeline_secs = scheduled.seconds + billed.seconds;

    let mut tx = TenantTx::begin(&db, &scope).await.map_err(other)?;
    let mut durations: Vec<i64> = sqlx::query("SELECT updated_at - started_at AS ms FROM agent_runs")
        .fetch_all(tx.conn())
        .await
        .map_err(other)?
        .iter()
        .map(|r| r.get::<i64, _>("ms"))
        .collect();
    durations.sort_unstable();
    let count = |rows: Vec<sqlx::any::AnyRow>| -> Vec<(String, i64)> {
        rows.iter().map(|r| (r.get::<String, _>("key"), r.get::<i64, _>("n"))).collect()
    };
    let stages = count(
        sqlx::query("SELECT stage AS key, COUNT(*) AS n FROM leads GROUP BY stage ORDER BY stage")
            .fetch_all(tx.conn())
            .await
            .map_err(other)?,
    );
    let escalations = count(
        sqlx::query("SELECT kind || ': ' || reason AS key, COUNT(*) AS n FROM escalations GROUP BY kind, reason ORDER BY kind, reason")
            .fetch_all(tx.conn())
            .await
            .map_err(other)?,
    );
    let kinds = count(
        sqlx::query("SELECT kind AS key, COUNT(*) AS n FROM run_steps GROUP BY kind")
            .fetch_all(tx.conn())
            .await
            .map_err(other)?,
    );
    tx.commit().await.map_err(other)?;
    db.close().await;

    let steps: i64 = kinds.iter().map(|(_, n)| n).sum();
    let of_kind =
        |wanted: &[&str]| kinds.iter().filter(|(k, _)| wanted.contains(&k.as_str())).map(|(_, n)| n).sum::<i64>();
    // Reported figures are rates and milliseconds; float conversion of these counts is exact enough.
    let leads_f = leads as f64;
    let per_lead = |n: i64| (n as f64 / leads_f * 100.0).round() / 100.0;
    Ok(json!({
        "backend": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "model": "offline",
        "leads": leads,
        "workers": crew.workers,
        "instances": crew.instances,
        "jobs_run": scheduled.jobs_run + billed.jobs_run,
        "appointments_completed": visits.len(),
        "steps_committed": steps,
        "model_calls_per_lead": per_lead(of_kind(&["model_call"])),
        "tool_calls_per_lead": per_lead(of_kind(&["tool_call", "handoff", "escalation"])),
        "intake_leads_per_second": (leads_f / intake_secs).round(),
        "pipeline_seconds": (pipeline_secs * 1000.0).round() / 1000.0,
        "pipeline_leads_per_second": (leads_f / pipeline_secs * 10.0).round() / 10.0,
        "cpu_seconds_per_lead": ((scheduled.cpu_seconds + billed.cpu_seconds) / leads_f * 100_000.0).round() / 100_000.0,
        "run_ms": { "p50": percentile(&durations, 0.50), "p99": percentile(&durations, 0.99), "max": durations.last().copied().unwrap_or(0) },
        "stages": stages.into_iter().map(|(stage, n)| (stage, json!(n))).collect::<serde_json::Map<String, Value>>(),
        "escalations": escalations.into_iter().map(|(kind, n)| (kind, json!(n))).collect::<serde_json::Map<String, Value>>(),
        "peak_rss_mib": scheduled.instance_peak_rss_mib.max(billed.instance_peak_rss_mib).or_else(|| peak_rss_kib().map(|k| k / 1024)),
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
