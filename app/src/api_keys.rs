//! API keys for `/api/v1`: created and revoked by owners from the dashboard. A key is shown once.

use domain::ApiKeyId;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format_date;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKeyView {
    /// The full key. Shown once; only its hash is stored.
    pub key: String,
    pub view: ApiKeyView,
}

#[cfg(feature = "ssr")]
impl From<store::api_keys::ApiKeyRow> for ApiKeyView {
    fn from(row: store::api_keys::ApiKeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked: row.revoked_at.is_some(),
        }
    }
}

#[cfg(feature = "ssr")]
fn owner_ctx() -> Result<auth::context::AuthCtx, UiError> {
    let ctx = crate::state::auth_ctx()?;
    if !ctx.role().can_manage_api_keys() {
        return Err(UiError::Forbidden);
    }
    Ok(ctx)
}

#[server(prefix = "/api", endpoint = "api-keys/list", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, UiError> {
    use store::{api_keys, TenantTx};

    use crate::state::{internal, respond, server_state};

    respond(
        async move {
            let ctx = owner_ctx()?;
            let mut tx = TenantTx::begin(&server_state()?.db, &ctx.scope).await.map_err(internal)?;
            let rows = api_keys::list(&mut tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(rows.into_iter().map(ApiKeyView::from).collect())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "api-keys/create")]
pub async fn create_api_key(name: String) -> Result<NewApiKeyView, UiError> {
    use store::{api_keys, TenantTx};

    use crate::state::{internal, respond, server_state};

    respond(
        async move {
            let ctx = owner_ctx()?;
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
                return Err(UiError::validation(
                    "name",
                    "Give the key a name of up to 80 characters, like \"Zapier\".",
                ));
            }
            let generated = auth::api_key::generate(name);
            let mut tx = TenantTx::begin(&server_state()?.db, &ctx.scope).await.map_err(internal)?;
            let row = api_keys::insert(&mut tx, &generated.record).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            tracing::info!(org_id = %ctx.scope.org_id(), api_key_id = %row.id, "API key created");
            Ok(NewApiKeyView { key: generated.plaintext, view: row.into() })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), UiError> {
    use store::{api_keys, TenantTx};

    use crate::state::{internal, respond, server_state};

    respond(
        async move {
            let ctx = owner_ctx()?;
            let id = ApiKeyId::parse(&id).map_err(|_| UiError::NotFound)?;
            let mut tx = TenantTx::begin(&server_state()?.db, &ctx.scope).await.map_err(internal)?;
            let revoked = api_keys::revoke(&mut tx, id).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            revoked.map(|_| ()).ok_or(UiError::NotFound)
        }
        .await,
    )
}

#[component]
pub fn ApiKeysCard() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    let name_error =
        Signal::derive(move || create.value().get().and_then(Result::err).and_then(|e| e.for_field("name")));
    let created = move || create.value().get().and_then(Result::ok);
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5" aria-labelledby="api-keys-heading">
            <h2 id="api-keys-heading" class="font-semibold">"API keys"</h2>
            <p class="mt-1 text-sm text-slate-600">"Let other tools send inquiries to Opsquad through the REST API at /api/v1."</p>
            <ActionForm action=create attr:class="mt-4 flex flex-col gap-2 sm:flex-row sm:items-start">
                <div class="flex-1">
                    <label for="api-key-name" class="sr-only">"Key name"</label>
                    <input id="api-key-name" name="name" placeholder="Key name, e.g. Website form" required=true
                        class="block w-full rounded-lg border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200" />
                    <p class="mt-1 text-sm text-rose-600" role="alert">{move || name_error.get()}</p>
                </div>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">"Create key"</button>
            </ActionForm>
            {move || created().map(|new| view! {
                <div class="mt-3 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm" role="status">
                    <p class="font-medium text-emerald-900">"Copy this key now. It won't be shown again."</p>
                    <code class="mt-1 block break-all rounded bg-white px-2 py-1 font-mono text-xs" data-testid="new-api-key">{new.key}</code>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="mt-4 text-sm text-slate-500">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="mt-4 text-sm text-slate-500">"No API keys yet. Create one when you connect another tool."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="mt-4 divide-y divide-slate-100 text-sm">
                                {list.into_iter().map(|key| view! { <ApiKeyRowView key revoke /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <p class="mt-4 text-sm text-rose-600" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ApiKeyRowView(key: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let used = key.last_used_at.map_or_else(|| "never used".to_owned(), |ms| format!("last used {}", format_date(ms)));
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-2">
            <div>
                <p class="font-medium">{key.name.clone()}</p>
                <p class="font-mono text-xs text-slate-500">{format!("{}…", key.prefix)} " · created " {format_date(key.created_at)} " · " {used}</p>
            </div>
            {if key.revoked {
                view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600">"Revoked"</span> }.into_any()
            } else {
                view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="id" value=key.id.to_string() />
                        <button type="submit" class="rounded-md border border-rose-200 px-2 py-1 text-xs font-medium text-rose-700 hover:bg-rose-50">"Revoke"</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}
