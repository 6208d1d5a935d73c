// A technician's own calendar: the owner connects Ana's CalDAV calendar in Settings (a wrong app
// password is caught before anything is kept), the squad books an AC repair around the days off
// she has in it, the visit appears in her calendar, and the owner disconnects it. The calendar is
// a real Radicale server on this machine. Then the same with her Google Calendar, connected by
// signing in with Google (a local peer that scripts/e2e starts).
import { test, expect } from '@playwright/test';
import { SHOTS, demoShop, hydrated, leadWhen, logIn, noSidewaysScroll, postInbound, startCalDav } from './helpers.mjs';

test('an owner connects a technician\'s calendar and the squad books around what is on it', async ({ page, request }) => {
  test.setTimeout(120_000);
  const shop = demoShop();
  const caldav = await startCalDav({ ana: 'ana-app-password' });
  try {
    // Ana is away for the next three days; her calendar says so.
    const back = Date.now() + 3 * 86_400_000;
    await caldav.busy('ana', 'away', 'Away', Date.now() - 3_600_000, back);

    await logIn(page, shop.owner_email, shop.password);
    await page.goto('/app/settings');
    await hydrated(page);
    const section = page.getByRole('region', { name: "Technicians' calendars" });
    const ana = section.getByTestId('calendar-row').filter({ hasText: 'Ana Ortiz' });
    await ana.getByText('Another calendar (iCloud, Fastmail, Nextcloud …)').click();
    await ana.getByLabel('Calendar address').fill(caldav.base);
    await ana.getByLabel('User name').fill('ana');
    await ana.getByLabel('App password').fill('not-it');
    await ana.getByRole('button', { name: 'Connect calendar' }).click();
    await expect(ana.getByText('The calendar did not accept this user name and password.')).toBeVisible();
    await section.screenshot({ path: `${SHOTS}settings-calendars-refused.png` });
    await ana.getByLabel('App password').fill('ana-app-password');
    await ana.getByRole('button', { name: 'Connect calendar' }).click();
    await expect(ana).toContainText('Read just now');
    await expect(ana).toContainText('ana/work (ana)');
    await expect(ana).not.toContainText('ana-app-password');
    await section.screenshot({ path: `${SHOTS}settings-calendars-connected.png` });
    await page.setViewportSize({ width: 375, height: 800 });
    await noSidewaysScroll(page);
    await section.screenshot({ path: `${SHOTS}settings-calendars-phone.png` });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Only Ana repairs air conditioning: the squad books her first time after she is back.
    const id = await postInbound(request, shop.api_key, {
      channel: 'email',
      from: { name: 'Robin Hale', email: `robin-${Date.now()}@example.com` },
      body: 'Our AC stopped cooling. Could someone come by to look at it? 1420 Walnut St, Springfield IL 62704',
    });
    const lead = await leadWhen(request, shop.api_key, id, (l) => l.stage === 'booked');
    const visit = lead.appointments.find((a) => a.status === 'scheduled');
    expect(visit.starts_at).toBeGreaterThanOrEqual(back);
    let event = null;
    await expect.poll(async () => { event = await caldav.visit('ana', visit.id); return event !== null; }, { timeout: 20_000 }).toBe(true);
    expect(event).toContain('SUMMARY:AC repair — Robin Hale');
    expect(event).toContain(`/app/leads/${id}`);

    // The lead's page says where the visit stands in her calendar.
    await page.goto(`/app/leads/${id}`);
    await hydrated(page);
    await expect(page.getByText("in Ana Ortiz's calendar")).toBeVisible();

    // Disconnected: her openings no longer follow the calendar.
    await page.goto('/app/settings');
    await hydrated(page);
    await ana.getByRole('button', { name: 'Disconnect calendar' }).click();
    await expect(ana.getByText('Another calendar (iCloud, Fastmail, Nextcloud …)')).toBeVisible();
  } finally {
    caldav.stop();
  }
});

