import { test, expect } from '@playwright/test';
import { SHOTS, accountMailTo, hydrated, noSidewaysScroll, signUp, uniqueEmail } from './helpers.mjs';

test('landing page renders and hydrates', async ({ page }) => {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('operations squad');
  await hydrated(page);
  await page.screenshot({ path: `${SHOTS}landing.png`, fullPage: true });
  expect(errors, 'no console errors (CSP, hydration, 404s)').toEqual([]);
});

test('the password toggle works, proving the page is interactive after hydration', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(password).toHaveAttribute('type', 'text');
  await page.getByRole('button', { name: 'Hide' }).click();
  await expect(password).toHaveAttribute('type', 'password');
});

test('sign up, log out, log in, dashboard', async ({ page }) => {
  const email = uniqueEmail('owner');
  const password = 'a long enough password';
  await signUp(page, { business: 'Cool Breeze HVAC', name: 'Dana Rivera', email, password });
  await page.getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Dana Rivera' })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true });

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/app');
  await expect(page).toHaveURL(/\/login$/);

  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByTestId('org-name')).toHaveText('Cool Breeze HVAC');
  await page.reload();
  await expect(page.getByTestId('org-name')).toHaveText('Cool Breeze HVAC');
});

test('log-in with a wrong password says so and stays on the page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(uniqueEmail('nobody'));
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The email or password is wrong.' })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await page.screenshot({ path: `${SHOTS}login-error.png`, fullPage: true });
});

test('sign-up shows problems next to the fields and saves nothing', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Business name').fill('Drip Plumbing');
  await page.getByLabel('Work email').fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  // Every problem at once; each leaves as soon as its field is edited.
  await expect(page.locator('#email-error')).toHaveText('Enter an email address like name@example.com.');
  await expect(page.locator('#password-error')).toHaveText('Use at least 10 characters.');
  await page.getByLabel('Work email').fill(uniqueEmail('drip'));
  await expect(page.locator('#email-error')).toBeEmpty();
  await expect(page.locator('#password-error')).toHaveText('Use at least 10 characters.');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#password-error')).toHaveText('Use at least 10 characters.');
  await expect(page).toHaveURL(/\/signup$/);
  await page.screenshot({ path: `${SHOTS}signup-errors.png`, fullPage: true });
});

test('an owner creates an API key that works on /api/v1/me, then revokes it', async ({ page, request }) => {
  await signUp(page, { business: 'Bright Spark Electric', name: 'Sam Lee', email: uniqueEmail('spark'), password: 'sparky sparky sparky' });
  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByPlaceholder('Key name, e.g. Website form').fill('Website form');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText(/sends inquiries only · staff rights · created/)).toBeVisible();
  const key = (await page.getByTestId('new-api-key').textContent()).trim();
  expect(key).toMatch(/^osq_/);
  const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).org.name).toBe('Bright Spark Electric');
  // A form's key hands in inquiries and reads nothing back.
  const leads = await request.get('/api/v1/leads', { headers: { Authorization: `Bearer ${key}` } });
  expect(leads.status()).toBe(403);

  await page.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('Revoked')).toBeVisible();
  const after = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
  expect(after.status()).toBe(401);

  // A staff key works the pipeline and is refused the owner's settings.
  await page.getByPlaceholder('Key name, e.g. Website form').fill('Front desk');
  await page.getByLabel('What the key may do').selectOption('full');
  await page.getByLabel('Rights').selectOption('staff');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText(/reads and changes · staff rights · created/)).toBeVisible();
  const staffKey = (await page.getByTestId('new-api-key').textContent()).trim();
  const staffMe = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${staffKey}` } });
  expect((await staffMe.json()).role).toBe('staff');
  const audit = await request.get('/api/v1/audit', { headers: { Authorization: `Bearer ${staffKey}` } });
  expect(audit.status()).toBe(403);
});

test('the dashboard fits a 375 px phone screen', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await signUp(page, { business: 'Pocket Plumbing', name: 'Ari', email: uniqueEmail('phone'), password: 'phone sized password' });
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}wizard-phone.png`, fullPage: true });
  // The navigation folds into a menu that opens over the page.
  await expect(page.getByRole('link', { name: 'Team', exact: true })).toBeHidden();
  await page.getByTestId('phone-menu').getByText('Menu').click();
  await expect(page.getByRole('link', { name: 'Team', exact: true })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}menu-phone.png` });
  await page.getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Ari' })).toBeVisible();
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}dashboard-phone.png`, fullPage: true });
});

