//! "Your account" on the settings page: the name you go by and your password.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{PasswordField, TextField};
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub email: String,
}

#[server(prefix = "/api", endpoint = "account", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_account() -> Result<AccountView, UiError> {
    use store::{users, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let user_id = ctx.scope.user_id().ok_or(UiError::Unauthenticated)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let user = users::get(&mut tx, user_id).await.map_err(internal)?.ok_or(UiError::Unauthenticated)?;
            tx.commit().await.map_err(internal)?;
            Ok(AccountView { name: user.name.unwrap_or_default(), email: user.email })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "account/name")]
pub async fn save_your_name(name: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            Ok(ops::account::rename(&db, &scope, &name).await?)
        }
        .await,
    )
}

/// Changes the password, ends every other session, and keeps this browser signed in.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), UiError> {
    use auth::throttle::{Action, Subject};
    use store::{users, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let user_id = ctx.scope.user_id().ok_or(UiError::Unauthenticated)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let email = users::get(&mut tx, user_id).await.map_err(internal)?.ok_or(UiError::Unauthenticated)?.email;
            tx.commit().await.map_err(internal)?;
            // Guessing the current password counts like failed log-ins to the account.
            state.throttle.check(Action::FailedLogIn, Subject::Named(&email)).map_err(UiError::rate_limited)?;
            let changed = ops::account::change_password(&state.db, &ctx.scope, &current_password, &new_password).await;
            if let Err(ops::OpsError::Validation { field, .. }) = &changed {
                if field == "current_password" {
                    let _ = state.throttle.allow(Action::FailedLogIn, Subject::Named(&email));
                }
            }
            changed?;
            let org_id = ctx.scope.org_id();
            crate::account::start_session(auth::SessionAuth { org_id, user_id }).await
        }
        .await,
    )
}

#[component]
pub fn YourAccount() -> impl IntoView {
    let rename = ServerAction::<SaveYourName>::new();
    let password = ServerAction::<ChangePassword>::new();
    let account = Resource::new(move || rename.version().get(), |_| get_account());
    let name_error =
        Signal::derive(move || rename.value().get().and_then(Result::err).and_then(|e| e.for_field("name")));
    let pw_error = move |field: &'static str| {
        Signal::derive(move || password.value().get().and_then(Result::err).and_then(|e| e.for_field(field)))
    };
    let pw_general =
        move || password.value().get().and_then(Result::err).filter(UiError::is_general).map(|e| e.to_string());
    let button = "rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60";
    view! {
        <section class="rounded-2xl border border-slate-200 bg-white p-5" aria-label="Your account">
            <h2 class="font-semibold">"Your account"</h2>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    crate::shell::or_error(account.await, move |me| view! {
                        <p class="mb-3 break-all text-sm text-slate-600">{format!("You sign in as {}.", me.email)}</p>
                        <ActionForm action=rename attr:class="flex flex-wrap items-end gap-3">
                            <div class="min-w-0 flex-1"><TextField label="Your name" name="name" autocomplete="name" value=me.name.clone() error=name_error /></div>
                            <div class="pb-7"><button type="submit" class=button disabled=move || rename.pending().get()>"Save name"</button></div>
                        </ActionForm>
                        {move || (rename.value().get() == Some(Ok(()))).then(|| view! { <p class="text-sm text-emerald-700" role="status">"Name saved."</p> })}
                    }.into_any())
                })}
            </Transition>
            <ActionForm action=password attr:class="mt-4 space-y-3 border-t border-slate-100 pt-4" attr:data-testid="password-form">
                <PasswordField label="Current password" name="current_password" autocomplete="current-password" error=pw_error("current_password") />
                <PasswordField label="New password" name="new_password" autocomplete="new-password" hint="At least 10 characters. Changing it signs you out everywhere else." error=pw_error("new_password") />
                {move || pw_general().map(|e| view! { <p class="text-sm text-rose-700" role="alert">{e}</p> })}
                {move || (password.value().get() == Some(Ok(()))).then(|| view! { <p class="text-sm text-emerald-700" role="status">"Password changed. Other devices are signed out."</p> })}
                <button type="submit" class=button disabled=move || password.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}
