//! The set-up forms, shared by the onboarding wizard and the settings page. In the wizard a form
//! carries the next step, so saving it also saves the owner's place.

use domain::schedule::Weekday;
use domain::work::{self, Trade, WorkKind};
use leptos::prelude::*;

use crate::components::{ErrorBanner, TextField};
use crate::error::UiError;
use crate::setup::{
    AddService, AddTechnician, CheckArea, DayHours, EditService, EditTechnician, RemoveService, RemoveTechnician,
    SaveArea, SaveHours, SaveOperations, SavePolicies, SaveProfile, ServiceLine, SetupView, TechnicianLine,
};

/// The outcome of a save as the form shows it.
pub(crate) fn failed<T>(action: ServerAction<T>) -> Signal<Option<UiError>>
where
    T: leptos::server_fn::ServerFn<Output = (), Error = UiError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

fn field_error(error: Signal<Option<UiError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// A general failure (not about one field) for the banner.
pub(crate) fn general(error: Signal<Option<UiError>>) -> Signal<Option<UiError>> {
    Signal::derive(move || error.get().filter(UiError::is_general))
}

/// Runs `on_saved` after each successful save of `action`.
pub(crate) fn when_saved<T>(action: ServerAction<T>, on_saved: Callback<()>)
where
    T: leptos::server_fn::ServerFn<Output = (), Error = UiError> + Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            on_saved.run(());
        }
    });
}

#[component]
pub(crate) fn Saved(#[prop(into)] show: Signal<bool>) -> impl IntoView {
    view! { <Show when=move || show.get()><span class="text-sm text-emerald-700" role="status">"Saved."</span></Show> }
}

#[component]
pub(crate) fn SaveButton(label: &'static str, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    view! {
        <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
            disabled=move || pending.get()>{move || if pending.get() { "Saving…" } else { label }}</button>
    }
}

pub const TIME_ZONES: [&str; 9] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
];

#[component]
pub fn ProfileForm(
    setup: SetupView,
    #[prop(optional)] next: Option<&'static str>,
    on_saved: Callback<()>,
    button: &'static str,
) -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let zone = setup.time_zone.clone();
    view! {
        <ActionForm action=save attr:class="space-y-3" attr:data-testid="profile-form">
            <input type="hidden" name="next" value=next.unwrap_or_default() />
            <TextField label="Business name" name="business_name" value=setup.business_name.clone() required=true error=field_error(error, "business_name") />
            <label class="block text-sm font-medium text-slate-700" for="time_zone">"Time zone"</label>
            <select id="time_zone" name="time_zone" class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2">
                {TIME_ZONES.iter().map(|z| view! { <option value=*z selected=*z == zone>{z.replace('_', " ")}</option> }).collect_view()}
            </select>
            <p class="text-sm text-rose-600" role="alert">{move || field_error(error, "time_zone").get()}</p>
            <ErrorBanner error=general(error) />
            <div class="flex items-center gap-3"><SaveButton label=button pending=save.pending() /><Saved show=Signal::derive(move || next.is_none() && matches!(save.value().get(), Some(Ok(())))) /></div>
        </ActionForm>
    }
}

/// One weekday's row: what was saved, and the open, close and closed inputs.
type DayRow = (DayHours, RwSignal<String>, RwSignal<String>, RwSignal<bool>);