test('an owner connects a technician\'s Google Calendar by signing in with Google', async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_GOOGLE_PORT, 'the Google peer is started by scripts/e2e');
  test.setTimeout(120_000);
  const shop = demoShop();
  const google = `http://127.0.0.1:${process.env.OPSQUAD_E2E_GOOGLE_PORT}`;
  const address = `ana.ortiz.${Date.now()}@gmail.example`;
  const made = await (await request.post(`${google}/peer/calendars`, { data: { address } })).json();
  const calendarApi = `${google}/gw/www.googleapis.com/calendar/v3/calendars/primary/events`;
  const auth = { Authorization: `Bearer ${made.token}` };
  // Ana is away for the next four days; her Google calendar says so.
  const back = Date.now() + 4 * 86_400_000;
  const away = await request.post(calendarApi, { headers: auth, data: {
    summary: 'Away', start: { dateTime: new Date(Date.now() - 3_600_000).toISOString() }, end: { dateTime: new Date(back).toISOString() } } });
  expect(away.ok()).toBe(true);

  await logIn(page, shop.owner_email, shop.password);
  await page.goto('/app/settings');
  await hydrated(page);
  const section = page.getByRole('region', { name: "Technicians' calendars" });
  const ana = section.getByTestId('calendar-row').filter({ hasText: 'Ana Ortiz' });
  await section.screenshot({ path: `${SHOTS}settings-calendars-choices.png` });

  // Saying no on Google's page connects nothing and says so.
  await ana.getByRole('link', { name: "Connect Ana's Google Calendar" }).click();
  await expect(page.getByText('Opsquad wants to see when you are busy and add the visits booked for you to your calendar.')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  await expect(page.getByTestId('google-calendar-outcome')).toContainText('access was not allowed');

  // Ana signs in and allows it: her calendar is read at once, and no token is shown.
  await hydrated(page);
  await ana.getByRole('link', { name: "Connect Ana's Google Calendar" }).click();
  await page.getByLabel('Email').fill(address);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  await expect(page.getByTestId('google-calendar-outcome')).toContainText(`The Google calendar of ${address} is connected`);
  await expect(ana).toContainText(`Google Calendar: ${address}`);
  await expect(ana).toContainText('Read just now');
  await expect(ana).not.toContainText('ya29');
  await section.screenshot({ path: `${SHOTS}settings-calendars-google.png` });
  await page.setViewportSize({ width: 375, height: 800 });
  await noSidewaysScroll(page);
  await section.screenshot({ path: `${SHOTS}settings-calendars-google-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The squad books Ana's first time after she is back, and the visit is in her Google calendar.
  const id = await postInbound(request, shop.api_key, {
    channel: 'email',
    from: { name: 'Sky Marsh', email: `sky-${Date.now()}@example.com` },
    body: 'The air conditioner is running but not cooling. Can you send someone? 88 Elm St, Springfield IL 62704',
  });
  const lead = await leadWhen(request, shop.api_key, id, (l) => l.stage === 'booked');
  const visit = lead.appointments.find((a) => a.status === 'scheduled');
  expect(visit.starts_at).toBeGreaterThanOrEqual(back);
  let event = null;
  await expect.poll(async () => {
    const listed = await (await request.get(`${calendarApi}?q=Sky`, { headers: auth })).json();
    event = (listed.items ?? []).find((e) => (e.summary ?? '').startsWith('AC repair — Sky Marsh')) ?? null;
    return event !== null;
  }, { timeout: 20_000 }).toBe(true);
  expect(new Date(event.start.dateTime).getTime()).toBe(visit.starts_at);
  expect(event.description).toContain(`/app/leads/${id}`);

  await page.goto(`/app/leads/${id}`);
  await hydrated(page);
  await expect(page.getByText("in Ana Ortiz's calendar")).toBeVisible();

  await page.goto('/app/settings');
  await hydrated(page);
  await ana.getByRole('button', { name: 'Disconnect calendar' }).click();
  await expect(ana.getByRole('link', { name: "Connect Ana's Google Calendar" })).toBeVisible();
});
