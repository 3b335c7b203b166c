import { html, type SafeHtml } from './html.js';
import { formError } from './layout.js';

/*
 * The pieces of markup the MFA pages share: enrolling an authenticator (at sign-in and on settings)
 * and showing recovery codes once. The page script fills them (scripts/mfa-*.ts); nothing secret is
 * ever rendered by the server: the secret, the QR code and the codes arrive in the script's fetch.
 */

/**
 * A one-time code field: six digits, offered by the phone's keyboard and by password managers
 * (`autocomplete="one-time-code"`). The pattern allows the space people type between groups.
 */
export function codeInput(label: string, options: { autofocus?: boolean; describedBy?: string } = {}): SafeHtml {
  return html`<label
    >${label}
    <input
      name="code"
      type="text"
      inputmode="numeric"
      autocomplete="one-time-code"
      pattern="[0-9 ]{6,7}"
      maxlength="7"
      required
      ${options.describedBy ? html`aria-describedby="${options.describedBy}"` : ''}
      ${options.autofocus ? 'autofocus' : ''}
  /></label>`;
}

/**
 * Enrolling an authenticator: the QR code, the key to type by hand (with Copy), the first code.
 * `data-start` and `data-confirm` are the two API routes (sign-in or settings flavour).
 */
export function enrolmentBox(id: string, start: string, confirm: string, hidden: boolean): SafeHtml {
  return html`<div
    class="mfa-enrol"
    id="${id}"
    data-start="${start}"
    data-confirm="${confirm}"
    tabindex="-1"
    aria-label="Set up an authenticator app"
    ${hidden ? 'hidden' : ''}
  >
    <ol class="steps">
      <li>
        <p>Scan this QR code with your authenticator app (Google Authenticator, Authy, 1Password, Bitwarden…).</p>
        <p class="qr-wrap">
          <img class="mfa-qr" alt="QR code of your new authenticator key" width="200" height="200" hidden />
        </p>
        <p class="mfa-loading hint" role="status">Preparing a new key…</p>
      </li>
      <li>
        <p>Or type this key into the app by hand (time-based, 6 digits, 30 seconds):</p>
        <div class="copy-row">
          <input class="mfa-secret" readonly aria-label="Authenticator key to type by hand" /><button
            type="button"
            class="copy-secret"
          >
            Copy key
          </button>
        </div>
      </li>
      <li>
        <form class="mfa-confirm-form stack">
          ${codeInput('Code shown by the app')} ${formError}
          <button type="submit" class="primary">Confirm</button>
        </form>
      </li>
    </ol>
    <p class="form-error mfa-start-error" role="alert" hidden></p>
  </div>`;
}

/**
 * The ten recovery codes, shown once: the person must tick "I saved them" before going on. The
 * heading takes the focus when the box opens, so a screen reader starts reading here.
 */
export function recoveryCodesBox(id: string, continueLabel: string, heading: 'h2' | 'h3' = 'h2'): SafeHtml {
  return html`<div class="recovery-box" id="${id}" hidden>
    <${heading} tabindex="-1" class="recovery-title">Save your recovery codes</${heading}>
    <p>
      Each code signs you in once if you lose your authenticator. <strong>They are shown only now</strong>: print them
      or keep them in your password manager.
    </p>
    <ol class="recovery-codes" aria-label="Recovery codes"></ol>
    <p><button type="button" class="copy-codes">Copy the codes</button></p>
    <label class="check"><input type="checkbox" class="saved-codes" /> I saved these recovery codes</label>
    <p><button type="button" class="primary codes-done" disabled>${continueLabel}</button></p>
  </div>`;
}
