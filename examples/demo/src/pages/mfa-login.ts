import { readCookie } from '@gatehouse-auth/core/adapter-kit';
import { html } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import { codeInput, enrolmentBox, recoveryCodesBox } from './mfa-markup.js';
import { DEFAULT_RETURN_URL, loginUrl, safeReturnUrl, type PageRequest } from './session.js';

/*
 * The second step of a password sign-in: `/login` sends the browser here when `POST /auth/login`
 * answers 200 with a challenge. The challenge token travels in its HttpOnly cookie only, so these
 * pages never see or hold it; without the cookie there is nothing to answer and they go back to
 * sign-in. Whether the token is still good is the API's call, at the first request.
 */

function challengeOrLogin(request: PageRequest): { returnUrl: string } | Response {
  const { root, gh, url } = request;
  const returnUrl = safeReturnUrl(url.searchParams.get('returnUrl')) ?? DEFAULT_RETURN_URL;
  if (!gh.config.enabled || readCookie(request.cookie, gh.config.cookies.names.mfaChallenge) === null)
    return redirectTo(loginUrl(root, returnUrl));
  return { returnUrl };
}

/** `GET /mfa`: the code from the authenticator app, or a recovery code instead. */
export function mfaChallengePage(request: PageRequest): Response {
  const state = challengeOrLogin(request);
  if (state instanceof Response) return state;
  const { root } = request;
  const body = html`<section class="card narrow" id="mfa-challenge">
    <h1>Two-factor authentication</h1>
    <div id="mfa-verify">
      <form id="mfa-code-form" class="stack">
        <p class="hint" id="mfa-code-hint">
          Open your authenticator app and enter the 6-digit code it shows for this site.
        </p>
        ${codeInput('Authentication code', { autofocus: true, describedBy: 'mfa-code-hint' })} ${formError}
        <button type="submit" class="primary">Verify</button>
      </form>
      <form id="mfa-recovery-form" class="stack" hidden>
        <p class="hint" id="mfa-recovery-hint">Each recovery code works once. Dashes and spaces do not matter.</p>
        <label
          >Recovery code
          <input
            name="recovery_code"
            autocomplete="off"
            autocapitalize="none"
            spellcheck="false"
            required
            aria-describedby="mfa-recovery-hint"
        /></label>
        ${formError}
        <button type="submit" class="primary">Verify</button>
      </form>
      <div class="mfa-alternatives">
        <button type="button" class="link" id="use-recovery-code" aria-controls="mfa-recovery-form mfa-code-form">
          Use a recovery code instead
        </button>
        <button type="button" class="link" id="use-totp-code" aria-controls="mfa-recovery-form mfa-code-form" hidden>
          Use the authenticator app instead
        </button>
      </div>
    </div>
    <div id="mfa-few-codes" hidden>
      <p class="alert alert-warn" id="mfa-few-codes-text" tabindex="-1"></p>
      <p>
        <a class="button" href="${root}/settings#mfa">Get new recovery codes</a>
        <button type="button" class="primary" id="mfa-continue">Continue</button>
      </p>
    </div>
    <p class="aside"><a href="${loginUrl(root, state.returnUrl)}">Cancel and sign in again</a></p>
  </section>`;
  return htmlResponse(
    layout({
      title: 'Two-factor authentication',
      root,
      script: 'mfa-login',
      data: { returnUrl: state.returnUrl },
      body,
    }),
  );
}

/** `GET /mfa/enroll`: the role requires a second factor and the account has none yet. */
export function mfaEnrolPage(request: PageRequest): Response {
  const state = challengeOrLogin(request);
  if (state instanceof Response) return state;
  const { root } = request;
  const body = html`<section class="card narrow" id="mfa-enrol-login">
    <h1>Set up two-factor authentication</h1>
    <p class="alert alert-warn" id="mfa-required">
      Your account must use a second factor. Set up an authenticator app to finish signing in.
    </p>
    ${enrolmentBox('enrolment', '/auth/mfa/enroll', '/auth/mfa/enroll/confirm', false)}
    ${recoveryCodesBox('recovery-codes', 'Continue')}
    <p class="aside"><a href="${loginUrl(root, state.returnUrl)}">Cancel and sign in again</a></p>
  </section>`;
  return htmlResponse(
    layout({
      title: 'Set up two-factor authentication',
      root,
      script: 'mfa-login',
      data: { returnUrl: state.returnUrl },
      body,
    }),
  );
}
