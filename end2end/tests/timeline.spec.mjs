// The owner opens a lead from the dashboard and reads what the squad did, step by step.
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, uniqueEmail } from './helpers.mjs';

test("the owner opens a lead's timeline from the dashboard", async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const shop = demoShop();
  const inbound = await request.post('/api/v1/inbound', {
    headers: { Authorization: `Bearer ${shop.api_key}` },
    data: {
      channel: 'sms', from: { name: 'Robin Vega', phone: '+1 217 555 0142', email: uniqueEmail('timeline') },
      body: 'water heater is leaking all over the garage floor, can you come today? 230 Pine St, 62704',
    },
  });
  expect(inbound.status()).toBe(202);
  const { lead_id: id } = await inbound.json();
  await leadWhen(request, shop.api_key, id, (l) => l.stage === 'booked');

  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(shop.owner_email);
  await page.getByLabel('Password', { exact: true }).fill(shop.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/app$/);
  await page.getByRole('link', { name: 'Robin Vega' }).first().click();
  await expect(page).toHaveURL(new RegExp(`/app/leads/${id}$`));
  await expect(page.getByTestId('lead-customer')).toHaveText('Robin Vega');
  await expect(page.getByTestId('lead-stage')).toHaveText('booked');
  // The story first, in plain words; the technical record behind "Details".
  await expect(page.getByTestId('steps').getByText(/Qualified the lead: wants a job done, urgent, .*, in your area/).first()).toBeVisible();
  await expect(page.getByTestId('steps').getByText(/Booked \w{3} \w{3} \d+, \d+:\d\d [AP]M with /).first()).toBeVisible();
  await expect(page.getByTestId('steps').getByText('qualify_lead').first()).toBeHidden();
  await expect(page.getByTestId('conversation').getByText("You're booked for")).toBeVisible();
  // Each message says how far it got: here no mailbox is connected, so nothing claims it was sent.
  await expect(page.getByTestId('delivery').first()).toHaveText(/^(Not sent: written to the local outbox|Waiting to be sent)$/);
  await expect(page.getByTestId('conversation')).not.toContainText('Sent from your mailbox');
  const qualified = page.getByTestId('steps').locator('li', { hasText: 'Qualified the lead' });
  await qualified.getByText('Details').click();
  await expect(qualified.locator('pre').first()).toBeVisible();
  await expect(qualified).toContainText('qualify_lead');
  await page.screenshot({ path: `${SHOTS}lead-timeline.png`, fullPage: true });

  // The owner takes the conversation over and writes to the customer, then hands it back.
  await page.getByLabel('Your reply to the customer').fill("Hi Robin, it's the owner. Our tech will bring a new valve.");
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.getByTestId('conversation')).toContainText("it's the owner");
  await expect(page.getByTestId('owner-reply')).toContainText("You're handling this conversation");
  await page.getByRole('button', { name: 'Hand back to the squad' }).click();
  await expect(page.getByTestId('owner-reply')).toContainText('The squad is handling this conversation');

  await page.setViewportSize({ width: 375, height: 812 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}lead-timeline-phone.png`, fullPage: false });
});
