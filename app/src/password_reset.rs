//! A forgotten password: asking for a link by email, and the page the link opens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{AuthCard, ErrorBanner, PasswordField, SubmitButton, TextField};
use crate::error::UiError;

/// Asks for a reset link. The answer is the same whether or not the address has an account.
#[server(prefix = "/api", endpoint = "auth/forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), UiError> {
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let throttle = &state.throttle;
            throttle.allow(Action::SignUp, Subject::Address(client_ip().await?)).map_err(UiError::rate_limited)?;
            throttle.allow(Action::SignUpEmail, Subject::Named(&email)).map_err(UiError::rate_limited)?;
            Ok(ops::account::request_password_reset(&state.db, &state.account_mail, &state.public_url, &email).await?)
        }
        .await,
    )
}

/// Sets a new password with a link from the email (the link is the credential).
#[server(prefix = "/api", endpoint = "auth/reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), UiError> {
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let throttle = &state.throttle;
            throttle
                .allow(Action::AcceptInvite, Subject::Address(client_ip().await?))
                .map_err(UiError::rate_limited)?;
            Ok(ops::account::reset_password(&state.db, &token, &password).await?)
        }
        .await,
    )
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let email_error =
        Signal::derive(move || action.value().get().and_then(Result::err).and_then(|e| e.for_field("email")));
    let general = Signal::derive(move || action.value().get().and_then(Result::err).filter(UiError::is_general));
    view! {
        <Title text="Forgot your password" />
        <AuthCard heading="Forgot your password?" intro="We'll email you a link to choose a new one.">
            {move || if matches!(action.value().get(), Some(Ok(()))) {
                view! {
                    <p class="text-sm text-slate-700" role="status" data-testid="reset-requested">
                        "If an Opsquad account uses this address, a link is on its way. It works for one hour. Check your spam folder too."
                    </p>
                }.into_any()
            } else {
                view! {
                    <ActionForm action=action attr:class="space-y-3" attr:novalidate=true>
                        <TextField label="Email" name="email" input_type="email" autocomplete="username" required=true error=email_error />
                        <ErrorBanner error=general />
                        <SubmitButton label="Email me a link" busy_label="Sending…" pending=action.pending() />
                    </ActionForm>
                }.into_any()
            }}
            <p class="mt-6 text-center text-sm text-slate-600">
                <A href="/login" attr:class="font-medium text-indigo-700 hover:text-indigo-500">"Back to log in"</A>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let password_error =
        Signal::derive(move || action.value().get().and_then(Result::err).and_then(|e| e.for_field("password")));
    let general = Signal::derive(move || {
        action.value().get().and_then(Result::err).filter(|e| e.is_general() && !matches!(e, UiError::NotFound))
    });
    view! {
        <Title text="Choose a new password" />
        <AuthCard heading="Choose a new password" intro="It replaces the old one and signs you out everywhere.">
            {move || match action.value().get() {
                Some(Ok(())) => view! {
                    <p class="text-sm text-slate-700" role="status" data-testid="password-reset">"Your password is changed. Log in with the new one."</p>
                    <A href="/login" attr:class="mt-4 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Log in"</A>
                }.into_any(),
                Some(Err(UiError::NotFound)) => view! {
                    <p class="text-sm text-slate-700" role="alert" data-testid="reset-unusable">
                        "This link doesn't work any more: it was used already, a newer link replaced it, or it is more than an hour old."
                    </p>
                    <A href="/forgot-password" attr:class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:text-indigo-500">"Ask for a new link"</A>
                }.into_any(),
                _ => view! {
                    <ActionForm action=action attr:class="space-y-3" attr:novalidate=true>
                        <input type="hidden" name="token" value=token() />
                        <PasswordField label="New password" name="password" autocomplete="new-password" hint="At least 10 characters. A short sentence works well." error=password_error />
                        <ErrorBanner error=general />
                        <SubmitButton label="Save the new password" busy_label="Saving…" pending=action.pending() />
                    </ActionForm>
                }.into_any(),
            }}
        </AuthCard>
    }
}
