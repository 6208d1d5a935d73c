// End-to-end tests in Debian's Chromium. `scripts/e2e` builds the site and the server and sets
// OPSQUAD_E2E_BIN / OPSQUAD_E2E_PORT / OPSQUAD_E2E_DB; Playwright starts the server itself and waits
// for /readyz before the first test.
import { defineConfig } from '@playwright/test';

const port = process.env.OPSQUAD_E2E_PORT ?? '3111';
const baseURL = process.env.OPSQUAD_E2E_BASE_URL ?? `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  retries: 0,
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage'],
    },
  },
  webServer: process.env.OPSQUAD_E2E_BIN ? {
    command: `${process.env.OPSQUAD_E2E_BIN} serve`,
    cwd: '..',
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      OPSQUAD_ENV: 'local',
      OPSQUAD_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${process.env.OPSQUAD_E2E_DB}`,
      OPSQUAD_PAYMENTS__PUBLIC_URL: baseURL,
      // What the squad "sends" is written here; journeys read the links customers would get.
      OPSQUAD_CHANNELS__OUTBOX_DIR: process.env.OPSQUAD_E2E_OUTBOX ?? '',
      // Every journey polls the API as one demo shop; lift its hourly API allowance for the run.
      OPSQUAD_SERVER__LIMITS__API_CALLS_PER_HOUR_PER_ORG: '1000000',
      OPSQUAD_SERVER__LIMITS__API_CALLS_PER_HOUR_PER_KEY: '1000000',
      // Opsquad's own mail (the link confirming a sign-up's address) reaches a real SMTP server.
      ...(process.env.OPSQUAD_E2E_ACCOUNT_MAIL_PORT ? {
        OPSQUAD_ACCOUNT_MAIL__FROM: 'no-reply@opsquad.test',
        OPSQUAD_ACCOUNT_MAIL__SMTP_HOST: '127.0.0.1',
        OPSQUAD_ACCOUNT_MAIL__SMTP_PORT: process.env.OPSQUAD_E2E_ACCOUNT_MAIL_PORT,
        OPSQUAD_ACCOUNT_MAIL__SMTP_TLS: 'none',
        OPSQUAD_ACCOUNT_MAIL__SMTP_USERNAME: 'demouser',
        OPSQUAD_ACCOUNT_MAIL__SMTP_PASSWORD: 'demopass',
      } : {}),
      // Shops may connect Gmail: Google's sign-in and Gmail's API are a local peer.
      ...(process.env.OPSQUAD_E2E_GOOGLE_PORT ? {
        OPSQUAD_GMAIL__CLIENT_ID: 'opsquad-e2e.apps.example',
        OPSQUAD_GMAIL__CLIENT_SECRET: 'opsquad-e2e-secret',
        OPSQUAD_GMAIL__AUTH_URL: `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}/o/oauth2/v2/auth`,
        OPSQUAD_GMAIL__TOKEN_URL: `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}/token`,
        OPSQUAD_GMAIL__API_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}/gw/gmail.googleapis.com`,
        OPSQUAD_GMAIL__CALENDAR_API_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}/gw/www.googleapis.com`,
        OPSQUAD_GMAIL__JWKS_URL: `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}/oauth2/v3/certs`,
      } : {}),
      // Shops may take cards through their own Stripe account: Stripe is a local peer too.
      ...(process.env.OPSQUAD_E2E_STRIPE_PORT ? {
        OPSQUAD_STRIPE__SECRET_KEY: 'sk_test_opsquad_e2e',
        OPSQUAD_STRIPE__CLIENT_ID: 'ca_opsquad_e2e',
        OPSQUAD_STRIPE__WEBHOOK_SECRETS: 'whsec_opsquad_e2e',
        OPSQUAD_STRIPE__API_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_STRIPE_PORT}/`,
        OPSQUAD_STRIPE__CONNECT_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_STRIPE_PORT}/`,
      } : {}),
      // Shops text through their own Twilio account: Twilio is a local peer.
      ...(process.env.OPSQUAD_E2E_TWILIO_PORT ? {
        OPSQUAD_TWILIO__API_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_TWILIO_PORT}/`,
        OPSQUAD_TWILIO__MESSAGING_BASE: `http://127.0.0.1:${process.env.OPSQUAD_E2E_TWILIO_PORT}/`,
      } : {}),
      RUST_LOG: 'warn',
    },
  } : undefined,
});
