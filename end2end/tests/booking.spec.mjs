// The self-serve booking page: the owner publishes it from Settings, a customer picks a service and
// one of the real openings and books it, and the booking is on the owner's board at once — with
// the time the customer saw being the time stored. On a desktop and on a phone.
import { test, expect } from '@playwright/test';
import { SHOTS, chicagoTime, demoShop, hydrated, linkDeliveredTo, logIn, noSidewaysScroll, uniqueEmail } from './helpers.mjs';

test('the owner publishes the booking page and a customer books a visit that is on the board at once', async ({ page, browser, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  test.setTimeout(90_000);
  const shop = demoShop();

  // The owner turns the page on in Settings and gets its link.
  await logIn(page, shop.owner_email, shop.password);
  await page.goto('/app/settings');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Booking page' });
  await section.getByLabel('Let customers book online').check();
  await section.getByRole('button', { name: 'Save' }).click();
  await expect(section.getByRole('link')).toBeVisible();
  const href = await section.getByTestId('booking-url').getAttribute('href');
  const path = new URL(href).pathname;
  expect(path).toMatch(/^\/book\/[0-9a-f-]{36}$/);
  await section.screenshot({ path: `${SHOTS}booking-settings.png` });

  await page.goto('/app/board');
  await hydrated(page);
  await expect(page.getByTestId('live-status')).toHaveText('Live');

  // A customer, in a browser of their own, books the first opening for drain cleaning.
  const customer = await (await browser.newContext()).newPage();
  await customer.goto(path);
  await hydrated(customer);
  await expect(customer.getByRole('heading', { name: 'Book a visit' })).toBeVisible();
  await expect(customer.getByTestId('zone')).toContainText('America/Chicago');
  await customer.getByRole('button', { name: /Drain cleaning/ }).click();
  const first = customer.getByTestId('time').first();
  await expect(first).toBeVisible();
  const startsAt = Number(await first.getAttribute('data-starts-at'));
  const label = (await first.textContent()).trim();
  expect(label).toBe(chicagoTime(startsAt));
  await first.click();
  await customer.screenshot({ path: `${SHOTS}booking-page.png`, fullPage: true });

  const email = uniqueEmail('booker');
  await customer.getByLabel('Your name').fill('Robin Booker');
  await customer.getByLabel('Email').fill(email);
  await customer.getByLabel('Street address').fill('12 Cedar Ln');
  await customer.getByLabel('ZIP code').fill('61602');
  await customer.getByTestId('confirm').click();
  await expect(customer.locator('#zip-error')).toContainText("don't work in 61602");
  await customer.getByLabel('ZIP code').fill('62704');
  await customer.getByTestId('confirm').click();
  await expect(customer.getByTestId('booked')).toContainText("You're booked.");
  await customer.screenshot({ path: `${SHOTS}booking-done.png`, fullPage: true });

  // Stored exactly as shown, on its own channel, and on the open board without a reload.
  const leads = await (await request.get('/api/v1/leads', { headers: { Authorization: `Bearer ${shop.api_key}` } })).json();
  const lead = leads.find((l) => l.channel === 'booking_page' && l.customer_name === 'Robin Booker');
  expect(lead.stage).toBe('booked');
  const detail = await (await request.get(`/api/v1/leads/${lead.id}`, { headers: { Authorization: `Bearer ${shop.api_key}` } })).json();
  expect(detail.appointments[0].starts_at).toBe(startsAt);
  await expect(page.locator(`[data-stage="booked"] [data-lead="${lead.id}"]`)).toBeVisible({ timeout: 20_000 });
  await expect(page.locator(`[data-lead="${lead.id}"]`)).toContainText('Drain cleaning');

  // The confirmation goes to the address given, carrying a private link; the one on screen works too.
  expect(await linkDeliveredTo(email, 'manage')).toMatch(/^\/manage\//);
  await customer.getByTestId('manage-link').click();
  await expect(customer.getByTestId('booking')).toContainText('Drain cleaning');

  // The customer moves it to another opening from that page; the board has the new time.
  await hydrated(customer);
  await customer.getByRole('button', { name: 'See other times' }).click();
  const other = customer.getByTestId('move').getByTestId('time').nth(1);
  const movedTo = Number(await other.getAttribute('data-starts-at'));
  await other.click();
  await customer.screenshot({ path: `${SHOTS}manage-move.png`, fullPage: true });
  await customer.getByTestId('move-confirm').click();
  await expect(customer.getByTestId('done')).toContainText('Your booking is moved to');
  await expect.poll(async () => {
    const moved = await (await request.get(`/api/v1/leads/${lead.id}`, { headers: { Authorization: `Bearer ${shop.api_key}` } })).json();
    return moved.appointments.filter((a) => a.status === 'scheduled' || a.status === 'confirmed').map((a) => a.starts_at);
  }).toEqual([movedTo]);

  // The page on a phone.
  await customer.setViewportSize({ width: 375, height: 812 });
  await customer.goto(path);
  await hydrated(customer);
  await customer.getByRole('button', { name: /Heating & cooling tune-up/ }).click();
  await customer.getByTestId('time').first().click();
  await noSidewaysScroll(customer);
  await customer.screenshot({ path: `${SHOTS}booking-page-phone.png`, fullPage: true });
});
