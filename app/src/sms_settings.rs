//! The shop's texting, in Settings → Text messages and the wizard's Connections step: the owner
//! connects the shop's own Twilio account and number (tried with Twilio before it is kept), and
//! can send a test text to their own phone.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, FieldError};
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved};
use crate::shell::or_error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextingView {
    /// The shop's Twilio number, when connected.
    pub number: Option<String>,
    pub account_name: Option<String>,
    /// Where calls to the number ring.
    pub forward_calls_to: Option<String>,
    /// The Messaging Service texts go out through, when one was given.
    pub messaging_service_sid: Option<String>,
    pub healthy: bool,
    pub last_error: Option<String>,
    pub can_change: bool,
    /// Where Twilio sends the number's texts and calls (this server's public address).
    pub sms_webhook: String,
    pub voice_webhook: String,
}

#[server(prefix = "/api", endpoint = "settings/sms", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_texting() -> Result<TextingView, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let connection = ops::integrations::list(&state.db, &ctx.scope)
                .await?
                .into_iter()
                .find(|c| c.provider == ops::texts::PROVIDER);
            Ok(TextingView {
                healthy: connection.as_ref().is_some_and(|c| c.status == "connected"),
                last_error: connection.as_ref().and_then(|c| c.last_error.clone()),
                account_name: connection.as_ref().and_then(|c| c.config["account_name"].as_str().map(str::to_owned)),
                forward_calls_to: connection
                    .as_ref()
                    .and_then(|c| c.config["forward_calls_to"].as_str().map(str::to_owned)),
                messaging_service_sid: connection
                    .as_ref()
                    .and_then(|c| c.config["messaging_service_sid"].as_str().map(str::to_owned)),
                number: connection.and_then(|c| c.account),
                can_change: ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_ok(),
                sms_webhook: state.public_url.at("webhooks/twilio/sms"),
                voice_webhook: state.public_url.at("webhooks/twilio/voice"),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/sms/connect")]
pub async fn connect_texting(
    account_sid: String,
    auth_token: String,
    number: String,
    forward_calls_to: String,
    #[server(default)] messaging_service_sid: Option<String>,
) -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let forward_calls_to = Some(forward_calls_to).filter(|f| !f.trim().is_empty());
            let input = ops::texts::SmsConnection {
                account_sid,
                auth_token: auth_token.into(),
                number,
                forward_calls_to,
                messaging_service_sid,
            };
            ops::texts::connect(&state.db, &state.texting, &ctx.scope, input).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/sms/test")]
pub async fn test_texting(to: String) -> Result<String, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            Ok(ops::texts::send_test(&state.db, &state.texting, &ctx.scope, &to).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/sms/disconnect")]
pub async fn disconnect_texting() -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            ops::texts::disconnect(&state.db, &ctx.scope).await?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn TextingSection(on_saved: Callback<()>) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_texting());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| match view.number.clone() {
                    Some(number) => view! { <Connected view number on_saved=saved /> }.into_any(),
                    None if view.can_change => view! { <ConnectForm on_saved=saved /> }.into_any(),
                    None => view! { <p class="text-sm text-slate-500">"Texting is not connected. Only the owner can connect it."</p> }.into_any(),
                })
            })}
        </Transition>
    }
}

