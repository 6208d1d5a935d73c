//! Builds the application: database, state, router, listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::state::{ServerState, WorkerHealth, WorkerState};
use auth::session_store::DbSessionStore;
use auth::throttle::Throttle;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware as mw, Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use serde_json::json;
use store::{Db, DbOptions};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Settings;
use crate::middleware::client_addr::{self, TrustedProxies};
use crate::middleware::{csrf, request_limits, security_headers, session_auth};
use crate::supervisor::{supervise, WorkerControl};
use crate::worker::Worker;
use crate::{api, metrics};

pub const SITE_OUTPUT_NAME: &str = "opsquad";

pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: crate::config::RequestLimits,
    state: ServerState,
    worker: Option<SupervisedWorker>,
    worker_control: WorkerControl,
}

struct SupervisedWorker {
    worker: Worker,
    poll: Duration,
    first_backoff: Duration,
}

/// What the configured provider thinks with: each agent's settings and the models it can bill.
pub fn model_catalog(settings: &Settings) -> anyhow::Result<squad::agents::ModelCatalog> {
    use squad::agents::{AgentModels, ModelCatalog};
    Ok(match settings.worker.model_provider.as_str() {
        "bedrock" => ModelCatalog {
            provider: "bedrock",
            defaults: settings.bedrock.agent_models().context("the Bedrock agent settings")?,
            prices: settings.bedrock.price_table(),
        },
        _ => ModelCatalog {
            provider: "offline",
            defaults: AgentModels::seeds(&settings.worker.model_id),
            prices: squad::pricing::PriceTable::default(),
        },
    })
}

/// What reading and sending a shop's own email needs: the keys that open its credentials, and
/// Google's services when this Opsquad is set up for Gmail.
pub fn mail_access(settings: &Settings) -> anyhow::Result<ops::integrations::MailAccess> {
    Ok(ops::integrations::MailAccess {
        keys: Arc::new(settings.secrets()?),
        google: settings.gmail.google(&settings.payments.public_url)?.map(Arc::new),
        reach: settings.channels.mail_reach(),
    })
}

/// Texting through each shop's own Twilio account, with the keys its credentials open with.
pub fn texting(settings: &Settings) -> anyhow::Result<ops::texts::Texting> {
    Ok(ops::texts::Texting {
        twilio: Arc::new(settings.twilio.twilio()?),
        keys: Arc::new(settings.secrets()?),
        public_url: settings.payments.public_url.clone(),
    })
}

/// Technicians' own calendars over CalDAV or through Opsquad's Google app, with the keys their
/// credentials open with.
pub fn calendar_access(settings: &Settings) -> anyhow::Result<ops::calendars::CalendarAccess> {
    let caldav = integrations::calendar::caldav::CalDav::new(settings.calendars.reach())
        .map_err(|e| anyhow::anyhow!("calendar client: {e}"))?;
    Ok(ops::calendars::CalendarAccess {
        caldav: Arc::new(caldav),
        google: settings.gmail.google(&settings.payments.public_url)?.map(Arc::new),
        keys: Arc::new(settings.secrets()?),
        public_url: squad::link_tokens::PublicUrl::new(&settings.payments.public_url),
    })
}

/// The shop's own accounts messages leave through: its mailbox, and its Twilio number for texts.
pub fn own_channels(settings: &Settings) -> anyhow::Result<Arc<dyn squad::channels::OwnChannels>> {
    Ok(Arc::new(ops::integrations::ShopChannels::new(
        ops::integrations::Mailroom::new(mail_access(settings)?),
        texting(settings)?,
    )))
}

/// The job worker for these settings, on the configured model provider.
pub async fn build_worker(settings: &Settings, db: store::Db) -> anyhow::Result<Worker> {
    worker_on(model_catalog(settings)?, settings, db, Arc::default(), Arc::default()).await
}

