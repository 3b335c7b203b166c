import { html } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import {
  currentSession,
  DEFAULT_RETURN_URL,
  here,
  loginUrl,
  mustChangePassword,
  safeReturnUrl,
  signedInHeader,
  type PageRequest,
} from './session.js';

/**
 * `GET /change-password`: current + new password, sent as `PATCH /v1/user`. The only page a user
 * whose password "needs reset" (the default admin, admin-created users) can reach. A new password
 * ends every session, so the script signs in again with it and carries on to `returnUrl`.
 */
export async function changePasswordPage(request: PageRequest): Promise<Response> {
  const { root, gh } = request;
  if (!gh.config.enabled) return redirectTo(`${root}${DEFAULT_RETURN_URL}`);
  const session = await currentSession(request);
  if (session === null) return redirectTo(loginUrl(root, here(request)));

  const { user } = session;
  const returnUrl = safeReturnUrl(request.url.searchParams.get('returnUrl')) ?? DEFAULT_RETURN_URL;
  const header = signedInHeader(request, user);
  if (user.authMethod !== 'LOCAL' || !gh.config.basicAuthEnabled) {
    const body = html`<section class="card narrow">
      <h1>Change password</h1>
      <p>Your account signs in through your identity provider: there is no password to change here.</p>
      <p><a href="${root}${returnUrl}">Continue</a></p>
    </section>`;
    return htmlResponse(layout({ title: 'Change password', root, user: header, body }));
  }

  const forced = mustChangePassword(session);
  const body = html`<section class="card narrow">
    <h1>${forced ? 'Choose a new password' : 'Change password'}</h1>
    ${forced ? html`<p class="alert alert-warn" id="reset-required">Your password must be changed before you continue.</p>` : ''}
    <form id="change-password-form" class="stack">
      <input type="email" name="email" value="${user.email}" autocomplete="username" hidden />
      <label
        >Current password
        <input type="password" name="current_password" autocomplete="current-password" required autofocus
      /></label>
      <label>New password <input type="password" name="password" autocomplete="new-password" required /></label>
      <label
        >Repeat the new password <input type="password" name="confirm" autocomplete="new-password" required
      /></label>
      <label class="check"
        ><input type="checkbox" name="end_other_sessions" checked /> Sign out my other sessions</label
      >
      ${formError}
      <button type="submit" class="primary">Change password</button>
    </form>
    ${forced ? '' : html`<p class="aside"><a href="${root}${returnUrl}">Cancel</a></p>`}
  </section>`;
  return htmlResponse(
    layout({
      title: 'Change password',
      root,
      script: 'change-password',
      data: { email: user.email, returnUrl },
      user: header,
      body,
    }),
  );
}
