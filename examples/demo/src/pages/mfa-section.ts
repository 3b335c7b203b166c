import type { AuthenticatedPrincipal, Gatehouse, UserRecord } from '@gatehouse-auth/core';
import { html, type SafeHtml } from './html.js';
import { formError } from './layout.js';
import { enrolmentBox, recoveryCodesBox } from './mfa-markup.js';

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Few enough that the section (and the sign-in) warns to regenerate. */
export const FEW_RECOVERY_CODES = 3;

/** A form asking for a current code (or a recovery code) before a change to the factor itself. */
function codeForm(id: string, label: string, button: string, danger: boolean): SafeHtml {
  return html`<form id="${id}" class="row-form" aria-labelledby="${id}-title">
    <label
      >${label} <input name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required
    /></label>
    <button type="submit" class="${danger ? 'danger' : ''}">${button}</button>
    ${formError}
  </form>`;
}

/**
 * The settings page's "Two-factor authentication" section, for password users: status, enrolment,
 * new recovery codes, removal. SSO and LDAP accounts get their second factor from their IdP or
 * directory; nothing here applies to them.
 */
export async function mfaSection(
  gh: Gatehouse,
  principal: AuthenticatedPrincipal,
  user: UserRecord,
): Promise<SafeHtml> {
  const reads = gh.reads;
  const intro = html`<h2>Two-factor authentication</h2>`;
  if (user.authMethod !== 'LOCAL' || !gh.config.basicAuthEnabled || reads === null) {
    return html`<section class="card" id="mfa">
      ${intro}
      <p class="hint">Your account signs in through your identity provider, which decides on a second factor.</p>
    </section>`;
  }
  const status = await reads.mfaStatus(principal);
  if (!status.available) {
    return html`<section class="card" id="mfa">
      ${intro}
      <p class="hint">Second factors are not configured on this server (<code>GATEHOUSE_ENCRYPTION_KEY</code>).</p>
    </section>`;
  }
  const left = status.recoveryCodesRemaining;
  const enrolled = status.totp.enrolled;
  return html`<section class="card" id="mfa">
    ${intro}
    <div class="mfa-status">
      <p id="mfa-state">
        Authenticator app:
        ${
          enrolled && status.totp.confirmedAt !== null
            ? html`<strong class="on">on</strong> since ${day(status.totp.confirmedAt)}.`
            : html`<strong>off</strong>.`
        }
        ${status.required ? html`Your role requires a second factor at every sign-in.` : ''}
      </p>
      ${
        enrolled
          ? html`<p id="mfa-codes-left" class="${left <= FEW_RECOVERY_CODES ? 'alert alert-warn' : ''}">
              Recovery codes left: ${left} of 10.${left <= FEW_RECOVERY_CODES ? ' Get new ones below.' : ''}
            </p>`
          : html`<p class="hint">
                Sign-in then asks for a code from an app on your phone after your password, so a stolen password alone
                is not enough.
              </p>
              <p><button type="button" class="primary" id="mfa-start">Set up an authenticator app</button></p>`
      }
    </div>
    ${
      enrolled
        ? html`<div class="mfa-manage">
            <h3 id="mfa-regenerate-form-title">New recovery codes</h3>
            <p class="hint">The ten new codes replace every old one.</p>
            ${codeForm('mfa-regenerate-form', 'Code from your app, or a recovery code', 'Get new recovery codes', false)}
            <h3 id="mfa-remove-form-title">Remove the authenticator</h3>
            ${codeForm('mfa-remove-form', 'Code from your app, or a recovery code', 'Remove authenticator', true)}
          </div>`
        : enrolmentBox('mfa-enrolment', '/v1/user/mfa/totp', '/v1/user/mfa/totp/confirm', true)
    }
    ${recoveryCodesBox('mfa-recovery-codes', 'Done', 'h3')}
  </section>`;
}