async fn worker_on(
    catalog: squad::agents::ModelCatalog,
    settings: &Settings,
    db: store::Db,
    live: Arc<squad::live::LiveText>,
    bell: Arc<store::jobs::JobBell>,
) -> anyhow::Result<Worker> {
    let model: Arc<dyn squad::model::Model> = if catalog.provider == "bedrock" {
        let config = &settings.bedrock;
        tracing::info!(model_id = %config.model_id, region = %config.region, "squad thinks with Bedrock");
        Arc::new(bedrock::BedrockModel::from_environment(config.provider_settings(true)).await)
    } else {
        Arc::new(squad::offline::OfflineModel)
    };
    let limits = squad::runtime::Limits { prices: catalog.prices, ..squad::runtime::Limits::default() };
    Ok(Worker {
        db,
        model,
        models: catalog.defaults,
        limits,
        payments: Arc::new(settings.payments.pay_links()),
        channel: settings.channels.channel(),
        own_channels: own_channels(settings)?,
        mail_access: mail_access(settings)?,
        mail_watchers: Arc::default(),
        public_url: squad::link_tokens::PublicUrl::new(&settings.payments.public_url),
        live,
        bell,
        account_mail: Arc::new(settings.account_mail.sender()?),
        stripe: settings.stripe.stripe()?.map(Arc::new),
        calendars: Arc::new(calendar_access(settings)?),
        shift: crate::worker::Shift {
            concurrency: settings.worker.concurrency.max(1),
            lease_ms: i64::try_from(settings.worker.lease_seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
            ..crate::worker::Shift::default()
        },
    })
}

impl Application {
    /// Migrates the database, connects, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(start) = settings.server.clock_start_ms()? {
            store::set_clock(start);
            tracing::warn!(clock_start = ?settings.server.clock_start, "the business clock is set, not the real time");
        }
        let url = settings.database.url.expose_secret();
        let options = DbOptions { max_connections: settings.database.max_connections, ..DbOptions::default() };
        let db = Db::open(url, &options).await.context("opening the database")?;
        db.hear_other_instances(url).await.context("listening for the other instances' changes")?;
        if let Some(file) = settings.channels.mail_ca_file.as_deref().filter(|f| !f.trim().is_empty()) {
            let pem = std::fs::read(file).with_context(|| format!("reading channels.mail_ca_file {file}"))?;
            integrations::mail::trust_also(&pem).context("channels.mail_ca_file")?;
        }
        let listener = TcpListener::bind(settings.server.addr)
            .await
            .with_context(|| format!("binding {}", settings.server.addr))?;
        let addr = listener.local_addr()?;
        let catalog = model_catalog(settings)?;
        let health =
            WorkerHealth::new(if settings.worker.enabled { WorkerState::Restarting } else { WorkerState::Disabled });
        let state = build_state(settings, db, addr, Arc::new(catalog.clone()), health)?;
        let router = build_router(state.clone(), settings, settings.server.trusted_proxies()?);
        let worker = if settings.worker.enabled {
            Some(SupervisedWorker {
                worker: worker_on(catalog, settings, state.db.clone(), state.live.clone(), state.bell.clone()).await?,
                poll: Duration::from_millis(settings.worker.poll_ms),
                first_backoff: Duration::from_millis(settings.worker.restart_backoff_ms),
            })
        } else {
            None
        };
        let limits = settings.server.limits;
        Ok(Self { listener, router, limits, state, worker, worker_control: WorkerControl::default() })
    }

    /// The running worker task, to kill it as a crash would (operators' drills and tests).
    pub fn worker_control(&self) -> WorkerControl {
        self.worker_control.clone()
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let sweeper = tokio::spawn(housekeeping(self.state.db.clone()));
        let health = self.state.worker.clone();
        let control = self.worker_control.clone();
        let worker = self
            .worker
            .map(|w| tokio::spawn(supervise(health, control, w.first_backoff, move || w.worker.clone().run(w.poll))));
        let served = crate::listener::serve(self.listener, self.router, self.limits, shutdown_signal()).await;
        sweeper.abort();
        if let Some(worker) = worker {
            worker.abort();
        }
        served
    }
}

