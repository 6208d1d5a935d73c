//! Sign-up, log-in and log-out: the pages and their server functions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{AuthCard, ErrorBanner, PasswordField, SubmitButton, TextField};
use crate::error::UiError;

#[cfg(feature = "ssr")]
pub(crate) async fn start_session(auth: auth::SessionAuth) -> Result<(), UiError> {
    use crate::state::internal;
    let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(internal)?;
    // A fresh id on every log-in, so a session id planted before log-in is worthless after it.
    session.cycle_id().await.map_err(internal)?;
    session.insert(auth::SESSION_AUTH_KEY, auth).await.map_err(internal)?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/signup")]
pub async fn sign_up(business_name: String, your_name: String, email: String, password: String) -> Result<(), UiError> {
    use auth::accounts::{self, AccountError};
    use auth::throttle::{Action, Subject};
    use domain::{Email, OrgName, Password, PersonName};

    use crate::error::Problems;
    use crate::state::{client_ip, internal, respond, sentence, server_state};

    respond(
        async move {
            let state = server_state()?;
            let throttle = &state.throttle;
            throttle.allow(Action::SignUp, Subject::Address(client_ip().await?)).map_err(UiError::rate_limited)?;
            throttle.allow(Action::SignUpEmail, Subject::Named(&email)).map_err(UiError::rate_limited)?;
            // Every problem at once: a person fixes the whole form in one go.
            let invalid = |field: &str, e: &dyn std::fmt::Display| UiError::validation(field, sentence(&e.to_string()));
            let mut problems = Problems::default();
            let org_name = problems.check(OrgName::parse(&business_name).map_err(|e| invalid("business_name", &e)))?;
            let owner_name = match your_name.trim() {
                "" => Some(None),
                name => problems.check(PersonName::parse(name).map(Some).map_err(|e| invalid("your_name", &e)))?,
            };
            let email = problems.check(Email::parse(&email).map_err(|e| invalid("email", &e)))?;
            let password = problems.check(Password::parse(&password).map_err(|e| invalid("password", &e)))?;
            problems.finish()?;
            let (Some(org_name), Some(owner_name), Some(email), Some(password)) =
                (org_name, owner_name, email, password)
            else {
                return Err(internal("a sign-up field passed its check without a value"));
            };
            let input = accounts::SignUp { org_name, owner_name, email, password, email_confirmed: false };
            let created = accounts::sign_up(&state.db, input, None).await.map_err(|e| match e {
                AccountError::EmailTaken => UiError::Conflict {
                    field: "email".into(),
                    message: "An account with this email already exists. Log in instead.".into(),
                },
                other => internal(other),
            })?;
            tracing::info!(org_id = %created.org.id, user_id = %created.owner_id, "organisation signed up");
            start_session(auth::SessionAuth { org_id: created.org.id, user_id: created.owner_id }).await?;
            if state.account_mail.can_send() {
                // Whatever happens is kept and shown on the dashboard, which offers to send again.
                let scope = created.owner_scope();
                let mail = &state.account_mail;
                if let Err(e) = ops::account::send_email_confirmation(&state.db, &scope, mail, &state.public_url).await
                {
                    tracing::warn!(org_id = %created.org.id, error = %e, "no confirmation link after sign-up");
                }
            }
            leptos_axum::redirect("/app/setup");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn log_in(email: String, password: String) -> Result<(), UiError> {
    use auth::accounts::{self, AccountError};
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, internal, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let throttle = &state.throttle;
            throttle.allow(Action::LogIn, Subject::Address(client_ip().await?)).map_err(UiError::rate_limited)?;
            // Only wrong passwords count against the account, so its owner is not locked out by
            // their own log-ins; once over, even the right password waits.
            throttle.check(Action::FailedLogIn, Subject::Named(&email)).map_err(UiError::rate_limited)?;
            let scope = accounts::log_in(&state.db, &email, &password).await.map_err(|e| match e {
                AccountError::InvalidCredentials => {
                    let _ = throttle.allow(Action::FailedLogIn, Subject::Named(&email));
                    UiError::InvalidCredentials
                }
                other => internal(other),
            })?;
            let user_id = scope.user_id().ok_or_else(|| internal("password log-in without a user"))?;
            start_session(auth::SessionAuth { org_id: scope.org_id(), user_id }).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), UiError> {
    use crate::state::{internal, respond};

    respond(
        async move {
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(internal)?;
            session.flush().await.map_err(internal)?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

fn field_error<T>(action: ServerAction<T>, field: &'static str) -> Signal<Option<String>>
where
    T: leptos::server_fn::ServerFn<Output = (), Error = UiError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err).and_then(|e| e.for_field(field)))
}

fn general_error<T>(action: ServerAction<T>) -> Signal<Option<UiError>>
where
    T: leptos::server_fn::ServerFn<Output = (), Error = UiError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err).filter(UiError::is_general))
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    view! {
        <Title text="Sign up" />
        <AuthCard heading="Start your operations squad" intro="Create your business account. You'll set up hours, services and prices next.">
            <ActionForm action=action attr:class="space-y-3" attr:novalidate=true>
                <TextField label="Business name" name="business_name" autocomplete="organization" required=true error=field_error(action, "business_name") />
                <TextField label="Your name" name="your_name" autocomplete="name" error=field_error(action, "your_name") />
                <TextField label="Work email" name="email" input_type="email" autocomplete="email" required=true error=field_error(action, "email") />
                <PasswordField label="Password" name="password" autocomplete="new-password" hint="At least 10 characters. A short sentence works well." error=field_error(action, "password") />
                <ErrorBanner error=general_error(action) />
                <SubmitButton label="Create account" busy_label="Creating your account…" pending=action.pending() />
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already have an account? "
                <A href="/login" attr:class="font-medium text-indigo-700 hover:text-indigo-500">"Log in"</A>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn LogInPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    view! {
        <Title text="Log in" />
        <AuthCard heading="Welcome back" intro="Log in to see what your squad has been doing.">
            <ActionForm action=action attr:class="space-y-3" attr:novalidate=true>
                <TextField label="Email" name="email" input_type="email" autocomplete="username" required=true error=field_error(action, "email") />
                <PasswordField label="Password" name="password" autocomplete="current-password" error=field_error(action, "password") />
                <ErrorBanner error=general_error(action) />
                <SubmitButton label="Log in" busy_label="Logging in…" pending=action.pending() />
            </ActionForm>
            <p class="mt-4 text-center text-sm">
                <A href="/forgot-password" attr:class="font-medium text-indigo-700 hover:text-indigo-500">"Forgot your password?"</A>
            </p>
            <p class="mt-6 text-center text-sm text-slate-600">
                "New to Opsquad? "
                <A href="/signup" attr:class="font-medium text-indigo-700 hover:text-indigo-500">"Create an account"</A>
            </p>
        </AuthCard>
    }
}
