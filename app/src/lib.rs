#![recursion_limit = "256"]
//! Opsquad's web pages. Compiled twice: with `ssr` into the server (rendering and server
//! functions) and with `hydrate` into the browser's wasm bundle. Server-only code sits behind
//! `#[cfg(feature = "ssr")]` so the bundle never carries the database or crypto crates.

pub mod account;
pub mod accuracy;
pub mod ai_models;
pub mod api_keys;
pub mod approvals;
pub mod board;
pub mod booking;
pub mod booking_page;
pub mod booking_settings;
pub mod calendar;
pub mod calendar_settings;
mod components;
pub mod confirm_email;
pub mod customers;
pub mod dashboard;
pub mod email_settings;
pub mod error;
pub mod invoices;
mod landing;
pub mod live;
pub mod manage;
mod not_found;
pub mod password_reset;
pub mod pay;
pub mod settings;
pub mod setup;
mod setup_forms;
pub mod shell;
pub mod sms_settings;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
mod story;
pub mod stripe_settings;
pub mod team;
pub mod timeline;
pub mod usage;
pub mod widget;
pub mod widget_settings;
pub mod wizard;
pub mod your_account;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    state::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: `data-hydrated` turns "true" once the wasm has taken over
    // the server-rendered page, which is what end-to-end tests wait for before interacting.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/opsquad.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Meta name="description" content="Opsquad answers, books and bills for field-service businesses." />
        <Title formatter=|page: String| if page.is_empty() { "Opsquad".to_owned() } else { format!("{page} · Opsquad") } />
        <div id="app" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=not_found::NotFoundPage>
                    <Route path=path!("") view=landing::LandingPage />
                    <Route path=path!("signup") view=account::SignUpPage />
                    <Route path=path!("login") view=account::LogInPage />
                    <Route path=path!("forgot-password") view=password_reset::ForgotPasswordPage />
                    <Route path=path!("reset-password/:token") view=password_reset::ResetPasswordPage />
                    <Route path=path!("app") view=dashboard::DashboardPage />
                    <Route path=path!("app/board") view=board::BoardPage />
                    <Route path=path!("app/approvals") view=approvals::ApprovalsPage />
                    <Route path=path!("app/calendar") view=calendar::CalendarPage />
                    <Route path=path!("app/invoices") view=invoices::InvoicesPage />
                    <Route path=path!("app/customers") view=customers::CustomersPage />
                    <Route path=path!("app/customers/:id") view=customers::CustomerPage />
                    <Route path=path!("app/invoices/:id") view=invoices::InvoicePage />
                    <Route path=path!("app/settings") view=settings::SettingsPage />
                    <Route path=path!("app/team") view=team::TeamPage />
                    <Route path=path!("app/usage") view=usage::UsagePage />
                    <Route path=path!("app/accuracy") view=accuracy::AccuracyPage />
                    <Route path=path!("invite/:token") view=team::InvitePage />
                    <Route path=path!("confirm-email/:token") view=confirm_email::ConfirmEmailPage />
                    <Route path=path!("app/setup") view=wizard::WizardPage />
                    <Route path=path!("app/leads/:id") view=timeline::LeadPage />
                    <Route path=path!("pay/:token") view=pay::PayPage />
                    <Route path=path!("manage/:token") view=manage::ManagePage />
                    <Route path=path!("book/:org") view=booking_page::BookingPage />
                    <Route path=path!("widget/:org") view=widget::WidgetPage />
                </Routes>
            </Router>
        </div>
    }
}
