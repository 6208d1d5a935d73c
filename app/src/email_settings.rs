//! The shop's mailbox, in Settings → Email and the wizard's Connections step: the owner types the
//! IMAP and SMTP settings their provider gives, both are tried before anything is kept, and from
//! then on the squad reads what reaches that address and answers from it. The same operation as
//! `PUT /api/v1/integrations/email`; the password is never shown again.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, FieldError};
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved};
use crate::shell::or_error;

/// Where the server leaves what became of a Gmail sign-in, for this page to show.
pub const GMAIL_OUTCOME_KEY: &str = "gmail_outcome";
/// How long after the sign-in its outcome is shown.
#[cfg(feature = "ssr")]
const GMAIL_OUTCOME_SHOWN_MS: i64 = 2 * 60 * 1000;

/// A connected mailbox as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxView {
    /// `imap_smtp` or `gmail`.
    pub provider: String,
    pub address: String,
    /// `connected` or `error`.
    pub status: String,
    pub last_error: Option<String>,
    pub imap: String,
    pub smtp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub mailbox: Option<MailboxView>,
    pub can_change: bool,
    /// Whether this Opsquad can connect Gmail by signing in with Google.
    pub gmail_available: bool,
    /// What became of the owner's Gmail sign-in, shown just after it.
    pub gmail_outcome: Option<GmailOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GmailOutcome {
    /// The address connected, or what went wrong.
    pub connected: Option<String>,
    pub problem: Option<String>,
}

#[server(prefix = "/api", endpoint = "settings/email", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_email() -> Result<EmailView, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            // Read before anything awaits: while the page renders on the server, the request's
            // parts are in reach only until then.
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(crate::state::internal)?;
            let all = ops::integrations::list(&state.db, &ctx.scope).await?;
            let server = |c: &serde_json::Value| {
                format!("{}:{}", c["host"].as_str().unwrap_or_default(), c["port"].as_u64().unwrap_or_default())
            };
            let mailbox =
                all.into_iter().find(|c| c.provider == "imap_smtp" || c.provider == "gmail").map(|c| MailboxView {
                    provider: c.provider.clone(),
                    address: c.account.clone().unwrap_or_default(),
                    status: c.status.clone(),
                    last_error: c.last_error.clone(),
                    imap: server(&c.config["imap"]),
                    smtp: server(&c.config["smtp"]),
                });
            let can_change = ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_ok();
            // Shown for a short while after the owner comes back from Google (the page may load
            // it more than once as it renders), then no more.
            let outcome: Option<serde_json::Value> =
                session.get(GMAIL_OUTCOME_KEY).await.map_err(crate::state::internal)?;
            let gmail_outcome = outcome
                .filter(|v| store::now_ms() - v["at"].as_i64().unwrap_or(0) < GMAIL_OUTCOME_SHOWN_MS)
                .map(|v| GmailOutcome {
                    connected: v["connected"].as_str().map(str::to_owned),
                    problem: v["problem"].as_str().map(str::to_owned),
                });
            let gmail_available = state.google.is_some();
            Ok(EmailView { mailbox, can_change, gmail_available, gmail_outcome })
        }
        .await,
    )
}

/// Tries both servers, then keeps the connection. Sending uses the receiving account's user name
/// and password unless others are given.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api", endpoint = "settings/email/connect")]
pub async fn connect_email(
    address: String,
    imap_host: String,
    imap_port: String,
    imap_tls: String,
    username: String,
    password: String,
    smtp_host: String,
    smtp_port: String,
    smtp_tls: String,
    smtp_username: String,
    smtp_password: String,
) -> Result<(), UiError> {
    use ops::integrations::{EmailConnection, ServerSettings};

    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let port = |field: &str, raw: &str| {
                raw.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    UiError::validation(field, "Give the port as a number, like 993 for IMAP or 587 for SMTP.")
                })
            };
            let tls = |field: &str, raw: &str| {
                serde_json::from_value(serde_json::Value::String(raw.to_owned()))
                    .map_err(|_| UiError::validation(field, "Choose how the connection is secured."))
            };
            let (smtp_username, smtp_password) = if smtp_username.trim().is_empty() {
                (username.clone(), password.clone())
            } else {
                (smtp_username, smtp_password)
            };
            let input = EmailConnection {
                kind: "imap_smtp".into(),
                address,
                imap: ServerSettings {
                    host: imap_host,
                    port: port("imap.port", &imap_port)?,
                    tls: tls("imap.tls", &imap_tls)?,
                    username,
                    password: password.into(),
                },
                smtp: ServerSettings {
                    host: smtp_host,
                    port: port("smtp.port", &smtp_port)?,
                    tls: tls("smtp.tls", &smtp_tls)?,
                    username: smtp_username,
                    password: smtp_password.into(),
                },
            };
            ops::integrations::connect_email(&state.db, &state.secrets, state.mail_reach, &ctx.scope, input).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/email/disconnect")]
