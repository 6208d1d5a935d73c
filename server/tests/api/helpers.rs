//! `spawn_app`: the real application on port 0 with its own fresh database, SQLite or PostgreSQL.

use std::sync::Arc;

use auth::accounts::{self, SignUp};
use domain::{Email, OrgId, OrgName, Password, PersonName};
use reqwest::header::{HeaderMap, HeaderValue};
use server::config::Settings;
use server::startup::Application;
use sqlx::Connection;
use store::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The JWT signing key the test apps use, so tests can forge tokens against it.
pub const TEST_KID: &str = "test-k1";
pub const TEST_SECRET: &str = "integration-test-signing-key-0123456789abcdef";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub backend: Backend,
    /// A browser-like client: keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    /// The served instance's worker task (running only when its settings enable the worker).
    pub worker: server::supervisor::WorkerControl,
    /// What this test's workers delivered, as a provider received it.
    pub outbox: Arc<Outbox>,
    /// Replies being written to chat visitors, shared by the served instance and [`TestApp::worker`].
    pub live: Arc<squad::live::LiveText>,
    admin_url: String,
    _guard: Arc<DbGuard>,
}

/// A channel that keeps every message handed to it, exactly as an email or SMS provider would
/// receive it (private links minted, placeholders gone).
#[derive(Debug, Default)]
pub struct Outbox(std::sync::Mutex<Vec<squad::channels::Outbound>>);

impl Outbox {
    pub fn delivered(&self) -> Vec<squad::channels::Outbound> {
        self.0.lock().expect("outbox").clone()
    }
}

#[async_trait::async_trait]
impl squad::channels::Channel for Outbox {
    fn name(&self) -> &'static str {
        "test_outbox"
    }

    async fn deliver(
        &self,
        message: &squad::channels::Outbound,
        _key: &str,
    ) -> Result<serde_json::Value, squad::channels::DeliveryError> {
        self.0.lock().expect("outbox").push(message.clone());
        Ok(serde_json::json!({ "provider": "test_outbox" }))
    }
}

/// Deletes the test's database when the test ends.
enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn postgres_admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("OPSQUAD_REQUIRE_POSTGRES").is_err(),
                "OPSQUAD_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not"
            );
            None
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// `None` when the backend is PostgreSQL and no `TEST_DATABASE_URL` is configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let (url, admin_url, guard) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url.clone(), url, DbGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            let name = format!("opsquad_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let url = with_database(&admin, &name);
            (url.clone(), url, DbGuard::Postgres { admin_url: admin, name })
        }
    };

    if std::env::var("TEST_LOG").is_ok() {
        server::telemetry::init_subscriber(server::telemetry::get_subscriber(
            "info",
            server::config::LogFormat::Pretty,
            std::io::stdout,
            None,
        ));
    }

    let Served { address, db, worker, live } = serve(&server_settings(&url)).await;
    Some(TestApp {
        address,
        db,
        backend,
        client: browser(),
        worker,
        outbox: Arc::default(),
        live,
        admin_url,
        _guard: Arc::new(guard),
    })
}

/// The test configuration on the database at `url`, serving on a free port.
fn server_settings(url: &str) -> Settings {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
    let mut settings = Settings::load_for(&dir, "test").expect("test settings");
    settings.database.url = secrecy::SecretString::from(url.to_owned());
    settings.database.max_connections = 5;
    settings.server.addr = "127.0.0.1:0".parse().expect("addr");
    settings.auth.jwt_keys = Some(secrecy::SecretString::from(format!("{TEST_KID}:{TEST_SECRET}")));
    // The test mail servers' certificates are signed by the tests' own authority.
    settings.channels.mail_ca_file =
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail_tls/ca.pem").into());
    settings
}

/// A started server as a test reaches it.
struct Served {
    address: String,
    db: Db,
    worker: server::supervisor::WorkerControl,
    live: Arc<squad::live::LiveText>,
}

/// Builds and starts a server.
async fn serve(settings: &Settings) -> Served {
    let application = Application::build(settings).await.expect("build application");
    let served = Served {
        address: format!("http://{}", application.local_addr().expect("local addr")),
        db: application.state().db.clone(),
        worker: application.worker_control(),
        live: application.state().live.clone(),
    };
    tokio::spawn(application.run_until_stopped());
    served
}