#[component]
pub fn HoursForm(
    setup: SetupView,
    #[prop(optional)] next: Option<&'static str>,
    on_saved: Callback<()>,
    button: &'static str,
) -> impl IntoView {
    let save = ServerAction::<SaveHours>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let days: Vec<DayRow> = setup
        .hours
        .iter()
        .map(|d| (d.clone(), RwSignal::new(d.open.clone()), RwSignal::new(d.close.clone()), RwSignal::new(d.closed)))
        .collect();
    let holidays = RwSignal::new(setup.holidays.clone());
    let rows = days.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let days = rows
            .iter()
            .map(|(d, open, close, closed)| DayHours {
                day: d.day.clone(),
                open: open.get_untracked(),
                close: close.get_untracked(),
                closed: closed.get_untracked(),
            })
            .collect();
        save.dispatch(SaveHours { days, holidays: holidays.get_untracked(), next: next.map(str::to_owned) });
    };
    view! {
        <form on:submit=submit class="space-y-3" data-testid="hours-form">
            <ul class="divide-y divide-slate-100 text-sm">
                {days.into_iter().map(|(d, open, close, closed)| {
                    let field = format!("hours-{}", d.day);
                    let label = Weekday::from_key(&d.day).map_or_else(|| d.day.clone(), |w| w.to_string());
                    let message = Signal::derive(move || error.get().and_then(|e| e.for_field(&field)));
                    view! {
                        <li class="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
                            <span class="w-24 font-medium text-slate-700">{label.clone()}</span>
                            <label class="flex items-center gap-1 text-slate-600"><input type="checkbox" aria-label=format!("{label} is open") prop:checked=move || !closed.get() on:change=move |ev| closed.set(!event_target_checked(&ev)) />"Open"</label>
                            <span class="flex items-center gap-1">
                                <input type="time" aria-label=format!("{label} opens") class="w-32 rounded border border-slate-300 px-1 py-1 disabled:opacity-40" prop:value=move || open.get() disabled=move || closed.get() on:input=move |ev| open.set(event_target_value(&ev)) />
                                "–"
                                <input type="time" aria-label=format!("{label} closes") class="w-32 rounded border border-slate-300 px-1 py-1 disabled:opacity-40" prop:value=move || close.get() disabled=move || closed.get() on:input=move |ev| close.set(event_target_value(&ev)) />
                            </span>
                            <Show when=move || message.get().is_some()>
                                <p class="w-full text-sm text-rose-600" role="alert">{move || message.get()}</p>
                            </Show>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="text-sm text-rose-600" role="alert">{move || field_error(error, "hours").get()}</p>
            <label class="block text-sm font-medium text-slate-700" for="holidays">"Holidays (closed all day)"</label>
            <input id="holidays" type="text" placeholder="2026-12-25, 2027-01-01" class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2"
                prop:value=move || holidays.get() on:input=move |ev| holidays.set(event_target_value(&ev)) />
            <p class="text-sm text-rose-600" role="alert">{move || field_error(error, "holidays").get()}</p>
            <ErrorBanner error=general(error) />
            <div class="flex items-center gap-3"><SaveButton label=button pending=save.pending() /><Saved show=Signal::derive(move || next.is_none() && matches!(save.value().get(), Some(Ok(())))) /></div>
        </form>
    }
}

/// The catalogue's kinds of each trade that match `query` (by name or by a customer's word).
fn kinds_matching(query: &str) -> Vec<(Trade, Vec<&'static WorkKind>)> {
    let query = query.trim().to_lowercase();
    let fits = |kind: &WorkKind| {
        query.is_empty() || kind.name.to_lowercase().contains(&query) || kind.words.iter().any(|w| w.contains(&query))
    };
    Trade::ALL
        .iter()
        .map(|trade| (*trade, work::of_trade(*trade).filter(|kind| fits(kind)).collect::<Vec<_>>()))
        .filter(|(_, kinds)| !kinds.is_empty())
        .collect()
}

/// The kinds of work on the price list, once each, in the order the services were added.
fn kinds_on_price_list(setup: &SetupView) -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    for skill in setup.services.iter().filter_map(|s| s.skill.clone()) {
        if !kinds.contains(&skill) {
            kinds.push(skill);
        }
    }
    kinds
}

#[component]
pub fn AreaForm(
    setup: SetupView,
    #[prop(optional)] next: Option<&'static str>,
    on_saved: Callback<()>,
    button: &'static str,
) -> impl IntoView {
    let save = ServerAction::<SaveArea>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let check = ServerAction::<CheckArea>::new();
    view! {
        <ActionForm action=save attr:class="space-y-3" attr:data-testid="area-form">
            <input type="hidden" name="next" value=next.unwrap_or_default() />
            <TextField label="ZIP codes you serve" name="zip_codes" value=setup.zip_codes.clone() hint="Separate with commas. Leave empty if you only use a radius." error=field_error(error, "zip_codes") />
            <div class="grid gap-3 sm:grid-cols-2">
                <TextField label="Or a radius around this ZIP code" name="center_zip" value=setup.center_zip.clone() error=field_error(error, "center_zip") />
                <TextField label="Radius in miles" name="radius_miles" value=setup.radius_miles.clone() error=field_error(error, "radius_miles") />
            </div>
            <ErrorBanner error=general(error) />
            <div class="flex items-center gap-3"><SaveButton label=button pending=save.pending() /><Saved show=Signal::derive(move || next.is_none() && matches!(save.value().get(), Some(Ok(())))) /></div>
        </ActionForm>
        <ActionForm action=check attr:class="mt-4 flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4">
            <label class="text-sm font-medium text-slate-700">"Is this ZIP code inside?"
                <input name="zip" inputmode="numeric" maxlength="5" class="mt-1 block w-32 rounded-lg border border-slate-300 px-3 py-2" />
            </label>
            <button type="submit" class="rounded-lg border border-slate-300 px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">"Check"</button>
            <p class="w-full text-sm text-slate-700" role="status" data-testid="area-check">
                {move || check.value().get().map(|r| r.unwrap_or_else(|e| e.for_field("zip").unwrap_or_else(|| e.to_string())))}
            </p>
        </ActionForm>
    }
}

#[component]
pub fn ServicesForm(setup: SetupView, on_saved: Callback<()>) -> impl IntoView {
    let add = ServerAction::<AddService>::new();
    let remove = ServerAction::<RemoveService>::new();
    let edit = ServerAction::<EditService>::new();
    let editing = RwSignal::new(None::<String>);
    when_saved(add, on_saved);
    when_saved(remove, on_saved);
    when_saved(edit, on_saved);
    let error = failed(add);
    let removed_error = failed(remove);
    let query = RwSignal::new(String::new());
    view! {
        {if setup.services.is_empty() {
            view! { <p class="rounded-lg border border-dashed border-slate-300 p-4 text-sm text-slate-600">"No services yet. Add what you sell, with the price the squad may quote."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="services">
                    {setup.services.iter().map(|s| {
                        let id = s.id.clone();
                        let (shown, toggled) = (s.id.clone(), s.id.clone());
                        let line = s.clone();
                        view! {
                            <li class="p-3 text-sm">
                                <div class="flex flex-wrap items-center justify-between gap-2">
                                    <span><span class="font-medium">{s.name.clone()}</span>" · $"{s.price.clone()}" · "{s.duration_minutes}" min"
                                        {(s.emergency_fee != "0.00").then(|| format!(" · emergency +${}", s.emergency_fee))}
                                        {(!s.taxable).then_some(" · no tax")}</span>
                                    <span class="flex gap-3">
                                        <button type="button" class="text-indigo-700 hover:underline"
                                            on:click=move |_| editing.update(|e| *e = if e.as_deref() == Some(toggled.as_str()) { None } else { Some(toggled.clone()) })>"Edit"</button>
                                        <button type="button" class="text-rose-700 hover:underline" on:click=move |_| { remove.dispatch(RemoveService { id: id.clone() }); }>"Remove"</button>
                                    </span>
                                </div>
                                <Show when=move || editing.get().as_deref() == Some(shown.as_str())>
                                    <EditServiceForm line=line.clone() edit />
                                </Show>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <ErrorBanner error=removed_error />
        <ActionForm action=add attr:class="mt-4 grid gap-3 rounded-lg bg-slate-50 p-3 sm:grid-cols-2" attr:data-testid="service-form">
            <div class="sm:col-span-2"><TextField label="Service name" name="name" error=field_error(error, "name") /></div>
            <label class="block text-sm font-medium text-slate-700">"Pricing"
                <select name="pricing" class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2">
                    <option value="flat">"Flat price per job"</option>
                    <option value="hourly">"Per hour"</option>
                </select>
            </label>
            <div class="space-y-1 sm:col-span-2">
                <label class="block text-sm font-medium text-slate-700" for="kind-search">"Search the work catalogue"</label>
                <input id="kind-search" type="search" placeholder="EV charger, sump pump, thermostat…" class="block w-full rounded-lg border border-slate-300 px-3 py-2"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                <label class="block text-sm font-medium text-slate-700" for="kind">"Kind of work"</label>
                <select id="kind" name="skill" class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2"
                    aria-invalid=move || field_error(error, "skill").get().is_some().to_string()>
                    <option value="">"Choose the kind of work…"</option>
                    {move || kinds_matching(&query.get()).into_iter().map(|(trade, kinds)| view! {
                        <optgroup label=trade.name()>
                            {kinds.into_iter().map(|kind| view! { <option value=kind.key>{kind.name}</option> }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
                <p class="text-sm text-rose-600" role="alert">{move || field_error(error, "skill").get()}</p>
                <p class="text-sm text-slate-600">
                    {move || if kinds_matching(&query.get()).is_empty() {
                        "Nothing matches. Try another word, or clear the search to see every kind of work."
                    } else {
                        "The squad matches customers' words to this kind of work."
                    }}
                </p>
            </div>
            <details class="rounded-lg border border-slate-200 bg-white p-3 sm:col-span-2" data-testid="own-kind">
                <summary class="cursor-pointer text-sm font-medium text-slate-700">"Not in the catalogue? Describe your own kind of work"</summary>
                <div class="mt-3 grid gap-3 sm:grid-cols-2">
                    <TextField label="Your kind of work" name="own_kind" hint="For example: Hot tub hookup" error=field_error(error, "own_kind") />
                    <div>
                        <label class="block text-sm font-medium text-slate-700" for="own_trade">"Trade"</label>
                        <select id="own_trade" name="own_trade" class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2"
                            aria-invalid=move || field_error(error, "own_trade").get().is_some().to_string()>
                            <option value="">"Choose…"</option>
                            {Trade::ALL.iter().map(|trade| view! { <option value=trade.as_str()>{trade.name()}</option> }).collect_view()}
                        </select>
                        <p class="text-sm text-rose-600" role="alert">{move || field_error(error, "own_trade").get()}</p>
                    </div>
                    <div class="sm:col-span-2">
                        <TextField label="Words customers use for it (separated by commas)" name="own_words" hint="For example: hot tub, spa, jacuzzi" error=field_error(error, "own_words") />
                    </div>
                </div>
            </details>
            <TextField label="Price ($)" name="price" error=field_error(error, "price") />
            <TextField label="Duration (minutes)" name="duration_minutes" value="60" error=field_error(error, "duration_minutes") />
            <TextField label="Emergency fee ($)" name="emergency_fee" value="0" error=field_error(error, "emergency_fee") />
            <label class="flex items-center gap-2 text-sm text-slate-700"><input type="checkbox" name="taxable" value="on" checked=true />"Charge tax"</label>
            <div class="sm:col-span-2"><ErrorBanner error=general(error) /></div>
            <div><SaveButton label="Add service" pending=add.pending() /></div>
        </ActionForm>
    }
}

#[component]
pub fn TechniciansForm(setup: SetupView, on_saved: Callback<()>) -> impl IntoView {
    let add = ServerAction::<AddTechnician>::new();
    let offered = kinds_on_price_list(&setup);
    let offered_for_edit = offered.clone();
    let skills = RwSignal::new(offered.clone());
    let remove = ServerAction::<RemoveTechnician>::new();
    let edit = ServerAction::<EditTechnician>::new();
    let editing = RwSignal::new(None::<String>);
    when_saved(add, on_saved);
    when_saved(remove, on_saved);
    when_saved(edit, on_saved);
    let error = failed(add);
    let removed_error = failed(remove);
    view! {
        {if setup.technicians.is_empty() {
            view! { <p class="rounded-lg border border-dashed border-slate-300 p-4 text-sm text-slate-600">"No technicians yet. Add who goes out on jobs; they work your business hours."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="technicians">
                    {setup.technicians.iter().map(|t| {
                        let id = t.id.clone();
                        let (shown, toggled) = (t.id.clone(), t.id.clone());
                        let line = t.clone();
                        let offered = offered_for_edit.clone();
                        view! {
                            <li class="p-3 text-sm">
                                <div class="flex flex-wrap items-center justify-between gap-2">
                                    <span><span class="font-medium">{t.name.clone()}</span>
                                        {t.email.clone().map(|e| format!(" · {e}"))}
                                        {(!t.skills.is_empty()).then(|| format!(" · {}", t.skills.iter().map(|k| work::name_of(k)).collect::<Vec<_>>().join(", ")))}
                                        {t.skills.is_empty().then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">"no kinds of work: never sent on a job"</span> })}</span>
                                    <span class="flex gap-3">
                                        <button type="button" class="text-indigo-700 hover:underline"
                                            on:click=move |_| editing.update(|e| *e = if e.as_deref() == Some(toggled.as_str()) { None } else { Some(toggled.clone()) })>"Edit"</button>
                                        <button type="button" class="text-rose-700 hover:underline" on:click=move |_| { remove.dispatch(RemoveTechnician { id: id.clone() }); }>"Remove"</button>
                                    </span>
                                </div>
                                <Show when=move || editing.get().as_deref() == Some(shown.as_str())>
                                    <EditTechnicianForm line=line.clone() offered=offered.clone() edit />
                                </Show>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <ErrorBanner error=removed_error />
        <ActionForm action=add attr:class="mt-4 grid gap-3 rounded-lg bg-slate-50 p-3 sm:grid-cols-2" attr:data-testid="technician-form">
            <TextField label="Technician's name" name="name" error=field_error(error, "name") />
            <TextField label="Email (optional)" name="email" input_type="email" error=field_error(error, "email") />
            <fieldset class="sm:col-span-2">
                <legend class="text-sm font-medium text-slate-700">"Can be sent for"</legend>
                <input type="hidden" name="skills" prop:value=move || skills.get().join(",") />
                {offered.is_empty().then(|| view! {
                    <p class="mt-1 text-sm text-slate-600">"Add services first: a technician is sent for the kinds of work on your price list."</p>
                })}
                <KindsChecklist choices=offered skills />
                <p class="mt-1 text-sm text-rose-600" role="alert">{move || field_error(error, "skills").get()}</p>
                <SkillsWarning skills />
            </fieldset>
            <div class="sm:col-span-2"><ErrorBanner error=general(error) /></div>
            <div><SaveButton label="Add technician" pending=add.pending() /></div>
        </ActionForm>
    }
}

#[component]
pub fn OperationsForm(setup: SetupView, on_saved: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SaveOperations>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let budget_hint =
        if setup.can_change_budgets { "What the squad may spend on AI." } else { "Only the owner can change budgets." };
    view! {
        <ActionForm action=save attr:class="grid gap-3 sm:grid-cols-2" attr:data-testid="operations-form">
            <TextField label="Buffer between jobs (minutes)" name="booking_buffer_minutes" value=setup.booking_buffer_minutes.to_string() error=field_error(error, "booking_buffer_minutes") />
            <TextField label="Reminders (hours before)" name="reminder_hours" value=setup.reminder_hours.clone() hint="e.g. 24, 1" error=field_error(error, "reminder_hours") />
            <TextField label="Sales tax (%)" name="tax_rate_percent" value=setup.tax_rate_percent.clone() error=field_error(error, "tax_rate_percent") />
            <TextField label="Ask me before sending invoices above ($)" name="invoice_approval_above" value=setup.invoice_approval_above.clone() error=field_error(error, "invoice_approval_above") />
            <TextField label="Budget per lead ($)" name="run_budget" value=setup.run_budget.clone() hint=budget_hint error=field_error(error, "run_budget") />
            <TextField label="Budget per day ($)" name="daily_budget" value=setup.daily_budget.clone() hint=budget_hint error=field_error(error, "daily_budget") />
            <div class="sm:col-span-2"><ErrorBanner error=general(error) /></div>
            <div class="flex items-center gap-3"><SaveButton label="Save" pending=save.pending() /><Saved show=Signal::derive(move || matches!(save.value().get(), Some(Ok(())))) /></div>
        </ActionForm>
    }
}

const SELECT_CLASS: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";

/// A labelled drop-down; `options` are (value, words).
#[component]
fn Choice(
    label: String,
    name: String,
    selected: String,
    options: &'static [(&'static str, &'static str)],
    disabled: bool,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <label class="block text-sm font-medium text-slate-700">
            {label}
            <select name=name.clone() id=name class=SELECT_CLASS disabled=disabled>
                {options.iter().map(|(value, words)| view! { <option value=*value selected=*value == selected>{*words}</option> }).collect_view()}
            </select>
            <span class="block text-sm font-normal text-rose-600" role="alert">{move || error.get()}</span>
        </label>
    }
}

const GUARD_CHOICES: &[(&str, &str)] = &[("require_approval", "Ask me first"), ("block", "Never")];
const FALLBACK_CHOICES: &[(&str, &str)] =
    &[("wait", "Wait for me, however long"), ("reject", "Decline it after"), ("approve", "Go ahead after")];

/// What the squad may do on its own, and what happens to an escalation nobody answers in time.
#[component]
pub fn PoliciesForm(setup: SetupView, on_saved: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SavePolicies>::new();
    when_saved(save, on_saved);
    let error = failed(save);
    let locked = !setup.can_change_budgets;
    let p = setup.policies;
    let guard = move |label: &str, name: &'static str, selected: String| {
        view! { <Choice label=label.to_owned() name=name.to_owned() selected options=GUARD_CHOICES disabled=locked error=field_error(error, name) /> }
    };
    view! {
        <ActionForm action=save attr:class="space-y-4" attr:data-testid="policies-form">
            {locked.then(|| view! { <p class="text-sm text-slate-500">"Only the owner can change these."</p> })}
            <div class="grid gap-3 sm:grid-cols-3">
                {guard("Discounts or changed prices", "discounts", p.discounts)}
                {guard("Payment requests to a new address", "new_payment_address", p.new_payment_address)}
                {guard("Bookings outside your hours", "booking_outside_rules", p.booking_outside_rules)}
            </div>
            <h3 class="pt-2 text-sm font-semibold text-slate-800">"When you don't answer an escalation"</h3>
            <p class="text-xs text-slate-500">"Safety issues, complaints and customers writing again always wait for you."</p>
            <ul class="space-y-3">
                {p.timeouts.into_iter().map(|t| {
                    let fallback_name = format!("{}_fallback", t.kind);
                    let hours_name = format!("{}_after_hours", t.kind);
                    let (fallback_field, hours_field) = (fallback_name.clone(), hours_name.clone());
                    let fallback_error = Signal::derive(move || error.get().and_then(|e| e.for_field(&fallback_field)));
                    let hours_error = Signal::derive(move || error.get().and_then(|e| e.for_field(&hours_field)));
                    view! {
                        <li class="grid gap-2 rounded-xl bg-slate-50 p-3 sm:grid-cols-[1fr_12rem_7rem] sm:items-start">
                            <p class="text-sm text-slate-700">{t.label}</p>
                            <Choice label="Then".to_owned() name=fallback_name selected=t.fallback options=FALLBACK_CHOICES disabled=locked error=fallback_error />
                            <label class="block text-sm font-medium text-slate-700">"Hours"
                                <input class=SELECT_CLASS type="text" inputmode="numeric" name=hours_name.clone() id=hours_name value=t.after_hours disabled=locked
                                    aria-invalid=move || if hours_error.get().is_some() { "true" } else { "false" } />
                                <span class="block text-sm font-normal text-rose-600" role="alert">{move || hours_error.get()}</span>
                            </label>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ErrorBanner error=general(error) />
            {(!locked).then(|| view! {
                <div class="flex items-center gap-3"><SaveButton label="Save" pending=save.pending() /><Saved show=Signal::derive(move || matches!(save.value().get(), Some(Ok(())))) /></div>
            })}
        </ActionForm>
    }
}

/// A checkbox per kind of work in `choices`, ticked as `skills` holds them.
#[component]
fn KindsChecklist(choices: Vec<String>, skills: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <div class="mt-1 grid gap-1 sm:grid-cols-2">
            {choices.into_iter().map(|key| {
                let label = work::name_of(&key);
                let (checked, changed) = (key.clone(), key);
                view! {
                    <label class="flex items-center gap-2 text-sm text-slate-700">
                        <input type="checkbox" prop:checked=move || skills.with(|s| s.contains(&checked))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                skills.update(|s| {
                                    s.retain(|k| *k != changed);
                                    if on { s.push(changed.clone()); }
                                });
                            } />
                        {label}
                    </label>
                }
            }).collect_view()}
        </div>
    }
}

/// A technician with no kinds of work is never sent on a job; the form says so before saving.
#[component]
fn SkillsWarning(skills: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <Show when=move || skills.with(Vec::is_empty)>
            <p class="mt-1 text-sm text-amber-700" data-testid="no-skills-warning">"With nothing ticked, the squad never sends this technician on a job."</p>
        </Show>
    }
}

/// A labelled input of an edit form, its id kept apart from the add form's.
#[component]
fn EditField(
    label: &'static str,
    name: &'static str,
    value: String,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("edit-{name}");
    view! {
        <div>
            <label class="block text-sm font-medium text-slate-700" for=id.clone()>{label}</label>
            <input id=id type="text" name=name value=value class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2"
                aria-invalid=move || error.get().is_some().to_string() />
            <p class="mt-1 min-h-[1.25rem] text-sm text-rose-600" role="alert">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn EditServiceForm(line: ServiceLine, edit: ServerAction<EditService>) -> impl IntoView {
    let error = failed(edit);
    view! {
        <ActionForm action=edit attr:class="mt-3 grid gap-3 rounded-lg bg-slate-50 p-3 sm:grid-cols-2" attr:data-testid="service-edit">
            <input type="hidden" name="id" value=line.id.clone() />
            <div class="sm:col-span-2"><EditField label="Service name" name="name" value=line.name.clone() error=field_error(error, "name") /></div>
            <EditField label="Price ($)" name="price" value=line.price_amount.clone() error=field_error(error, "price") />
            <EditField label="Duration (minutes)" name="duration_minutes" value=line.duration_minutes.to_string() error=field_error(error, "duration_minutes") />
            <EditField label="Emergency fee ($)" name="emergency_fee" value=line.emergency_fee.clone() error=field_error(error, "emergency_fee") />
            <label class="flex items-center gap-2 text-sm text-slate-700"><input type="checkbox" name="taxable" value="on" checked=line.taxable />"Charge tax"</label>
            <div class="sm:col-span-2"><ErrorBanner error=general(error) /></div>
            <div><SaveButton label="Save service" pending=edit.pending() /></div>
        </ActionForm>
    }
}

#[component]
fn EditTechnicianForm(line: TechnicianLine, offered: Vec<String>, edit: ServerAction<EditTechnician>) -> impl IntoView {
    let error = failed(edit);
    // Their current kinds first, then the rest of the price list's.
    let mut choices = line.skills.clone();
    choices.extend(offered.into_iter().filter(|k| !line.skills.contains(k)));
    let skills = RwSignal::new(line.skills.clone());
    view! {
        <ActionForm action=edit attr:class="mt-3 grid gap-3 rounded-lg bg-slate-50 p-3 sm:grid-cols-2" attr:data-testid="technician-edit">
            <input type="hidden" name="id" value=line.id.clone() />
            <EditField label="Technician's name" name="name" value=line.name.clone() error=field_error(error, "name") />
            <EditField label="Email (optional)" name="email" value=line.email.clone().unwrap_or_default() error=field_error(error, "email") />
            <fieldset class="sm:col-span-2">
                <legend class="text-sm font-medium text-slate-700">"Can be sent for"</legend>
                <input type="hidden" name="skills" prop:value=move || skills.get().join(",") />
                <KindsChecklist choices skills />
                <p class="mt-1 text-sm text-rose-600" role="alert">{move || field_error(error, "skills").get()}</p>
                <SkillsWarning skills />
            </fieldset>
            <div class="sm:col-span-2"><ErrorBanner error=general(error) /></div>
            <div><SaveButton label="Save technician" pending=edit.pending() /></div>
        </ActionForm>
    }
}