pub async fn disconnect_email() -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            ops::integrations::disconnect_email(&state.db, &ctx.scope).await?;
            Ok(())
        }
        .await,
    )
}

/// `from` names the page, so a Gmail sign-in returns to it: `setup` or `settings`.
#[component]
pub fn EmailSection(on_saved: Callback<()>, from: &'static str) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_email());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| {
                    let outcome = view.gmail_outcome.clone().map(|o| view! { <Outcome outcome=o /> });
                    let body = match view.mailbox {
                        Some(mailbox) => view! { <Connected mailbox can_change=view.can_change on_saved=saved /> }.into_any(),
                        None if view.can_change => view! {
                            {view.gmail_available.then(|| view! { <GmailButton from /> })}
                            <ConnectForm on_saved=saved />
                        }.into_any(),
                        None => view! { <p class="text-sm text-slate-500">"No mailbox is connected. Only the owner can connect one."</p> }.into_any(),
                    };
                    view! { {outcome} {body} }.into_any()
                })
            })}
        </Transition>
    }
}

#[component]
fn Connected(mailbox: MailboxView, can_change: bool, on_saved: Callback<()>) -> impl IntoView {
    let disconnect = ServerAction::<DisconnectEmail>::new();
    when_saved(disconnect, on_saved);
    let healthy = mailbox.status == "connected";
    view! {
        <div class="space-y-2" data-testid="email-connected">
            <p class="flex flex-wrap items-center gap-2 text-sm">
                <crate::components::HealthBadge healthy=healthy />
                "Connected as " <strong class="break-all">{mailbox.address.clone()}</strong>
            </p>
            <p class="text-xs text-slate-500 break-words">{if mailbox.provider == "gmail" {
                "Through Gmail: Opsquad may read and send mail, nothing more. You can withdraw that in your Google account.".to_owned()
            } else {
                format!("Incoming {} · outgoing {}", mailbox.imap, mailbox.smtp)
            }}</p>
            {mailbox.last_error.clone().map(|e| view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">{e}</p> })}
            <p class="text-sm text-slate-600">"The squad reads new mail to this address and answers from it, in the same thread. Mail that was already there stays yours."</p>
            {can_change.then(|| view! {
                <ActionForm action=disconnect>
                    <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">"Disconnect"</button>
                </ActionForm>
            })}
            <ErrorBanner error=failed(disconnect) />
        </div>
    }
}

/// What became of the owner's Gmail sign-in.
#[component]
fn Outcome(outcome: GmailOutcome) -> impl IntoView {
    match (outcome.connected, outcome.problem) {
        (Some(address), _) => view! {
            <p class="mb-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="gmail-outcome">
                {format!("Gmail is connected: the squad now reads and answers mail to {address}.")}
            </p>
        }.into_any(),
        (None, problem) => view! {
            <p class="mb-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert" data-testid="gmail-outcome">
                {problem.unwrap_or_else(|| "Gmail was not connected.".into())}
            </p>
        }.into_any(),
    }
}

/// Connects Gmail by signing in with Google: no passwords typed here.
#[component]
fn GmailButton(from: &'static str) -> impl IntoView {
    view! {
        <div class="mb-4 space-y-2 rounded-xl border border-slate-200 p-3">
            <p class="text-sm text-slate-600">"Use Gmail or Google Workspace? Sign in with Google and allow Opsquad to read and send your shop's mail."</p>
            // A full page load: the server sends the browser on to Google.
            <a rel="external" href=format!("/app/integrations/gmail/connect?from={from}") data-testid="connect-gmail"
                class="inline-block rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500">
                "Connect Gmail"
            </a>
            <p class="text-xs text-slate-500">"Any other provider: enter its settings below."</p>
        </div>
    }
}

#[component]
fn ConnectForm(on_saved: Callback<()>) -> impl IntoView {
    let connect = ServerAction::<ConnectEmail>::new();
    when_saved(connect, on_saved);
    let error = failed(connect);
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    // What failed when a server was tried ("imap", "smtp") shows above the form.
    let tried = Signal::derive(move || error.get().and_then(|e| e.for_field("imap").or_else(|| e.for_field("smtp"))));
    let input = "mt-1 w-full rounded-lg border border-slate-300 px-3 py-2";
    let security = move |name: &'static str, default: &'static str| {
        view! {
            <select name=name class=input>
                <option value="tls" selected=default == "tls">"SSL/TLS"</option>
                <option value="starttls" selected=default == "starttls">"STARTTLS"</option>
                <option value="none" selected=default == "none">"None (this computer only)"</option>
            </select>
        }
    };
    view! {
        <ActionForm action=connect attr:class="space-y-4" attr:data-testid="email-form">
            <p class="text-sm text-slate-600">"Your email provider's help pages list these settings. If it offers app passwords (Gmail, Outlook, Yahoo and iCloud do), use one."</p>
            <label class="block text-sm font-medium text-slate-700">"Your shop's email address"
                <input class=input type="email" name="address" autocomplete="email" placeholder="office@yourshop.com" />
                <FieldError id="address-error".to_owned() error=field("address") />
            </label>
            <fieldset class="space-y-3 rounded-xl border border-slate-200 p-3">
                <legend class="px-1 text-sm font-semibold">"Incoming mail (IMAP)"</legend>
                <div class="grid gap-3 sm:grid-cols-3">
                    <label class="block text-sm font-medium text-slate-700 sm:col-span-2">"Server"
                        <input class=input name="imap_host" placeholder="imap.yourprovider.com" autocapitalize="none" />
                        <FieldError id="imap-host-error".to_owned() error=field("imap.host") />
                    </label>
                    <label class="block text-sm font-medium text-slate-700">"Port"
                        <input class=input name="imap_port" inputmode="numeric" value="993" />
                        <FieldError id="imap-port-error".to_owned() error=field("imap.port") />
                    </label>
                </div>
                <label class="block text-sm font-medium text-slate-700">"Security"
                    {security("imap_tls", "tls")}
                    <FieldError id="imap-tls-error".to_owned() error=field("imap.tls") />
                </label>
                <div class="grid gap-3 sm:grid-cols-2">
                    <label class="block text-sm font-medium text-slate-700">"User name"
                        <input class=input name="username" autocomplete="username" autocapitalize="none" />
                        <FieldError id="imap-username-error".to_owned() error=field("imap.username") />
                    </label>
                    <label class="block text-sm font-medium text-slate-700">"Password"
                        <input class=input type="password" name="password" autocomplete="current-password" />
                        <FieldError id="imap-password-error".to_owned() error=field("imap.password") />
                    </label>
                </div>
            </fieldset>
            <fieldset class="space-y-3 rounded-xl border border-slate-200 p-3">
                <legend class="px-1 text-sm font-semibold">"Outgoing mail (SMTP)"</legend>
                <div class="grid gap-3 sm:grid-cols-3">
                    <label class="block text-sm font-medium text-slate-700 sm:col-span-2">"Server"
                        <input class=input name="smtp_host" placeholder="smtp.yourprovider.com" autocapitalize="none" />
                        <FieldError id="smtp-host-error".to_owned() error=field("smtp.host") />
                    </label>
                    <label class="block text-sm font-medium text-slate-700">"Port"
                        <input class=input name="smtp_port" inputmode="numeric" value="587" />
                        <FieldError id="smtp-port-error".to_owned() error=field("smtp.port") />
                    </label>
                </div>
                <label class="block text-sm font-medium text-slate-700">"Security"
                    {security("smtp_tls", "starttls")}
                    <FieldError id="smtp-tls-error".to_owned() error=field("smtp.tls") />
                </label>
                <p class="text-xs text-slate-500">"Leave these empty to sign in with the same user name and password as above."</p>
                <div class="grid gap-3 sm:grid-cols-2">
                    <label class="block text-sm font-medium text-slate-700">"User name"
                        <input class=input name="smtp_username" autocapitalize="none" />
                        <FieldError id="smtp-username-error".to_owned() error=field("smtp.username") />
                    </label>
                    <label class="block text-sm font-medium text-slate-700">"Password"
                        <input class=input type="password" name="smtp_password" autocomplete="off" />
                        <FieldError id="smtp-password-error".to_owned() error=field("smtp.password") />
                    </label>
                </div>
            </fieldset>
            {move || tried.get().map(|e| view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert" data-testid="email-failed">{e}</p> })}
            <ErrorBanner error=general(error) />
            <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                disabled=move || connect.pending().get()>
                {move || if connect.pending().get() { "Testing the connection…" } else { "Test and connect" }}
            </button>
        </ActionForm>
    }
}
