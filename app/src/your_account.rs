//! "Your account" on the settings page: the name you go by, your password, and (for an owner)
//! whether a lead that needs you is emailed to you at once.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{PasswordField, TextField};
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    pub email: String,
    /// Owners are emailed when a lead needs them; `None` for staff, who are not.
    pub email_alerts: Option<bool>,
    /// Alerts go only to a confirmed address.
    pub email_confirmed: bool,
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
            let email_alerts = if ops::Operation::ReceiveOwnerAlerts.allows(user.role) {
                Some(users::email_alerts(&mut tx, user_id).await.map_err(internal)?)
            } else {
                None
            };
            let status = store::email_confirmations::status(&mut tx, user_id).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(AccountView {
                name: user.name.unwrap_or_default(),
                email: user.email,
                email_alerts,
                email_confirmed: status.is_some_and(|s| s.confirmed_at.is_some()),
            })
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

/// Turns the alert emails on or off for the signed-in owner.
#[server(prefix = "/api", endpoint = "account/alerts")]
pub async fn set_email_alerts(on: bool) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            Ok(ops::account::set_email_alerts(&db, &scope, on).await?)
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
                        {me.email_alerts.map(|on| view! { <AlertEmails on confirmed=me.email_confirmed /> })}
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

/// The owner's switch for alert emails, saved as it is flipped.
#[component]
fn AlertEmails(on: bool, confirmed: bool) -> impl IntoView {
    let save = ServerAction::<SetEmailAlerts>::new();
    let checked = RwSignal::new(on);
    let note = move || match save.value().get() {
        Some(Err(e)) => Some(view! { <p class="text-sm text-rose-700" role="alert">{e.to_string()}</p> }.into_any()),
        Some(Ok(())) => Some(view! { <p class="text-sm text-emerald-700" role="status">"Saved."</p> }.into_any()),
        None => None,
    };
    view! {
        <div class="mt-4 border-t border-slate-100 pt-4">
            <label class="flex items-start gap-2 text-sm">
                <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="alert-emails" prop:checked=move || checked.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        checked.set(on);
                        save.dispatch(SetEmailAlerts { on });
                    } />
                <span>
                    <span class="font-medium">"Email me when a lead needs me"</span>
                    <span class="block text-slate-600">
                        {if confirmed {
                            "A safety emergency, an approval or anything the squad hands to a person, at once; and each morning, a summary of the day."
                        } else {
                            "Once your email address is confirmed (see the reminder at the top of the page): nothing is sent to it before."
                        }}
                    </span>
                </span>
            </label>
            {note}
        </div>
    }
}
