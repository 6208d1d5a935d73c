//! The server's integration tests: one binary, a fresh database per test, each test on SQLite and
//! on PostgreSQL (when TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod account_email;
mod api_auth;
mod atomic;
mod audit;
mod bedrock;
mod binary;
mod booking_page;
mod boundaries;
mod calendars;
mod catalog;
mod cli;
mod customers;
mod dashboard;
mod database_walls;
mod delivery;
mod edits;
mod escalations;
mod gmail;
mod identity;
mod inbound;
mod integrations;
mod jobs;
mod limits;
mod mail_peers;
mod models;
mod ops;
mod owner_alerts;
mod owner_jobs;
mod pages;
mod payments;
mod permissions;
mod scripted;
mod sessions;
mod squad;
mod streams;
mod stripe;
mod team;
mod texts;
mod threads;
mod throttling;
mod trades;
mod widget;
