// The owner's team, approval rules and usage pages: invite a member by link, the member joins and
// cannot change what only the owner may, removal ends their access; the approval rules save; the
// usage page draws the shop's numbers.
import { test, expect } from '@playwright/test';
import { SHOTS, accountMailTo, demoShop, hydrated, leadWhen, logIn, noSidewaysScroll, postInbound, signUp, uniqueEmail } from './helpers.mjs';

test('the owner invites staff by link, the member joins, and removal ends their access', async ({ page, browser }) => {
  const owner = { business: 'Team Heating', name: 'Robin', email: uniqueEmail('team-owner'), password: 'team owner password' };
  await signUp(page, owner);
  await page.getByRole('link', { name: 'Team', exact: true }).click();
  await expect(page).toHaveURL(/\/app\/team$/);
  await hydrated(page);
  await expect(page.getByTestId('team-empty')).toBeVisible();

  const invite = page.getByTestId('invite-form');
  await invite.getByLabel('Their email').fill('not-an-email');
  await invite.getByRole('button', { name: 'Create invite link' }).click();
  await expect(page.locator('#email-error')).not.toBeEmpty();
  const staffEmail = uniqueEmail('team-staff');
  await invite.getByLabel('Their email').fill(staffEmail);
  await invite.getByRole('button', { name: 'Create invite link' }).click();
  const link = await page.getByLabel('Invite link').inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invite\/[A-Za-z0-9_-]{43}$/);
  // Opsquad's mail server emailed the same link to the invitee, and the page says so.
  await expect(page.getByTestId('invite-link')).toContainText(`We emailed this link to ${staffEmail}`);
  await expect.poll(() => accountMailTo(staffEmail).some((raw) => raw.replace(/=\r?\n/g, '').includes(link))).toBe(true);
  await expect(page.getByTestId('invitations')).toContainText(staffEmail);
  await page.screenshot({ path: `${SHOTS}team.png`, fullPage: true });

  // The invitee opens the link in their own browser and joins.
  const theirs = await browser.newContext();
  const staff = await theirs.newPage();
  await staff.goto(link);
  await hydrated(staff);
  await expect(staff.getByTestId('invite-details')).toContainText('Team Heating');
  await expect(staff.getByTestId('invite-details')).toContainText(staffEmail);
  await staff.screenshot({ path: `${SHOTS}invite.png`, fullPage: true });
  await staff.getByLabel('Your name').fill('Sam Staff');
  await staff.getByLabel('Password', { exact: true }).fill('sam staff password');
  await staff.getByRole('button', { name: 'Join' }).click();
  await expect(staff).toHaveURL(/\/app$/);
  await expect(staff.getByTestId('org-name')).toHaveText('Team Heating');

  // Staff see the team but cannot manage it, nor change the approval rules.
  await staff.goto('/app/team');
  await hydrated(staff);
  await expect(staff.getByTestId('member')).toHaveCount(2);
  await expect(staff.getByText('Only the account owner can invite or remove people.')).toBeVisible();
  await expect(staff.getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await staff.goto('/app/settings');
  await hydrated(staff);
  await expect(staff.getByTestId('policies-form')).toContainText('Only the owner can change these.');

  // The link worked once.
  const again = await (await browser.newContext()).newPage();
  await again.goto(link);
  await expect(again.getByTestId('invite-unusable')).toBeVisible();

  // The owner removes the member; their next page load goes to the log-in page.
  await page.reload();
  await hydrated(page);
  const member = page.getByTestId('member').filter({ hasText: 'Sam Staff' });
  await member.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('member')).toHaveCount(1);
  await staff.goto('/app/board');
  await expect(staff).toHaveURL(/\/login/);
  await theirs.close();
});

test('the owner sets the approval rules and what happens when nobody answers', async ({ page }) => {
  await signUp(page, { business: 'Rules Check Co', name: 'Ari', email: uniqueEmail('rules'), password: 'rules rules rules' });
  await page.goto('/app/settings');
  await hydrated(page);
  const rules = page.getByTestId('policies-form');
  await rules.locator('select[name="discounts"]').selectOption('block');
  await rules.locator('select[name="limit_fallback"]').selectOption('reject');
  await rules.locator('input[name="limit_after_hours"]').fill('0');
  await rules.getByRole('button', { name: 'Save' }).click();
  await expect(rules.getByText('Between 1 and 720 hours (30 days).')).toBeVisible();
  await rules.locator('input[name="limit_after_hours"]').fill('12');
  await rules.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('audit-log')).toContainText('approval rules updated');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('policies-form').locator('select[name="discounts"]')).toHaveValue('block');
  await expect(page.getByTestId('policies-form').locator('select[name="limit_fallback"]')).toHaveValue('reject');
  await page.getByTestId('policies-form').screenshot({ path: `${SHOTS}settings-rules.png` });
});

test('the usage page shows leads, response time, funnel, cost and budget use', async ({ page, request }) => {
  test.skip(!process.env.OPSQUAD_E2E_BIN, 'needs the server binary from scripts/e2e');
  const shop = demoShop();
  const id = await postInbound(request, shop.api_key, {
    channel: 'email', from: { name: 'Usage Check', email: uniqueEmail('usage') },
    body: 'Our AC stopped cooling and it is 95 degrees inside. Can someone come today? 88 Oak Ave, 62704',
  });
  await leadWhen(request, shop.api_key, id, (lead) => lead.stage === 'booked');
  await logIn(page, shop.owner_email, shop.password);
  await page.getByRole('link', { name: 'Usage', exact: true }).click();
  await expect(page).toHaveURL(/\/app\/usage$/);
  await hydrated(page);
  await expect(page.getByTestId('usage-chart')).toHaveCount(3);
  const leads = page.getByTestId('usage-tile').filter({ hasText: 'Leads' });
  expect(Number(await leads.locator('p').nth(1).innerText())).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('usage-tile').filter({ hasText: 'Cost per lead' })).toContainText('$');
  await expect(page.getByTestId('funnel-step').first()).toContainText('Inquiries');
  await expect(page.getByTestId('usage-budgets')).toContainText('Today:');
  // The bars are drawn on the server: the chart is in the HTML before any script runs.
  const html = await (await request.get('/app/usage', { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } })).text();
  expect(html).toContain('<rect');
  await page.screenshot({ path: `${SHOTS}usage.png`, fullPage: true });

  await page.setViewportSize({ width: 375, height: 812 });
  for (const path of ['/app/usage', '/app/team']) {
    await page.goto(path);
    await hydrated(page);
    await noSidewaysScroll(page);
  }
  await page.goto('/app/usage');
  await page.screenshot({ path: `${SHOTS}usage-phone.png`, fullPage: true });
});