pub fn build_state(
    settings: &Settings,
    db: Db,
    addr: SocketAddr,
    models: Arc<squad::agents::ModelCatalog>,
    worker: WorkerHealth,
) -> anyhow::Result<ServerState> {
    let leptos_options = LeptosOptions::builder()
        .output_name(SITE_OUTPUT_NAME)
        .site_root(settings.server.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let throttle = Throttle::new(settings.throttle_limits());
    Ok(ServerState {
        leptos_options,
        db,
        keys: Arc::new(settings.key_ring()?),
        throttle: Arc::new(throttle),
        api_token_ttl_seconds: settings.auth.api_token_ttl_seconds,
        payments_test_mode: settings.payments.test_mode,
        payments: Arc::new(settings.payments.pay_links()),
        models,
        worker,
        streams: auth::streams::StreamSlots::new(
            settings.server.limits.streams_per_org,
            settings.server.limits.streams_per_credential,
        ),
        chat_streams: auth::streams::StreamSlots::new(
            settings.server.limits.chat_streams_per_org,
            settings.server.limits.chat_streams_per_session,
        ),
        public_url: squad::link_tokens::PublicUrl::new(&settings.payments.public_url),
        live: Arc::default(),
        bell: Arc::default(),
        doorbells: Arc::default(),
        secrets: Arc::new(settings.secrets()?),
        account_mail: Arc::new(settings.account_mail.sender()?),
        mail_reach: settings.channels.mail_reach(),
        google: settings.gmail.google(&settings.payments.public_url)?.map(Arc::new),
        gmail_push: Arc::default(),
        stripe: settings.stripe.stripe()?.map(Arc::new),
        stripe_webhook_secrets: Arc::new(integrations::stripe::WebhookSecrets::new(
            settings.stripe.webhook_secrets.clone(),
        )),
        texting: Arc::new(texting(settings)?),
        calendars: Arc::new(calendar_access(settings)?),
    })
}

pub fn build_router(state: ServerState, settings: &Settings, proxies: TrustedProxies) -> Router {
    let cookie_name = if settings.auth.secure_cookie { "__Host-opsquad_session" } else { "opsquad_session" };
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(cookie_name)
        .with_secure(settings.auth.secure_cookie)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(settings.auth.session_ttl_hours)));

    let routes = generate_route_list(app::App);
    let site = Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .route("/app/events", get(api::stream_events_for_session))
        .route("/app/integrations/gmail/connect", get(crate::gmail::connect))
        .route("/app/integrations/gmail/callback", get(crate::gmail::callback))
        .route("/app/integrations/google-calendar/connect", get(crate::google_calendar::connect))
        .route("/app/integrations/google-calendar/callback", get(crate::google_calendar::callback))
        .route("/app/integrations/stripe/connect", get(crate::stripe::connect))
        .route("/app/integrations/stripe/callback", get(crate::stripe::callback))
        .route("/pay/{token}/card", axum::routing::get(crate::stripe::pay_by_card))
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(app::shell))
        .layer(mw::from_fn_with_state(state.clone(), session_auth::resolve))
        .layer(sessions)
        .layer(mw::from_fn(csrf::guard));

    let ops = Router::new()
        .route("/healthz", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/readyz", get(ready))
        .route("/metrics", {
            let token = settings.telemetry.metrics_token.clone();
            get(move |headers: http::HeaderMap| metrics::render(headers, token.clone()))
        });

    let _ = metrics::handle();
    // HTTPS deployments (Secure cookies) also tell browsers to never use plain HTTP again.
    let hsts = settings.auth.secure_cookie.then(|| {
        SetResponseHeaderLayer::if_not_present(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    Router::new()
        .merge(ops)
        .nest("/api/v1", api::router())
        .merge(site)
        .route("/widget/{org}/events", get(crate::widget::events))
        .route("/webhooks/gmail", axum::routing::post(crate::gmail::push))
        .route("/webhooks/stripe", axum::routing::post(crate::stripe::webhook))
        .route("/webhooks/twilio/sms", axum::routing::post(crate::texts::sms))
        .route("/webhooks/twilio/status", axum::routing::post(crate::texts::status))
        .route("/webhooks/twilio/voice", axum::routing::post(crate::texts::voice))
        .route("/webhooks/twilio/voice/done", axum::routing::post(crate::texts::voice_done))
        .layer(mw::from_fn_with_state(proxies, client_addr::resolve))
        .layer(mw::from_fn_with_state(settings.server.limits, request_limits::enforce))
        .layer(mw::from_fn(security_headers::apply))
        .layer(mw::from_fn_with_state(state.clone(), crate::widget::frame_rule))
        .layer(tower::util::option_layer(hsts))
        .layer(mw::from_fn(metrics::track))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &http::Request<_>| {
                let request_id =
                    request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or_else(|| request.uri().path().to_owned(), |p| p.as_str().to_owned());
                tracing::info_span!("request", method = %request.method(), route, request_id, org_id = tracing::field::Empty)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::Extension(Arc::new(api::BoardFeeds::default())))
        .with_state(state)
}

/// Hourly housekeeping: expired sessions (already refused on load), the daily owner summaries'
/// chains, and memory past its retention.
async fn housekeeping(db: store::Db) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let swept = async {
            let mut tx = store::AuthTx::begin(&db).await?;
            let deleted = store::sessions::delete_expired(&mut tx).await?;
            tx.commit().await?;
            Ok::<u64, store::StoreError>(deleted)
        };
        match swept.await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired sessions removed"),
            Err(err) => tracing::warn!(error = ?err, "could not remove expired sessions"),
        }
        match ops::owner_summary::schedule(&db).await {
            Ok(0) => {}
            Ok(started) => tracing::info!(started, "daily owner summaries scheduled"),
            Err(err) => tracing::warn!(error = ?err, "could not schedule the daily owner summaries"),
        }
        match ops::stripe::schedule(&db).await {
            Ok(0) => {}
            Ok(started) => tracing::info!(started, "Stripe reconciliation restarted"),
            Err(err) => tracing::warn!(error = ?err, "could not schedule Stripe reconciliation"),
        }
        match store::memories::sweep_expired(&db).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired memories removed (retention)"),
            Err(err) => tracing::warn!(error = ?err, "could not apply memory retention"),
        }
    }
}

/// Ready when the database answers and, where this instance runs the worker, the worker runs.
async fn ready(State(state): State<ServerState>) -> (StatusCode, Json<serde_json::Value>) {
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(err) => {
            tracing::error!(error = ?err, "readiness check failed: database");
            "unreachable"
        }
    };
    let worker = match state.worker.get() {
        WorkerState::Disabled => "disabled",
        WorkerState::Running => "running",
        WorkerState::Restarting => "restarting",
    };
    let ready = database == "ok" && worker != "restarting";
    let (status, word) =
        if ready { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "unavailable") };
    (status, Json(json!({ "status": word, "database": database, "worker": worker })))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
