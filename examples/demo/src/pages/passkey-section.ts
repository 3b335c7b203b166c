import type { AuthenticatedPrincipal, Gatehouse, UserRecord } from '@gatehouse-auth/core';
import { toGlobalId } from '@gatehouse-auth/core/internal';
import { html, type SafeHtml } from './html.js';
import { formError } from './layout.js';

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The settings page's "Passkeys" section, for password users with second factors configured: the
 * list (name, added, last used), rename, removal (the password again), and "Add a passkey".
 * Every control is a form with a visible label, so it works from the keyboard and reads well.
 */
export async function passkeySection(
  gh: Gatehouse,
  principal: AuthenticatedPrincipal,
  user: UserRecord,
): Promise<SafeHtml | ''> {
  const reads = gh.reads;
  if (user.authMethod !== 'LOCAL' || !gh.config.basicAuthEnabled || reads === null) return '';
  if (gh.config.mfa.encryptionKey === null) return '';
  const passkeys = await reads.passkeys(principal);
  const rows = passkeys.map((passkey) => {
    const path = `/v1/user/mfa/passkeys/${encodeURIComponent(toGlobalId('Passkey', passkey.id))}`;
    const id = `passkey-${passkey.id}`;
    return html`<li class="passkey" data-passkey-name="${passkey.name}">
      <p class="passkey-name"><strong>${passkey.name}</strong></p>
      <p class="hint">
        Added ${day(passkey.createdAt)} ·
        ${passkey.lastUsedAt === null ? 'never used' : `last used ${day(passkey.lastUsedAt)}`}
      </p>
      <details>
        <summary>Rename or remove <span class="visually-hidden">${passkey.name}</span></summary>
        <form class="passkey-rename-form row-form" data-passkey="${path}">
          <label for="${id}-name">New name</label>
          <input id="${id}-name" name="name" value="${passkey.name}" maxlength="64" required />
          <button type="submit">Rename</button>
          ${formError}
        </form>
        <form class="passkey-remove-form row-form" data-passkey="${path}">
          <label for="${id}-password">Your password, to remove it</label>
          <input id="${id}-password" type="password" name="password" autocomplete="current-password" required />
          <button type="submit" class="danger">Remove ${passkey.name}</button>
          ${formError}
        </form>
      </details>
    </li>`;
  });
  return html`<section class="card" id="passkeys">
    <h2>Passkeys</h2>
    <p class="hint">
      A passkey signs you in with this device's screen lock or a security key: after your password as a second factor,
      or on its own with "Sign in with a passkey". It cannot be phished: it only works on this site.
    </p>
    ${
      rows.length === 0
        ? html`<p class="empty" id="no-passkeys">No passkeys yet.</p>`
        : html`<ul class="passkey-list">
            ${rows}
          </ul>`
    }
    <form id="passkey-register-form" class="row-form">
      <label>Passkey name (optional) <input name="name" maxlength="64" placeholder="e.g. Work laptop" /></label>
      <button type="submit" class="primary">Add a passkey</button>
      ${formError}
    </form>
  </section>`;
}
