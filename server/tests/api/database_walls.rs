//! What the database itself enforces, whatever the application code does: row-level security on
//! PostgreSQL (checked as the application role) and no double booking on both backends.

use domain::Role;
use sqlx::Row;
use store::{Db, DbOptions, TenantScope, TenantTx};

use crate::helpers::{Backend, Org, TestApp};
use crate::on_both_backends;

on_both_backends!(the_database_refuses_overlapping_appointments, row_level_security_holds_as_the_app_role);

fn scope(org: &Org) -> TenantScope {
    store::Operator::new("test").act_for(org.id, None, Role::Staff)
}

async fn seed_customer(db: &Db, org: &Org, name: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let mut tx = TenantTx::begin(db, &scope(org)).await.unwrap();
    sqlx::query("INSERT INTO customers (id, org_id, name, created_at, updated_at) VALUES ($1, $2, $3, 1, 1)")
        .bind(&id)
        .bind(org.id.to_string())
        .bind(name)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn the_database_refuses_overlapping_appointments(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let customer = seed_customer(&app.db, &org, "Jo").await;
    let org_id = org.id.to_string();
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    for (id, name) in [("tech-1", "Ana"), ("tech-2", "Ben")] {
        sqlx::query("INSERT INTO technicians (id, org_id, name, created_at, updated_at) VALUES ($1, $2, $3, 1, 1)")
            .bind(id)
            .bind(&org_id)
            .bind(name)
            .execute(tx.conn())
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO leads (id, org_id, customer_id, channel, created_at, updated_at) VALUES ('lead-1', $1, $2, 'api', 1, 1)")
        .bind(&org_id).bind(&customer).execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();

    let hour = 3_600_000_i64;
    let book = |id: &'static str, tech: &'static str, start: i64, end: i64, status: &'static str| {
        let db = app.db.clone();
        let scope = scope(&org);
        let org_id = org_id.clone();
        async move {
            let mut tx = TenantTx::begin(&db, &scope).await.unwrap();
            let result = sqlx::query(
                "INSERT INTO appointments (id, org_id, lead_id, technician_id, starts_at, ends_at, status, created_at, updated_at)
                 VALUES ($1, $2, 'lead-1', $3, $4, $5, $6, 1, 1)",
            )
            .bind(id).bind(&org_id).bind(tech).bind(start).bind(end).bind(status)
            .execute(tx.conn())
            .await
            .map_err(store::StoreError::from);
            if result.is_ok() {
                tx.commit().await.unwrap();
            }
            result.map(|_| ())
        }
    };
    book("a1", "tech-1", 10 * hour, 11 * hour, "scheduled").await.unwrap();
    let overlap = book("a2", "tech-1", 10 * hour + hour / 2, 12 * hour, "scheduled").await;
    assert!(matches!(overlap, Err(store::StoreError::Conflict { .. })), "{overlap:?}");
    let inside = book("a3", "tech-1", 10 * hour + 1, 11 * hour - 1, "confirmed").await;
    assert!(matches!(inside, Err(store::StoreError::Conflict { .. })), "{inside:?}");
    book("a4", "tech-1", 11 * hour, 12 * hour, "scheduled").await.expect("back-to-back is fine");
    book("a5", "tech-2", 10 * hour, 11 * hour, "scheduled").await.expect("another technician is free");
    book("a6", "tech-1", 10 * hour, 11 * hour, "cancelled").await.expect("a cancelled booking blocks nothing");
    let bad_range = book("a7", "tech-2", 12 * hour, 12 * hour, "scheduled").await;
    assert!(bad_range.is_err(), "an appointment must end after it starts");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, 4);
}

