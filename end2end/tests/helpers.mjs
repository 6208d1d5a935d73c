import { expect } from '@playwright/test';

export const SHOTS = new URL('../screenshots/', import.meta.url).pathname;

/** Waits until the wasm bundle has hydrated the server-rendered page. */
export async function hydrated(page) {
  await expect(page.locator('#app')).toHaveAttribute('data-hydrated', 'true');
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export async function signUp(page, { business, name, email, password }) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Business name').fill(business);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByTestId('org-name')).toHaveText(business);
}
