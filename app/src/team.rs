//! `/app/team` and `/invite/:token`: the owner invites staff by link and removes members; an
//! invitee opens the link, picks a password and joins as staff (who cannot change budgets or the
//! approval rules).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::{AuthCard, ErrorBanner, PasswordField, SubmitButton, TextField};
use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: Option<String>,
    pub email: String,
    pub role: String,
    pub joined: String,
    pub is_you: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// Only the owner invites and removes.
    pub can_manage: bool,
    pub members: Vec<Member>,
    pub invitations: Vec<Invitation>,
}

/// A new invitation: the link to hand to the invitee (shown once; only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvitation {
    pub email: String,
    pub path: String,
    /// Whether the link was emailed to the invitee as well.
    pub emailed: bool,
}

#[server(prefix = "/api", endpoint = "team", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_team() -> Result<TeamView, UiError> {
    use store::{invitations, users, TenantTx};

    use crate::components::format_date;
    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let mut tx = TenantTx::read(&server_state()?.db, &ctx.scope).await.map_err(internal)?;
            let members = users::list(&mut tx).await.map_err(internal)?;
            let can_manage = ops::Operation::ManageTeam.allows(ctx.role());
            let pending = if can_manage { invitations::pending(&mut tx).await.map_err(internal)? } else { Vec::new() };
            tx.commit().await.map_err(internal)?;
            let me = ctx.scope.user_id();
            Ok(TeamView {
                can_manage,
                members: members
                    .into_iter()
                    .map(|u| Member {
                        id: u.id.to_string(),
                        is_you: Some(u.id) == me,
                        name: u.name,
                        email: u.email,
                        role: u.role.as_str().to_owned(),
                        joined: format_date(u.created_at),
                    })
                    .collect(),
                invitations: pending
                    .into_iter()
                    .map(|i| Invitation { id: i.id, email: i.email, expires: format_date(i.expires_at) })
                    .collect(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team/invite")]
pub async fn invite_member(email: String) -> Result<NewInvitation, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let email = domain::Email::parse(&email).map_err(|e| UiError::validation("email", e))?;
            let state = crate::state::server_state()?;
            let (db, scope) = caller()?;
            let invited = ops::team::invite(&db, &scope, &email, &state.account_mail, &state.public_url).await?;
            Ok(NewInvitation {
                email: invited.invitation.email,
                path: format!("/invite/{}", invited.token),
                emailed: invited.emailed,
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team/invitations/revoke")]
pub async fn revoke_invitation(id: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            Ok(ops::team::revoke_invitation(&db, &scope, &id).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team/remove")]
pub async fn remove_member(id: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let user_id = domain::UserId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            Ok(ops::team::remove_member(&db, &scope, user_id).await?)
        }
        .await,
    )
}

/// What the invitee sees: which business invited which address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationDetails {
    pub business_name: String,
    pub email: String,
}

#[server(prefix = "/api", endpoint = "invite", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_invitation(token: String) -> Result<InvitationDetails, UiError> {
    use crate::state::{internal, respond, server_state};

    respond(
        async move {
            if !auth::invite::looks_like_token(&token) {
                return Err(UiError::NotFound);
            }
            let hash = auth::api_key::hash(&token);
            let found = store::invitations::preview(&server_state()?.db, &hash).await.map_err(internal)?;
            let found = found.ok_or(UiError::NotFound)?;
            Ok(InvitationDetails { business_name: found.org_name, email: found.email })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "invite/accept")]
pub async fn accept_invitation(token: String, your_name: String, password: String) -> Result<(), UiError> {
    use auth::throttle::{Action, Subject};
    use domain::{Password, PersonName};
    use store::invitations::{self, AcceptError};

    use crate::account::start_session;
    use crate::state::{client_ip, internal, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let throttle = &state.throttle;
            throttle.allow(Action::AcceptInvite, Subject::Address(client_ip().await?)).map_err(UiError::rate_limited)?;
            throttle.allow(Action::AcceptInviteToken, Subject::Named(&token)).map_err(UiError::rate_limited)?;
            let name = match your_name.trim() {
                "" => None,
                name => Some(PersonName::parse(name).map_err(|e| UiError::validation("your_name", e))?),
            };
            let password = Password::parse(&password).map_err(|e| UiError::validation("password", e))?;
            if !auth::invite::looks_like_token(&token) {
                return Err(UiError::NotFound);
            }
            let password_hash = auth::password::hash(&password).await.map_err(internal)?;
            let hash = auth::api_key::hash(&token);
            let joined =
                invitations::accept(&state.db, &hash, name.as_ref(), &password_hash).await.map_err(|e| match e {
                    AcceptError::Unusable => UiError::NotFound,
                    AcceptError::EmailTaken => UiError::Conflict {
                        field: "password".to_owned(),
                        message: "This email already has an Opsquad account with another business. Ask the owner to invite a different address.".to_owned(),
                    },
                    AcceptError::Store(err) => internal(err),
                })?;
            tracing::info!(org_id = %joined.org_id, user_id = %joined.user_id, "invitation accepted");
            start_session(auth::SessionAuth { org_id: joined.org_id, user_id: joined.user_id }).await?;
            leptos_axum::redirect("/app");
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let team =
        Resource::new(move || (invite.version().get(), remove.version().get(), revoke.version().get()), |_| get_team());
    view! {
        <Title text="Team" />
        <AppPage>
            <main class="mx-auto max-w-3xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Team"</h1>
                    <p class="text-sm text-slate-600">"Who can log in to your Opsquad. Staff see and handle leads and approvals; only the owner changes budgets, approval rules and the team."</p>
                </div>
                {move || remove.value().get().and_then(Result::err).or_else(|| revoke.value().get().and_then(Result::err)).map(|err| view! {
                    <p class="rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{err.to_string()}</p>
                })}
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading your team…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(team.await, move |team| view! { <Team team invite remove revoke /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn Team(
    team: TeamView,
    invite: ServerAction<InviteMember>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let can_manage = team.can_manage;
    let alone = team.members.len() == 1 && team.invitations.is_empty();
    view! {
        <section class="rounded-2xl border border-slate-200 bg-white p-5" aria-label="Members">
            <h2 class="font-semibold">"Members"</h2>
            <ul class="mt-2 divide-y divide-slate-100" data-testid="members">
                {team.members.into_iter().map(|m| {
                    let id = m.id.clone();
                    let removable = can_manage && !m.is_you && m.role != "owner";
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-2 py-3" data-testid="member">
                            <div class="min-w-0">
                                <p class="truncate font-medium text-slate-900">{m.name.clone().unwrap_or_else(|| m.email.clone())}{m.is_you.then_some(" (you)")}</p>
                                <p class="truncate text-sm text-slate-500">{m.email.clone()}" · joined "{m.joined.clone()}</p>
                            </div>
                            <div class="flex items-center gap-2">
                                <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">{m.role.clone()}</span>
                                {removable.then(|| view! {
                                    <button type="button" class="rounded-md border border-rose-200 px-3 py-1 text-sm font-medium text-rose-700 hover:bg-rose-50 disabled:opacity-60"
                                        disabled=move || remove.pending().get()
                                        on:click=move |_| { remove.dispatch(RemoveMember { id: id.clone() }); }>"Remove"</button>
                                })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {alone.then(|| view! { <p class="mt-2 text-sm text-slate-500" data-testid="team-empty">"It's just you so far. Invite the people who answer the phone or dispatch jobs."</p> })}
        </section>
        {if can_manage {
            view! { <InviteSection invitations=team.invitations invite revoke /> }.into_any()
        } else {
            view! { <p class="text-sm text-slate-500">"Only the account owner can invite or remove people."</p> }.into_any()
        }}
    }
}

#[component]
fn InviteSection(
    invitations: Vec<Invitation>,
    invite: ServerAction<InviteMember>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let email_error = Signal::derive(move || error.get().and_then(|e| e.for_field("email")));
    let general = Signal::derive(move || error.get().filter(UiError::is_general));
    view! {
        <section class="rounded-2xl border border-slate-200 bg-white p-5" aria-label="Invite">
            <h2 class="font-semibold">"Invite staff"</h2>
            <p class="mb-3 text-sm text-slate-600">"You get a link to send them. It works once, for 7 days."</p>
            <ActionForm action=invite attr:class="flex flex-col gap-2 sm:flex-row sm:items-start" attr:data-testid="invite-form" attr:novalidate=true>
                <div class="flex-1"><TextField label="Their email" name="email" input_type="email" error=email_error /></div>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60 sm:mt-6"
                    disabled=move || invite.pending().get()>"Create invite link"</button>
            </ActionForm>
            <ErrorBanner error=general />
            {move || invite.value().get().and_then(Result::ok).map(|created| view! { <InviteLink created /> })}
            {(!invitations.is_empty()).then(|| view! {
                <h3 class="mt-4 text-sm font-semibold text-slate-800">"Waiting to join"</h3>
                <ul class="mt-1 divide-y divide-slate-100" data-testid="invitations">
                    {invitations.into_iter().map(|i| {
                        let id = i.id.clone();
                        view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                                <span class="min-w-0 truncate">{i.email.clone()}<span class="text-slate-500">" · link works until "{i.expires.clone()}</span></span>
                                <button type="button" class="rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-100"
                                    on:click=move |_| { revoke.dispatch(RevokeInvitation { id: id.clone() }); }>"Withdraw"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// The link as the browser will open it: this site's address plus the path.
fn full_link(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_owned()
}

#[component]
fn InviteLink(created: NewInvitation) -> impl IntoView {
    let link = full_link(&created.path);
    view! {
        <div class="mt-3 rounded-lg bg-emerald-50 p-3 text-sm text-emerald-900" role="status" data-testid="invite-link">
            {if created.emailed {
                view! { <p>"We emailed this link to "<span class="font-medium">{created.email}</span>". You can also pass it on yourself; it is shown only now."</p> }.into_any()
            } else {
                view! { <p>"Send this link to "<span class="font-medium">{created.email}</span>". It is shown only now."</p> }.into_any()
            }}
            <input type="text" readonly class="mt-2 block w-full rounded-md border border-emerald-200 bg-white px-2 py-1 font-mono text-xs" value=link aria-label="Invite link" />
        </div>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let details = Resource::new(token, get_invitation);
    let accept = ServerAction::<AcceptInvitation>::new();
    let field = move |name: &'static str| {
        Signal::derive(move || accept.value().get().and_then(Result::err).and_then(|e| e.for_field(name)))
    };
    let general = Signal::derive(move || accept.value().get().and_then(Result::err).filter(UiError::is_general));
    view! {
        <Title text="Join your team" />
        <AuthCard heading="Join your team on Opsquad" intro="Choose a password to finish joining.">
            <Suspense fallback=|| view! { <p class="text-slate-500">"Checking your invitation…"</p> }>
                {move || Suspend::new(async move {
                    match details.await {
                        Ok(found) => view! {
                            <p class="mb-3 text-sm text-slate-700" data-testid="invite-details">
                                <span class="font-medium">{found.business_name}</span>" invited "<span class="font-medium">{found.email}</span>"."
                            </p>
                            <ActionForm action=accept attr:class="space-y-3">
                                <input type="hidden" name="token" value=token() />
                                <TextField label="Your name" name="your_name" autocomplete="name" error=field("your_name") />
                                <PasswordField label="Password" name="password" autocomplete="new-password" hint="At least 10 characters. A short sentence works well." error=field("password") />
                                <ErrorBanner error=general />
                                <SubmitButton label="Join" busy_label="Joining…" pending=accept.pending() />
                            </ActionForm>
                        }.into_any(),
                        Err(_) => view! {
                            <p class="text-sm text-slate-700" role="alert" data-testid="invite-unusable">
                                "This invitation link doesn't work any more: it was used, withdrawn, or is more than 7 days old. Ask the owner for a new one."
                            </p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