#[component]
fn Connected(view: TextingView, number: String, on_saved: Callback<()>) -> impl IntoView {
    let disconnect = ServerAction::<DisconnectTexting>::new();
    when_saved(disconnect, on_saved);
    let test = ServerAction::<TestTexting>::new();
    let input = "mt-1 w-full rounded-lg border border-slate-300 px-3 py-2";
    view! {
        <div class="space-y-3" data-testid="sms-connected">
            <p class="flex flex-wrap items-center gap-2 text-sm">
                <crate::components::HealthBadge healthy=view.healthy />
                "Texting from " <strong class="break-all">{number}</strong>
                {view.account_name.clone().map(|name| view! { <span class="text-xs text-slate-500 break-all">{format!("(Twilio account: {name})")}</span> })}
            </p>
            {view.last_error.clone().map(|e| view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">{e}</p> })}
            <p class="text-sm text-slate-600">"Customers who text this number reach the squad, and it answers by text: replies, booking confirmations and reminders. Anyone who texts STOP gets nothing more until they text START."</p>
            {view.messaging_service_sid.clone().map(|service| view! {
                <p class="text-sm text-slate-600 break-words">{format!("Texts go out through your Messaging Service {service}.")}</p>
            })}
            <p class="text-sm text-slate-600">{match view.forward_calls_to.clone() {
                Some(phone) => format!("Calls ring {phone}; a call nobody picks up is texted back at once and opens a lead."),
                None => "Callers hear a short message and are texted back at once; each call opens a lead.".to_owned(),
            }}</p>
            <p class="text-xs text-slate-500 break-words">
                "In Twilio, under this number's settings, set \"A message comes in\" to " <code class="break-all">{view.sms_webhook.clone()}</code>
                " and \"A call comes in\" to " <code class="break-all">{view.voice_webhook.clone()}</code> " (both HTTP POST)."
            </p>
            {view.can_change.then(|| view! {
                <ActionForm action=test attr:class="flex flex-col gap-2 sm:flex-row sm:items-end">
                    <label class="block flex-1 text-sm font-medium text-slate-700">"Send a test text to"
                        <input class=input type="tel" name="to" autocomplete="tel" placeholder="Your mobile number" />
                    </label>
                    <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60" disabled=move || test.pending().get()>"Send a test text"</button>
                </ActionForm>
                {move || test.value().get().map(|done| match done {
                    Ok(said) => view! { <p class="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="sms-test-outcome">{said}</p> }.into_any(),
                    Err(e) => view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert" data-testid="sms-test-outcome">{e.to_string()}</p> }.into_any(),
                })}
                <ActionForm action=disconnect>
                    <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">"Disconnect texting"</button>
                </ActionForm>
                <ErrorBanner error=failed(disconnect) />
            })}
        </div>
    }
}

#[component]
fn ConnectForm(on_saved: Callback<()>) -> impl IntoView {
    let connect = ServerAction::<ConnectTexting>::new();
    when_saved(connect, on_saved);
    let error = failed(connect);
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    let general = general(error);
    let input = "mt-1 w-full rounded-lg border border-slate-300 px-3 py-2";
    view! {
        <ActionForm action=connect attr:class="space-y-3" attr:data-testid="sms-form">
            <p class="text-sm text-slate-600">"Use your shop's own Twilio account. The Account SID and Auth Token are on the Twilio Console's front page; the number is one you bought in Twilio."</p>
            <label class="block text-sm font-medium text-slate-700">"Account SID"
                <input class=input name="account_sid" autocapitalize="none" autocomplete="off" placeholder="AC…" />
                <FieldError id="sms-sid-error".to_owned() error=field("account_sid") />
            </label>
            <label class="block text-sm font-medium text-slate-700">"Auth Token"
                <input class=input type="password" name="auth_token" autocomplete="off" />
                <FieldError id="sms-token-error".to_owned() error=field("auth_token") />
            </label>
            <label class="block text-sm font-medium text-slate-700">"Your Twilio number"
                <input class=input type="tel" name="number" placeholder="+1 217 555 0100" />
                <FieldError id="sms-number-error".to_owned() error=field("number") />
            </label>
            <label class="block text-sm font-medium text-slate-700">"Ring this phone when customers call (optional)"
                <input class=input type="tel" name="forward_calls_to" autocomplete="tel" placeholder="Your mobile number" />
                <span class="mt-1 block text-xs font-normal text-slate-500">"A call nobody picks up gets a text straight back, and a lead opens on your board."</span>
                <FieldError id="sms-forward-error".to_owned() error=field("forward_calls_to") />
            </label>
            <details class="text-sm">
                <summary class="cursor-pointer text-indigo-700 hover:text-indigo-500">"Send through a Messaging Service (optional)"</summary>
                <label class="mt-2 block font-medium text-slate-700">"Messaging Service SID"
                    <input class=input name="messaging_service_sid" autocapitalize="none" autocomplete="off" placeholder="MG…" />
                    <span class="mt-1 block text-xs font-normal text-slate-500">"If your texting is registered with carriers through a Messaging Service, give its SID; your number must be in its sender pool."</span>
                    <FieldError id="sms-service-error".to_owned() error=field("messaging_service_sid") />
                </label>
            </details>
            <ErrorBanner error=general />
            <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60" disabled=move || connect.pending().get()>
                {move || if connect.pending().get() { "Checking with Twilio…" } else { "Connect texting" }}
            </button>
        </ActionForm>
    }
}
