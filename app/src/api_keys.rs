//! API keys for `/api/v1`: created and revoked by owners from the dashboard. A key is shown once.

use domain::{ApiKeyId, KeyScope, Role};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format_date;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub scope: KeyScope,
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
            role: row.role,
            scope: row.scope,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked: row.revoked_at.is_some(),
        }
    }
}

#[server(prefix = "/api", endpoint = "api-keys/list", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            Ok(ops::api_keys::list(&db, &scope).await?.into_iter().map(ApiKeyView::from).collect())
        }
        .await,
    )
}

/// `role` is `owner` (everything the API offers) or `staff` (the pipeline, not budgets,
/// guardrails, models, the team or the audit log). `scope` is `inbound` (the default: send
/// inquiries only, the key a website form embeds), `read` or `full`.
#[server(prefix = "/api", endpoint = "api-keys/create")]
pub async fn create_api_key(
    name: String,
    role: Option<String>,
    scope: Option<String>,
) -> Result<NewApiKeyView, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let role = match role.as_deref().unwrap_or("owner") {
                "owner" => Role::Owner,
                "staff" => Role::Staff,
                _ => return Err(UiError::validation("role", "Choose owner or staff rights.")),
            };
            let key_scope = KeyScope::parse(scope.as_deref().unwrap_or("inbound"))
                .ok_or_else(|| UiError::validation("scope", "Choose what the key may do."))?;
            let (db, scope) = caller()?;
            let created = ops::api_keys::create(&db, &scope, &name, role, key_scope).await?;
            Ok(NewApiKeyView { key: created.plaintext, view: created.row.into() })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let id = ApiKeyId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            ops::api_keys::revoke(&db, &scope, id).await?;
            Ok(())
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
                <label for="api-key-scope" class="sr-only">"What the key may do"</label>
                <select id="api-key-scope" name="scope" aria-describedby="api-key-role-hint" class="rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm">
                    <option value="inbound">"Send inquiries only"</option>
                    <option value="read">"Read only"</option>
                    <option value="full">"Read and change"</option>
                </select>
                <label for="api-key-role" class="sr-only">"Rights"</label>
                <select id="api-key-role" name="role" aria-describedby="api-key-role-hint" class="rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm">
                    <option value="staff">"Staff rights"</option>
                    <option value="owner">"Owner rights"</option>
                </select>
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">"Create key"</button>
            </ActionForm>
            <p id="api-key-role-hint" class="mt-2 text-xs text-slate-500">"A key for a website form should only send inquiries: anyone can read it from the page. Staff rights can't change budgets, approval rules, AI models or the team."</p>
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
                <p class="font-mono text-xs text-slate-500">{format!("{}…", key.prefix)} " · " {scope_words(key.scope)} " · " {if key.role == Role::Owner { "owner rights" } else { "staff rights" }} " · created " {format_date(key.created_at)} " · " {used}</p>
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

fn scope_words(scope: KeyScope) -> &'static str {
    match scope {
        KeyScope::Inbound => "sends inquiries only",
        KeyScope::Read => "read only",
        KeyScope::Full => "reads and changes",
    }
}
