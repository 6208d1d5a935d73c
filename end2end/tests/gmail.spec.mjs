import { test, expect } from '@playwright/test';
import { SHOTS, hydrated, noSidewaysScroll, signUp, uniqueEmail } from './helpers.mjs';

// Google's sign-in page and Gmail's API are a local peer (scripts/e2e starts it).
test.skip(!process.env.OPSQUAD_E2E_GOOGLE_PORT, 'the Google peer is started by scripts/e2e');

test('an owner connects Gmail by signing in with Google, and can say no', async ({ page }) => {
  await signUp(page, { business: 'Lakeside Electric', name: 'Ira Cole', email: uniqueEmail('gmail'), password: 'a long enough password' });
  await page.goto('/app/settings');
  await hydrated(page);
  const email = page.getByRole('region', { name: 'Email' });
  await expect(email.getByTestId('connect-gmail')).toBeVisible();
  await email.screenshot({ path: `${SHOTS}settings-email-choices.png` });

  // Saying no on Google's page connects nothing and says so.
  await email.getByTestId('connect-gmail').click();
  await expect(page.getByRole('heading', { name: 'Sign in to continue to Opsquad' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  await expect(page.getByTestId('gmail-outcome')).toContainText('access was not allowed');
  await email.screenshot({ path: `${SHOTS}settings-gmail-refused.png` });

  // Allowing it connects the mailbox; the page says which, and nothing secret is shown.
  await hydrated(page);
  await page.getByTestId('connect-gmail').click();
  await page.getByLabel('Email').fill('office@lakeside-electric.example');
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(/\/app\/settings$/);
  await expect(page.getByTestId('gmail-outcome')).toContainText('Gmail is connected: the squad now reads and answers mail to office@lakeside-electric.example.');
  const connected = page.getByTestId('email-connected');
  await expect(connected).toContainText('Connected as office@lakeside-electric.example');
  await expect(connected).toContainText('Through Gmail');
  await expect(connected).not.toContainText('ya29');
  await email.screenshot({ path: `${SHOTS}settings-gmail-connected.png` });
  await page.setViewportSize({ width: 375, height: 800 });
  await noSidewaysScroll(page);
  await email.screenshot({ path: `${SHOTS}settings-gmail-phone.png` });
});