async fn row_level_security_holds_as_the_app_role(app: TestApp) {
    if app.backend != Backend::Postgres {
        return; // SQLite has no RLS; its wall is the repositories' org_id filter, tested per route.
    }
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    seed_customer(&app.db, &a, "Alice").await;
    let b_customer = seed_customer(&app.db, &b, "Bob").await;

    // The pool really runs as the unprivileged role.
    let who: String = sqlx::query("SELECT current_user::text AS u").fetch_one(app.db.pool()).await.unwrap().get("u");
    assert_eq!(who, "opsquad_app");

    // No tenant context: nothing is visible.
    let none: i64 = sqlx::query("SELECT COUNT(*) AS n FROM customers").fetch_one(app.db.pool()).await.unwrap().get("n");
    assert_eq!(none, 0);

    // Tenant A, raw SQL without any org filter.
    let mut tx = TenantTx::begin(&app.db, &scope(&a)).await.unwrap();
    let seen: i64 = sqlx::query("SELECT COUNT(*) AS n FROM customers").fetch_one(tx.conn()).await.unwrap().get("n");
    assert_eq!(seen, 1, "A sees only its own customer");
    let updated = sqlx::query("UPDATE customers SET notes = 'pwned'").execute(tx.conn()).await.unwrap();
    assert_eq!(updated.rows_affected(), 1);
    let deleted =
        sqlx::query("DELETE FROM customers WHERE id = $1").bind(&b_customer).execute(tx.conn()).await.unwrap();
    assert_eq!(deleted.rows_affected(), 0, "B's row cannot be deleted from A");
    tx.commit().await.unwrap();

    let mut tx = TenantTx::begin(&app.db, &scope(&a)).await.unwrap();
    let foreign =
        sqlx::query("INSERT INTO customers (id, org_id, name, created_at, updated_at) VALUES ('x', $1, 'Spy', 1, 1)")
            .bind(b.id.to_string())
            .execute(tx.conn())
            .await;
    assert!(foreign.is_err(), "writing a row for another org is refused");
    drop(tx);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE notes = 'pwned' AND name = 'Bob'").await, 0);

    // One pooled connection serving A then B never leaks A's context.
    let single = Db::connect(app.admin_url(), &DbOptions { max_connections: 1, ..DbOptions::default() }).await.unwrap();
    for (org, expected) in [(&a, "Alice"), (&b, "Bob"), (&a, "Alice")] {
        let mut tx = TenantTx::begin(&single, &scope(org)).await.unwrap();
        let names: Vec<String> = sqlx::query("SELECT name FROM customers")
            .fetch_all(tx.conn())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("name"))
            .collect();
        assert_eq!(names, vec![expected.to_owned()]);
        tx.commit().await.unwrap();
    }
    let after: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM customers").fetch_one(single.pool()).await.unwrap().get("n");
    assert_eq!(after, 0, "the context was transaction-local");

    // The catalog: every table with org_id is forced under RLS with a policy; the role can't bypass.
    let unprotected = app
        .admin_count(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r'
               AND (EXISTS (SELECT 1 FROM information_schema.columns col
                            WHERE col.table_schema = 'public' AND col.table_name = c.relname AND col.column_name = 'org_id')
                    OR c.relname = 'orgs')
               AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
                    OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))",
        )
        .await;
    assert_eq!(unprotected, 0);
    let protected = app.admin_count("SELECT COUNT(*) FROM pg_class WHERE relforcerowsecurity").await;
    assert!(protected >= 21, "{protected}");
    assert_eq!(
        app.admin_count(
            "SELECT COUNT(*) FROM pg_roles WHERE rolname = 'opsquad_app' AND NOT rolbypassrls AND NOT rolsuper"
        )
        .await,
        1
    );
}

