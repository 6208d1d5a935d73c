//! Confirming a person's email address: the reminder above every owner page until it is
//! confirmed, sending a fresh link, and the page the link opens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::{AuthCard, ErrorBanner, SubmitButton};
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub email: String,
    pub confirmed: bool,
    /// A link for this address has left for the inbox.
    pub link_sent: bool,
    /// Why the newest link could not be sent.
    pub send_error: Option<String>,
    /// This Opsquad has a mail server to send links with.
    pub can_send: bool,
}

#[cfg(feature = "ssr")]
fn view_of(status: store::email_confirmations::EmailStatus, can_send: bool) -> EmailView {
    let link = status.last_link;
    EmailView {
        email: status.email,
        confirmed: status.confirmed_at.is_some(),
        link_sent: link.as_ref().is_some_and(|l| l.sent_at.is_some()),
        send_error: link.and_then(|l| l.send_error),
        can_send,
    }
}

#[server(prefix = "/api", endpoint = "account/email", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_email() -> Result<EmailView, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (state, ctx) = (server_state()?, auth_ctx()?);
            let status = ops::account::email_status(&state.db, &ctx.scope).await?;
            Ok(view_of(status, state.account_mail.can_send()))
        }
        .await,
    )
}

/// Sends a fresh confirmation link to the person's address.
#[server(prefix = "/api", endpoint = "account/email/link")]
pub async fn send_confirmation_link() -> Result<EmailView, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (state, ctx) = (server_state()?, auth_ctx()?);
            let status =
                ops::account::send_email_confirmation(&state.db, &ctx.scope, &state.account_mail, &state.public_url)
                    .await?;
            Ok(view_of(status, state.account_mail.can_send()))
        }
        .await,
    )
}

/// Uses a confirmation link (the link is the credential: no session is needed).
#[server(prefix = "/api", endpoint = "auth/confirm-email")]
pub async fn confirm_email(token: String) -> Result<(), UiError> {
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            state
                .throttle
                .allow(Action::AcceptInvite, Subject::Address(client_ip().await?))
                .map_err(UiError::rate_limited)?;
            ops::account::confirm_email(&state.db, &token).await?;
            Ok(())
        }
        .await,
    )
}

/// Above every owner page while the person's address is not confirmed: what happened to the
/// link, and a button for a fresh one.
#[component]
pub fn ConfirmEmailReminder() -> impl IntoView {
    let resend = ServerAction::<SendConfirmationLink>::new();
    let email = Resource::new(|| (), |_| get_email());
    let shown = move || match resend.value().get() {
        Some(Ok(fresh)) => Some(fresh),
        _ => email.get().and_then(Result::ok),
    };
    let error = Signal::derive(move || resend.value().get().and_then(Result::err));
    view! {
        <Transition fallback=|| ()>
            {move || shown().filter(|e| !e.confirmed).map(|e| {
                let (message, button) = reminder_words(&e);
                view! {
                    <div class="mx-auto max-w-6xl px-4">
                        <div class="mt-3 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="status" data-testid="confirm-email">
                            <p class="break-words">{message}</p>
                            {button.map(|label| view! {
                                <ActionForm action=resend attr:class="mt-2">
                                    <button type="submit" class="rounded-md border border-amber-300 bg-white px-2.5 py-1 font-medium hover:bg-amber-100 disabled:opacity-60"
                                        disabled=move || resend.pending().get()>
                                        {move || if resend.pending().get() { "Sending…" } else { label }}
                                    </button>
                                </ActionForm>
                            })}
                            <div class="mt-2 empty:hidden"><ErrorBanner error /></div>
                        </div>
                    </div>
                }
            })}
        </Transition>
    }
}

/// What the reminder says, and the label of its button (none when nothing can be sent).
fn reminder_words(e: &EmailView) -> (String, Option<&'static str>) {
    let email = &e.email;
    if !e.can_send {
        return (
            format!(
                "Your email address {email} isn't confirmed, and this Opsquad can't send email yet, so no \
                 confirmation link has been sent. Whoever runs it can set up a mail server (account_mail in its configuration)."
            ),
            None,
        );
    }
    match (&e.send_error, e.link_sent) {
        (Some(why), _) => (
            format!("We couldn't send a confirmation link to {email}: {why}. Try again in a moment."),
            Some("Send the link again"),
        ),
        (None, true) => (
            format!(
                "Confirm your email address: we sent a link to {email}. Until it's confirmed, you get no alerts there."
            ),
            Some("Send a new link"),
        ),
        (None, false) => (
            format!("Confirm your email address {email}: we'll send you a link to open."),
            Some("Send the confirmation link"),
        ),
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let confirm = ServerAction::<ConfirmEmail>::new();
    let done = move || matches!(confirm.value().get(), Some(Ok(())));
    let unusable = move || matches!(confirm.value().get(), Some(Err(UiError::NotFound)));
    let general =
        Signal::derive(move || confirm.value().get().and_then(Result::err).filter(|e| !matches!(e, UiError::NotFound)));
    view! {
        <Title text="Confirm your email" />
        <AuthCard heading="Confirm your email address" intro="One click tells Opsquad this address is yours.">
            {move || if done() {
                view! {
                    <p class="text-sm text-slate-700" role="status" data-testid="email-confirmed">"Thank you: your email address is confirmed."</p>
                    <A href="/app" attr:class="mt-4 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Go to your dashboard"</A>
                }.into_any()
            } else if unusable() {
                view! {
                    <p class="text-sm text-slate-700" role="alert" data-testid="confirm-unusable">
                        "This link doesn't work any more: it was used already, a newer link replaced it, or it is more than 48 hours old. Log in and send yourself a new one from the reminder at the top of the page."
                    </p>
                }.into_any()
            } else {
                view! {
                    <ActionForm action=confirm attr:class="space-y-3">
                        <input type="hidden" name="token" value=token() />
                        <ErrorBanner error=general />
                        <SubmitButton label="Confirm my email address" busy_label="Confirming…" pending=confirm.pending() />
                    </ActionForm>
                }.into_any()
            }}
        </AuthCard>
    }
}
