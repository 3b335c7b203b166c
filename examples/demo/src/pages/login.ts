import { readCookie } from '@gatehouse-auth/core/adapter-kit';
import { html } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import {
  authPageConfig,
  changePasswordUrl,
  currentSession,
  DEFAULT_RETURN_URL,
  mustChangePassword,
  safeReturnUrl,
  type AuthPageConfig,
  type PageRequest,
} from './session.js';

/** Messages the pages themselves send people here with; any other `?notice=` shows nothing. */
const NOTICES: Readonly<Record<string, string>> = Object.freeze({
  'password-reset': 'Your password has been reset. Sign in with the new one.',
  'password-changed': 'Your password has been changed. Sign in with the new one.',
});

/** Only a code core knows gets a message (anti-phishing): `?error=` is attacker-controlled text. */
function known(messages: Readonly<Record<string, string>>, code: string | null): string | null {
  return code !== null && Object.hasOwn(messages, code) ? (messages[code] ?? null) : null;
}

function idpButtons(root: string, config: AuthPageConfig, returnUrl: string) {
  return config.oauth2_idps.map(
    (idp) =>
      html`<form
        method="post"
        action="${root}/oauth2/${encodeURIComponent(idp.name)}/login?returnUrl=${encodeURIComponent(returnUrl)}"
      >
        <button type="submit" class="idp">Sign in with ${idp.display_name}</button>
      </form>`,
  );
}

/**
 * `GET /login` (and `/logout`, where core sends people when password login is off, so an auto-login
 * IdP cannot loop). When password login is off and an auto-login IdP exists, core answers `/login`
 * itself with a redirect before this runs.
 */
export async function loginPage(request: PageRequest, mode: 'login' | 'logout' = 'login'): Promise<Response> {
  const { root, url } = request;
  const config = await authPageConfig(request);
  if (!config.auth_enabled) return redirectTo(`${root}${DEFAULT_RETURN_URL}`);

  const returnUrl = safeReturnUrl(url.searchParams.get('returnUrl')) ?? DEFAULT_RETURN_URL;
  const errorCode = url.searchParams.get('error');
  const session = errorCode === null ? await currentSession(request) : null;
  if (session)
    return redirectTo(mustChangePassword(session) ? changePasswordUrl(root, returnUrl) : `${root}${returnUrl}`);

  const error = known(config.error_messages, errorCode);
  const notice = known(NOTICES, url.searchParams.get('notice'));
  const basic = config.basic_auth_enabled;
  const ldap = config.ldap_enabled === true;
  // Passkeys come with second factors (GATEHOUSE_ENCRYPTION_KEY): without them nobody can have one.
  const passkeys = request.gh.config.mfa.encryptionKey !== null;
  const idps = idpButtons(root, config, returnUrl);
  const body = html`<section class="card narrow">
    <h1>${mode === 'logout' && !error ? 'You are signed out' : 'Sign in'}</h1>
    ${error ? html`<p class="alert alert-error" role="alert" id="login-error">${error}</p>` : ''}
    ${notice ? html`<p class="alert alert-ok" id="login-notice">${notice}</p>` : ''}
    ${
      basic
        ? html`<form id="login-form" class="stack">
            <label>Email <input type="email" name="email" autocomplete="username" required autofocus /></label>
            <label>Password <input type="password" name="password" autocomplete="current-password" required /></label>
            ${formError}
            <button type="submit" class="primary">Sign in</button>
          </form>`
        : ''
    }
    ${
      basic && passkeys
        ? html`<div id="passkey-login" class="stack passkey-login" hidden>
            <button type="button" id="passkey-login-button">Sign in with a passkey</button>
            ${formError}
          </div>`
        : ''
    }
    ${basic && ldap ? html`<p class="divider"><span>or</span></p>` : ''}
    ${
      ldap
        ? html`<form id="ldap-login-form" class="stack">
            <label
              >LDAP username
              <input type="text" name="username" autocomplete="username" required ${basic ? '' : 'autofocus'}
            /></label>
            <label
              >LDAP password <input type="password" name="password" autocomplete="current-password" required
            /></label>
            ${formError}
            <button type="submit" class="primary">Sign in with LDAP</button>
          </form>`
        : ''
    }
    ${(basic || ldap) && idps.length > 0 ? html`<p class="divider"><span>or</span></p>` : ''}
    ${idps.length > 0 ? html`<div class="idps">${idps}</div>` : ''}
    ${!basic && !ldap && idps.length === 0 ? html`<p>No way to sign in is configured.</p>` : ''}
    ${config.password_reset_available ? html`<p class="aside"><a href="${root}/forgot-password">Forgot your password?</a></p>` : ''}
  </section>`;

  const hasRefresh = readCookie(request.cookie, request.gh.config.cookies.names.refreshToken) !== null;
  return htmlResponse(
    layout({
      title: 'Sign in',
      root,
      script: 'login',
      data: { returnUrl, ...(errorCode !== null ? { error: '1' } : {}), ...(hasRefresh ? { refresh: '1' } : {}) },
      body,
    }),
  );
}