/// Every row-level-security policy on PostgreSQL and the commands it allows: tenant isolation on
/// every tenant table, and the doors that act before a tenant is known narrowed to exactly what
/// their code runs. A new policy, or a wider one, fails here until it is listed on purpose.
#[tokio::test]
async fn every_policy_and_its_commands_are_listed() {
    let Some(app) = crate::helpers::spawn_app(Backend::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (the policies exist only on PostgreSQL)");
        return;
    };
    let rows = sqlx::query(
        "SELECT tablename::text AS t, policyname::text AS p, cmd::text AS c FROM pg_policies
         WHERE schemaname = 'public' ORDER BY tablename, policyname",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let found: Vec<(String, String, String)> = rows.iter().map(|r| (r.get("t"), r.get("p"), r.get("c"))).collect();
    let tenant_tables = [
        "agent_runs",
        "api_keys",
        "appointments",
        "audit_log",
        "booking_pages",
        "business_settings",
        "calendar_events",
        "customers",
        "email_confirmations",
        "escalations",
        "inbound_events",
        "integrations",
        "invitations",
        "invoice_lines",
        "invoices",
        "jobs",
        "leads",
        "manage_links",
        "memories",
        "messages",
        "orgs",
        "pay_links",
        "password_resets",
        "payments",
        "phone_calls",
        "slot_holds",
        "run_steps",
        "services",
        "sessions",
        "shop_work_kinds",
        "side_effects",
        "sms_opt_outs",
        "sms_texts",
        "stripe_checkouts",
        "stripe_payments",
        "technician_calendars",
        "technicians",
        "time_offers",
        "usage",
        "users",
        "widget_sessions",
        "widgets",
    ];
    let mut expected: Vec<(String, String, String)> =
        tenant_tables.iter().map(|t| (t.to_string(), "tenant_isolation".into(), "ALL".into())).collect();
    for (table, policy, command) in [
        ("api_keys", "auth_lookup_read", "SELECT"),
        ("api_keys", "auth_lookup_touch", "UPDATE"),
        ("booking_pages", "booking_page_lookup", "SELECT"),
        ("email_confirmations", "auth_lookup_read", "SELECT"),
        ("email_confirmations", "auth_lookup_use", "UPDATE"),
        ("escalations", "worker_timeouts", "SELECT"),
        ("integrations", "gmail_push_lookup", "SELECT"),
        ("integrations", "stripe_account_lookup", "SELECT"),
        ("integrations", "twilio_number_lookup", "SELECT"),
        ("invitations", "auth_lookup_accept", "UPDATE"),
        ("invitations", "auth_lookup_read", "SELECT"),
        ("jobs", "worker_claim_read", "SELECT"),
        ("jobs", "worker_claim_update", "UPDATE"),
        ("manage_links", "manage_link_lookup", "SELECT"),
        ("memories", "worker_retention_delete", "DELETE"),
        ("memories", "worker_retention_read", "SELECT"),
        ("orgs", "auth_lookup", "SELECT"),
        ("orgs", "worker_summaries", "SELECT"),
        ("password_resets", "auth_lookup_read", "SELECT"),
        ("password_resets", "auth_lookup_use", "UPDATE"),
        ("pay_links", "pay_link_lookup", "SELECT"),
        ("sessions", "auth_lookup", "ALL"),
        ("users", "auth_lookup", "SELECT"),
        ("widgets", "widget_lookup", "SELECT"),
    ] {
        expected.push((table.into(), policy.into(), command.into()));
    }
    expected.sort();
    assert_eq!(found, expected);

    // Behind the worker's door a job can be read but not deleted (it could be, before).
    let org = app.create_org("Acme Heating").await;
    let inbound = app.api(reqwest::Method::POST, "/api/v1/inbound", &org.api_key).await;
    assert_eq!(inbound.json(&crate::squad::furnace("jo@example.com")).send().await.unwrap().status(), 202);
    let mut tx = app.db.pool().begin().await.unwrap();
    sqlx::query("SELECT set_config('app.worker', 'on', true)").execute(&mut *tx).await.unwrap();
    let seen: i64 = sqlx::query("SELECT COUNT(*) AS n FROM jobs").fetch_one(&mut *tx).await.unwrap().get("n");
    assert_eq!(seen, 1, "the worker reads every org's jobs");
    let deleted = sqlx::query("DELETE FROM jobs").execute(&mut *tx).await.unwrap().rows_affected();
    assert_eq!(deleted, 0, "and deletes none");
}
