//! Small building blocks shared by the pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::UiError;

/// The top bar of public pages.
#[component]
pub fn PublicNav() -> impl IntoView {
    view! {
        <header class="border-b border-slate-200 bg-white">
            <nav class="mx-auto flex max-w-5xl items-center justify-between px-4 py-3">
                <A href="/" attr:class="flex items-center gap-2 font-semibold text-slate-900">
                    <span class="grid h-8 w-8 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">"OS"</span>
                    "Opsquad"
                </A>
                <div class="flex items-center gap-2 text-sm">
                    <A href="/login" attr:class="rounded-md px-3 py-2 font-medium text-slate-700 hover:bg-slate-100">"Log in"</A>
                    <A href="/signup" attr:class="rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500">"Sign up"</A>
                </div>
            </nav>
        </header>
    }
}

/// A centred card for the sign-up and log-in forms.
#[component]
pub fn AuthCard(heading: &'static str, intro: &'static str, children: Children) -> impl IntoView {
    view! {
        <PublicNav />
        <main class="mx-auto max-w-md px-4 py-10 sm:py-16">
            <div class="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
                <h1 class="text-2xl font-semibold tracking-tight">{heading}</h1>
                <p class="mt-1 text-sm text-slate-600">{intro}</p>
                <div class="mt-6">{children()}</div>
            </div>
        </main>
    }
}

const INPUT_CLASS: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 \
    shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid=true]:border-rose-500";

/// A labelled input with its error message underneath.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = false)] required: bool,
    /// What the field shows before the user types.
    #[prop(optional, into)]
    value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let error = fixed_when_edited(error);
    view! {
        <div>
        <label class="block text-sm font-medium text-slate-700">
            {label}
            <input
                class=INPUT_CLASS
                type=input_type
                name=name
                id=name
                autocomplete=autocomplete
                required=required
                value=value
                on:input=move |_| error.1.set(true)
                aria-invalid=move || if error.0.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
        </label>
        {hint.map(|h| view! { <p class="mt-1 text-xs text-slate-500">{h}</p> })}
        <FieldError id=error_id error=error.0 />
        </div>
    }
}

/// A field's error as shown — gone as soon as the person edits the field, back when the server
/// answers again — and the flag the field's input sets when edited.
pub fn fixed_when_edited(error: Signal<Option<String>>) -> (Signal<Option<String>>, RwSignal<bool>) {
    let edited = RwSignal::new(false);
    Effect::new(move |_| {
        error.track();
        edited.set(false);
    });
    (Signal::derive(move || if edited.get() { None } else { error.get() }), edited)
}

/// A password input with a show/hide toggle (works once the page has hydrated).
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let (visible, set_visible) = signal(false);
    let error_id = format!("{name}-error");
    let error = fixed_when_edited(error);
    view! {
        <div>
            <label for=name class="block text-sm font-medium text-slate-700">{label}</label>
            <div class="relative">
                <input
                    class=format!("{INPUT_CLASS} pr-20")
                    type=move || if visible.get() { "text" } else { "password" }
                    name=name
                    id=name
                    autocomplete=autocomplete
                    required=true
                    on:input=move |_| error.1.set(true)
                    aria-invalid=move || if error.0.get().is_some() { "true" } else { "false" }
                    aria-describedby=error_id.clone()
                />
                <button
                    type="button"
                    class="absolute inset-y-0 right-0 mt-1 px-3 text-sm font-medium text-indigo-700 hover:text-indigo-500"
                    aria-controls=name
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| set_visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            {hint.map(|h| view! { <p class="mt-1 text-xs text-slate-500">{h}</p> })}
            <FieldError id=error_id error=error.0 />
        </div>
    }
}

#[component]
pub fn FieldError(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="mt-1 min-h-[1.25rem] text-sm text-rose-600" role="alert">
            {move || error.get()}
        </p>
    }
}

/// An error that is not about one field: a banner above the submit button.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<UiError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <div class="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">
                {move || error.get().map(|e| e.to_string())}
            </div>
        </Show>
    }
}

/// What a customer's private-link page (pay, manage) shows when it cannot open: a kind card for a
/// link that leads nowhere, the error itself otherwise.
#[component]
pub fn LinkProblem(error: UiError, heading: &'static str, text: &'static str) -> impl IntoView {
    match error {
        UiError::NotFound => view! {
            <section class="mx-auto max-w-md rounded-xl border border-slate-200 bg-white p-6 text-center shadow-sm">
                <h1 class="text-xl font-semibold">{heading}</h1>
                <p class="mt-2 text-slate-600">{text}</p>
            </section>
        }
        .into_any(),
        err => view! {
            <div class="mx-auto max-w-md rounded-lg border border-rose-200 bg-rose-50 p-4 text-rose-700" role="alert">{err.to_string()}</div>
        }
        .into_any(),
    }
}

#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="w-full rounded-lg bg-indigo-600 px-4 py-2.5 font-medium text-white shadow-sm hover:bg-indigo-500 disabled:cursor-wait disabled:opacity-70"
            disabled=move || pending.get()
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// Formats Unix milliseconds as a UTC calendar date ("2026-11-21"), identically on server and
/// browser so hydration never sees two different texts.
pub fn format_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::format_date;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
        assert_eq!(format_date(1_795_305_600_000), "2026-11-22");
        assert_eq!(format_date(-86_400_000), "1969-12-31");
    }
}

/// Whether one of the shop's connections (mailbox, texting number, Stripe) works.
#[component]
pub fn HealthBadge(healthy: bool) -> impl IntoView {
    if healthy {
        view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800">"Connected"</span> }
    } else {
        view! { <span class="rounded-full bg-rose-100 px-2 py-0.5 text-xs font-medium text-rose-800">"Not working"</span> }
    }
}
