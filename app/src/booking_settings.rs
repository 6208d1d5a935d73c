//! Settings → Booking page: the owner turns the public booking page on, chooses which services
//! it offers, how far ahead and with how much notice, and gets its link. The same operation as
//! `PUT /api/v1/channels/booking`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, FieldError};
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved, SaveButton, Saved};
use crate::shell::or_error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedService {
    pub id: String,
    pub name: String,
    pub offered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingSettingsView {
    pub enabled: bool,
    pub url: String,
    pub services: Vec<OfferedService>,
    pub days_ahead: i64,
    pub min_notice_hours: i64,
    pub can_change: bool,
}

#[server(prefix = "/api", endpoint = "settings/booking-page", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_booking_settings() -> Result<BookingSettingsView, UiError> {
    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let settings = ops::booking_page::settings(&state.db, &ctx.scope).await?;
            let mut tx = store::TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let services = store::services::list(&mut tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(BookingSettingsView {
                enabled: settings.enabled,
                url: state.booking_url(ctx.scope.org_id()),
                services: services
                    .into_iter()
                    .filter(|s| s.active)
                    .map(|s| OfferedService { offered: settings.offers(s.id), id: s.id.to_string(), name: s.name })
                    .collect(),
                days_ahead: settings.days_ahead,
                min_notice_hours: settings.min_notice_minutes / 60,
                can_change: ops::permissions::require(&ctx.scope, ops::Operation::ManageChannels).is_ok(),
            })
        }
        .await,
    )
}

/// `services` is the offered ids, comma separated; every active service ticked means "all of
/// them", which also offers services added later.
#[server(prefix = "/api", endpoint = "settings/booking-page/save")]
pub async fn save_booking_settings(
    enabled: Option<String>,
    services: String,
    all_services: String,
    days_ahead: String,
    min_notice_hours: String,
) -> Result<(), UiError> {
    use crate::setup::parse_whole;
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let days_ahead = parse_whole("days_ahead", &days_ahead, "the days")?;
            let min_notice_hours = parse_whole("min_notice_hours", &min_notice_hours, "the hours")?;
            let services = if all_services == "true" {
                Vec::new()
            } else {
                let picked: Result<Vec<_>, _> =
                    services.split(',').filter(|s| !s.is_empty()).map(domain::ServiceId::parse).collect();
                let picked = picked.map_err(|_| UiError::validation("services", "Choose services from the list."))?;
                if picked.is_empty() {
                    return Err(UiError::validation("services", "Tick at least one service, or turn the page off."));
                }
                picked
            };
            let settings = domain::booking_page::BookingPageSettings {
                enabled: enabled.is_some(),
                services,
                days_ahead,
                min_notice_minutes: min_notice_hours.saturating_mul(60),
            };
            ops::booking_page::put_settings(&state.db, &ctx.scope, settings).await.map_err(
                |e| match UiError::from(e) {
                    UiError::Validation { field, .. } if field == "min_notice_minutes" => UiError::Validation {
                        field: "min_notice_hours".into(),
                        message: "Enter between 0 and 168 hours.".into(),
                    },
                    UiError::Validation { field, .. } if field == "days_ahead" => {
                        UiError::Validation { field, message: "Enter between 1 and 60 days.".into() }
                    }
                    other => other,
                },
            )?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn BookingPageSection(on_saved: Callback<()>) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_booking_settings());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| view! { <BookingForm view on_saved=saved /> }.into_any())
            })}
        </Transition>
    }
}

#[component]
fn BookingForm(view: BookingSettingsView, on_saved: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SaveBookingSettings>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    let locked = !view.can_change;
    let offered = RwSignal::new(view.services.iter().filter(|s| s.offered).map(|s| s.id.clone()).collect::<Vec<_>>());
    let every = view.services.len();
    let url = view.url.clone();
    view! {
        <ActionForm action=save attr:class="space-y-4" attr:data-testid="booking-page-form">
            {locked.then(|| view! { <p class="text-sm text-slate-500">"Only the owner can change these."</p> })}
            <label class="flex items-center gap-2 text-sm font-medium">
                <input type="checkbox" name="enabled" value="on" checked=view.enabled disabled=locked class="h-4 w-4" />
                "Let customers book online"
            </label>
            <div class="rounded-lg bg-slate-50 p-3 text-sm">
                <p class="text-slate-600">{if view.enabled { "Your booking page:" } else { "Your booking page will be at:" }}</p>
                {if view.enabled {
                    view! { <a class="break-all font-medium text-indigo-700 underline" href=url.clone() target="_blank" rel="noopener" data-testid="booking-url">{url.clone()}</a> }.into_any()
                } else {
                    view! { <span class="break-all text-slate-700" data-testid="booking-url">{url.clone()}</span> }.into_any()
                }}
                <p class="mt-1 text-xs text-slate-500">"Put this link on your website, in your email signature or on your van."</p>
            </div>
            <fieldset>
                <legend class="text-sm font-medium text-slate-700">"Services customers can book"</legend>
                <input type="hidden" name="services" value=move || offered.get().join(",") />
                <input type="hidden" name="all_services" value=move || (offered.with(Vec::len) == every).to_string() />
                <div class="mt-2 grid gap-1 sm:grid-cols-2">
                    {view.services.into_iter().map(|s| {
                        let id = s.id.clone();
                        let toggle = id.clone();
                        view! {
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" class="h-4 w-4" disabled=locked
                                    prop:checked=move || offered.with(|o| o.contains(&id))
                                    on:change=move |_| offered.update(|o| {
                                        if let Some(at) = o.iter().position(|x| *x == toggle) { o.remove(at); } else { o.push(toggle.clone()); }
                                    }) />
                                {s.name}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <p class="mt-1 text-xs text-slate-500">"With every box ticked, services you add later are offered too."</p>
                <FieldError id="services-error".to_owned() error=field("services") />
            </fieldset>
            <div class="grid gap-3 sm:grid-cols-2">
                <label class="block text-sm font-medium text-slate-700">
                    "How far ahead (days)"
                    <input class="mt-1 w-full rounded-lg border border-slate-300 px-3 py-2" type="number" min="1" max="60"
                        name="days_ahead" value=view.days_ahead.to_string() disabled=locked />
                    <FieldError id="days_ahead-error".to_owned() error=field("days_ahead") />
                </label>
                <label class="block text-sm font-medium text-slate-700">
                    "Minimum notice (hours)"
                    <input class="mt-1 w-full rounded-lg border border-slate-300 px-3 py-2" type="number" min="0" max="168"
                        name="min_notice_hours" value=view.min_notice_hours.to_string() disabled=locked />
                    <FieldError id="min_notice_hours-error".to_owned() error=field("min_notice_hours") />
                </label>
            </div>
            <ErrorBanner error=general(error) />
            {(!locked).then(|| view! {
                <div class="flex items-center gap-3"><SaveButton label="Save" pending=save.pending() /><Saved show=Signal::derive(move || matches!(save.value().get(), Some(Ok(())))) /></div>
            })}
        </ActionForm>
    }
}
