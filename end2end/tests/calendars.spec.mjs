// A technician's own calendar: the owner connects Ana's CalDAV calendar in Settings (a wrong app
// password is caught before anything is kept), the squad books an AC repair around the week off
// she has in it, the visit appears in her calendar, and the owner disconnects it. The calendar is
// a real Radicale server on this machine.
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
    await ana.getByText("Connect Ana's calendar").click();
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
    await expect(ana.getByText("Connect Ana's calendar")).toBeVisible();
  } finally {
    caldav.stop();
  }
});