test('a new owner confirms their email address from the link in their inbox', async ({ page }) => {
  const email = uniqueEmail('confirm');
  await signUp(page, { business: 'Live Wire Electric', name: 'Jo Park', email, password: 'a long enough password' });
  const reminder = page.getByTestId('confirm-email');
  await expect(reminder).toContainText(`we sent a link to ${email}`);
  await page.screenshot({ path: `${SHOTS}confirm-email-reminder.png` });

  let letter;
  await expect.poll(() => { [letter] = accountMailTo(email); return Boolean(letter); }, { timeout: 10_000 }).toBe(true);
  expect(letter).toContain('Auto-Submitted: auto-generated');
  const link = letter.replace(/=\r?\n/g, '').match(/https?:\/\/\S+\/confirm-email\/[\w-]{43}/)[0];

  // The link opens a page that asks for one click (a mail scanner opening the link confirms nothing).
  const other = await page.context().browser().newPage();
  await other.goto(new URL(link).pathname);
  await hydrated(other);
  await other.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(other.getByTestId('email-confirmed')).toBeVisible();
  await other.setViewportSize({ width: 375, height: 700 });
  await noSidewaysScroll(other);
  await other.screenshot({ path: `${SHOTS}confirm-email-done-phone.png` });
  await other.reload();
  await hydrated(other);
  await other.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(other.getByTestId('confirm-unusable')).toBeVisible();
  await other.close();

  await page.reload();
  await expect(page.getByTestId('org-name')).toHaveText('Live Wire Electric');
  await expect(reminder).toHaveCount(0);

  // A confirmed owner is emailed when a lead needs them, and can turn that off in Settings.
  await page.goto('/app/settings');
  await hydrated(page);
  const alerts = page.getByTestId('alert-emails');
  await expect(alerts).toBeChecked();
  await alerts.uncheck();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await page.getByRole('region', { name: 'Your account' }).screenshot({ path: `${SHOTS}account-alerts.png` });
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('alert-emails')).not.toBeChecked();

  // Forgot the password: a link to the confirmed address sets a new one.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByTestId('reset-requested')).toBeVisible();
  let reset;
  await expect.poll(() => {
    reset = accountMailTo(email).find((raw) => raw.includes('/reset-password/'));
    return Boolean(reset);
  }, { timeout: 10_000 }).toBe(true);
  const resetLink = reset.replace(/=\r?\n/g, '').match(/https?:\/\/\S+\/reset-password\/[\w-]{43}/)[0];
  await page.goto(new URL(resetLink).pathname);
  await hydrated(page);
  await page.getByLabel('New password', { exact: true }).fill('an even longer new password');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByTestId('password-reset')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}password-reset.png` });
  await page.getByRole('link', { name: 'Log in' }).last().click();
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('an even longer new password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/app$/);
});

test('the email reminder fits a phone and sends a fresh link', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  const email = uniqueEmail('resend');
  await signUp(page, { business: 'Pocket Sparks', name: 'Ren', email, password: 'phone sized password' });
  const reminder = page.getByTestId('confirm-email');
  await expect(reminder).toContainText(email);
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${SHOTS}confirm-email-reminder-phone.png` });
  // Too soon for another: the reminder says why instead of sending a flood.
  await reminder.getByRole('button', { name: 'Send a new link' }).click();
  await expect(reminder.getByRole('alert')).toContainText('less than a minute ago');
  expect(accountMailTo(email)).toHaveLength(1);
});

test('unknown pages get a friendly 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response.status()).toBe(404);
  await expect(page.getByRole('heading', { name: "We couldn't find that page" })).toBeVisible();
});