/// A browser's HTTP client: its own cookie jar, redirects not followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Runs a test body on SQLite, and on PostgreSQL when it is configured.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                use $crate::helpers::{spawn_app, Backend};

                #[tokio::test]
                async fn sqlite() {
                    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
                    super::$test(app).await;
                }

                #[tokio::test]
                async fn postgres() {
                    match spawn_app(Backend::Postgres).await {
                        Some(app) => super::$test(app).await,
                        None => eprintln!("skipped: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )+
    };
}

pub struct Org {
    pub id: OrgId,
    pub api_key: String,
    pub owner_email: String,
    pub password: String,
}

impl TestApp {
    /// The same app seen from a second browser with its own cookie jar.
    pub fn new_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            db: self.db.clone(),
            backend: self.backend,
            client: browser(),
            worker: self.worker.clone(),
            outbox: self.outbox.clone(),
            live: self.live.clone(),
            admin_url: self.admin_url.clone(),
            _guard: self._guard.clone(),
        }
    }

    /// A second server on the same database, configured differently (`change`), seen from a
    /// fresh browser: how one deployment's settings are tested against another's.
    pub async fn serve_with(&self, change: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = server_settings(&self.admin_url);
        change(&mut settings);
        let Served { address, db, worker, live } = serve(&settings).await;
        TestApp {
            address,
            db,
            worker,
            live,
            client: browser(),
            admin_url: self.admin_url.clone(),
            ..self.new_browser()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Headers a same-origin browser form post carries.
    pub fn same_origin(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_str(&self.address).expect("origin"));
        headers
    }

    /// Creates an org with its owner and an API key, as `opsquad org create` does.
    pub async fn create_org(&self, name: &str) -> Org {
        let owner_email =
            format!("owner-{}@{}.example.com", uuid::Uuid::new_v4().simple(), name.to_lowercase().replace(' ', "-"));
        let password = "integration password".to_owned();
        let key = auth::api_key::generate("test");
        let input = SignUp {
            org_name: OrgName::parse(name).expect("org name"),
            owner_name: Some(PersonName::parse("Test Owner").expect("name")),
            email: Email::parse(&owner_email).expect("email"),
            password: Password::parse(&password).expect("password"),
            email_confirmed: true,
        };
        let created = accounts::sign_up(&self.db, input, Some(&key)).await.expect("sign up");
        Org { id: created.org.id, api_key: key.plaintext, owner_email, password }
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).headers(self.same_origin()).form(form).send().await.expect("request")
    }

    pub async fn log_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/api/auth/login", &[("email", email), ("password", password)]).await
    }

    /// A new API key of `org` with `role`, as its owner would create it; the key itself.
    pub async fn api_key_with_role(&self, org: &Org, role: domain::Role) -> String {
        self.api_key_with(org, role, domain::KeyScope::Full).await
    }

    /// A new API key of `org` with `role` and `scope`; the key itself.
    pub async fn api_key_with(&self, org: &Org, role: domain::Role, scope: domain::KeyScope) -> String {
        let key = auth::api_key::generate(&format!("{role} {scope} key"));
        let owner = store::Operator::new("test").act_for(org.id, None, domain::Role::Owner);
        let mut tx = store::TenantTx::begin(&self.db, &owner).await.expect("begin");
        store::api_keys::insert(&mut tx, &key.record, role, scope).await.expect("insert key");
        tx.commit().await.expect("commit");
        key.plaintext
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().request(method, self.url(path)).bearer_auth(key)
    }

    /// `GET path` on the API with `key`: the JSON answer.
    pub async fn api_json<T: serde::de::DeserializeOwned>(&self, path: &str, key: &str) -> T {
        self.api(reqwest::Method::GET, path, key).await.send().await.expect("request").json().await.expect("JSON")
    }

    /// Runs SQL with the database owner's privileges (bypassing RLS), for setting up and
    /// inspecting state the API does not expose.
    pub async fn admin_execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.admin_url).await.expect("sqlite admin");
                sqlx::query(sql).execute(&mut conn).await.expect("admin sql");
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.admin_url).await.expect("pg admin");
                sqlx::query(sql).execute(&mut conn).await.expect("admin sql");
            }
        }
    }

    /// One text value, read past every wall.
    pub async fn admin_text(&self, sql: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.admin_url).await.expect("sqlite admin");
                sqlx::query_scalar::<_, String>(sql).fetch_one(&mut conn).await.expect("admin text")
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.admin_url).await.expect("pg admin");
                sqlx::query_scalar::<_, String>(sql).fetch_one(&mut conn).await.expect("admin text")
            }
        }
    }

    pub async fn admin_count(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.admin_url).await.expect("sqlite admin");
                sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut conn).await.expect("admin count")
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.admin_url).await.expect("pg admin");
                sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut conn).await.expect("admin count")
            }
        }
    }

    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The test configuration pointed at this test's database (for the CLI commands).
    pub fn settings(&self) -> Settings {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
        let mut settings = Settings::load_for(&dir, "test").expect("test settings");
        settings.database.url = secrecy::SecretString::from(self.admin_url.clone());
        settings
    }

    /// `opsquad demo` against this test's database.
    pub async fn demo(&self) -> server::demo::DemoCredentials {
        server::demo::create_demo(&self.settings()).await.expect("demo shop")
    }

    /// A job worker with `model`, as `serve` runs one.
    pub fn worker(&self, model: std::sync::Arc<dyn squad::model::Model>) -> server::worker::Worker {
        server::worker::Worker {
            db: self.db.clone(),
            model,
            models: squad::agents::AgentModels::seeds("offline-rules-v1"),
            limits: squad::runtime::Limits::default(),
            payments: std::sync::Arc::new(self.settings().payments.pay_links()),
            channel: self.outbox.clone(),
            own_channels: server::startup::own_channels(&self.settings()).expect("the test channel settings"),
            mail_access: server::startup::mail_access(&self.settings()).expect("the test mail settings"),
            mail_watchers: std::sync::Arc::default(),
            public_url: squad::link_tokens::PublicUrl::new("http://127.0.0.1:3000"),
            live: self.live.clone(),
            bell: std::sync::Arc::default(),
            account_mail: std::sync::Arc::new(self.settings().account_mail.sender().expect("account mail settings")),
            stripe: self.settings().stripe.stripe().expect("the test Stripe settings").map(std::sync::Arc::new),
            calendars: std::sync::Arc::new(
                server::startup::calendar_access(&self.settings()).expect("the test calendar settings"),
            ),
            shift: server::worker::Shift::default(),
        }
    }

    /// Runs every due job with the offline model.
    pub async fn drain(&self) {
        self.worker(std::sync::Arc::new(squad::offline::OfflineModel)).drain().await.expect("drain the queue");
    }
}

/// A browser form post to a server function: the status and the JSON answer.
pub async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let response = app.post_form(path, form).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// A browser GET of a server function: the status and the JSON answer.
pub async fn get(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let response = app.client.get(app.url(path)).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// The form field a validation error names.
pub fn field(body: &serde_json::Value) -> &str {
    body["field"].as_str().unwrap_or_default()
}
