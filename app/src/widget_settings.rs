//! Settings → Chat widget: the owner turns the chat on, names the sites that may show it, sets
//! its greeting and colour, previews it, and copies the tag to paste into their site. The same
//! operation as `PUT /api/v1/channels/widget`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, FieldError};
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved, SaveButton, Saved};
use crate::shell::or_error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSettingsView {
    pub enabled: bool,
    pub allowed_origins: Vec<String>,
    pub greeting: String,
    pub accent_color: String,
    pub snippet: String,
    /// The chat window itself, to try it out.
    pub window_url: String,
    pub can_change: bool,
}

#[server(prefix = "/api", endpoint = "settings/widget", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_widget_settings() -> Result<WidgetSettingsView, UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let settings = ops::widget::settings(&state.db, &ctx.scope).await?;
            let org = ctx.scope.org_id();
            Ok(WidgetSettingsView {
                snippet: state.widget_snippet(org, &settings.accent_color),
                window_url: state.public_url.link("widget", &org.to_string()),
                enabled: settings.enabled,
                allowed_origins: settings.allowed_origins,
                greeting: settings.greeting,
                accent_color: settings.accent_color,
                can_change: ops::permissions::require(&ctx.scope, ops::Operation::ManageChannels).is_ok(),
            })
        }
        .await,
    )
}

/// `allowed_origins` is one site per line.
#[server(prefix = "/api", endpoint = "settings/widget/save")]
pub async fn save_widget_settings(
    enabled: Option<String>,
    allowed_origins: String,
    greeting: String,
    accent_color: String,
) -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let settings = domain::widget::WidgetSettings {
                enabled: enabled.is_some(),
                allowed_origins: allowed_origins
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                greeting,
                accent_color,
            };
            ops::widget::put_settings(&state.db, &ctx.scope, settings).await?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn WidgetSection(on_saved: Callback<()>) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_widget_settings());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| view! { <WidgetForm view on_saved=saved /> }.into_any())
            })}
        </Transition>
    }
}

#[component]
fn WidgetForm(view: WidgetSettingsView, on_saved: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SaveWidgetSettings>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    let locked = !view.can_change;
    let greeting = RwSignal::new(view.greeting.clone());
    let accent = RwSignal::new(view.accent_color.clone());
    let WidgetSettingsView { enabled, allowed_origins, snippet, window_url, .. } = view;
    view! {
        <ActionForm action=save attr:class="space-y-4" attr:data-testid="widget-form">
            {locked.then(|| view! { <p class="text-sm text-slate-500">"Only the owner can change these."</p> })}
            <label class="flex items-center gap-2 text-sm font-medium">
                <input type="checkbox" name="enabled" value="on" checked=enabled disabled=locked class="h-4 w-4" />
                "Show a chat on my website"
            </label>
            <label class="block text-sm font-medium text-slate-700" for="allowed_origins">"Your website addresses (one per line)"</label>
            <textarea id="allowed_origins" name="allowed_origins" rows="2" disabled=locked
                class="w-full rounded-lg border border-slate-300 px-3 py-2 font-mono text-sm"
                placeholder="https://www.yourshop.com">{allowed_origins.join("\n")}</textarea>
            <p class="-mt-3 text-xs text-slate-500">"The chat appears only on these sites; other sites can't show it."</p>
            <FieldError id="allowed_origins-error".to_owned() error=field("allowed_origins") />
            <div class="grid gap-3 sm:grid-cols-3">
                <label class="block text-sm font-medium text-slate-700 sm:col-span-2">
                    "Greeting"
                    <input class="mt-1 w-full rounded-lg border border-slate-300 px-3 py-2" name="greeting" maxlength="300"
                        disabled=locked prop:value=move || greeting.get() on:input=move |ev| greeting.set(event_target_value(&ev)) />
                    <FieldError id="greeting-error".to_owned() error=field("greeting") />
                </label>
                <label class="block text-sm font-medium text-slate-700">
                    "Colour"
                    <input class="mt-1 h-10 w-full rounded-lg border border-slate-300" type="color" name="accent_color"
                        disabled=locked prop:value=move || accent.get() on:input=move |ev| accent.set(event_target_value(&ev)) />
                    <FieldError id="accent_color-error".to_owned() error=field("accent_color") />
                </label>
            </div>
            <div>
                <p class="text-sm font-medium text-slate-700">"Preview"</p>
                <div class="mt-2 w-full max-w-xs overflow-hidden rounded-xl border border-slate-200 shadow-sm" data-testid="widget-preview">
                    <div class="px-3 py-2 text-sm font-semibold text-white" style:background-color=move || accent.get()>"Your business"</div>
                    <p class="m-3 rounded-2xl rounded-bl-sm bg-slate-100 px-3 py-2 text-sm">{move || greeting.get()}</p>
                </div>
            </div>
            <div class="rounded-lg bg-slate-50 p-3 text-sm">
                <label class="text-slate-600" for="widget-snippet">"Paste this into your website, just before </body>:"</label>
                <textarea id="widget-snippet" readonly rows="3" data-testid="widget-snippet"
                    class="mt-1 w-full rounded border border-slate-200 bg-white p-2 font-mono text-xs">{snippet}</textarea>
                {enabled.then(|| view! {
                    <a class="text-indigo-700 underline" href=window_url.clone() target="_blank" rel="noopener">"Try the chat window"</a>
                })}
                <p class="mt-1 text-xs text-slate-500">"Messages arrive on your board like any other inquiry, marked Chat."</p>
            </div>
            <ErrorBanner error=general(error) />
            {(!locked).then(|| view! {
                <div class="flex items-center gap-3"><SaveButton label="Save" pending=save.pending() /><Saved show=Signal::derive(move || matches!(save.value().get(), Some(Ok(())))) /></div>
            })}
        </ActionForm>
    }
}
