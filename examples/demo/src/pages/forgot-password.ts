import { html } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import { authPageConfig, DEFAULT_RETURN_URL, type PageRequest } from './session.js';

/** `GET /forgot-password`: asks `POST /auth/password-reset-email` for a link; open to everyone. */
export async function forgotPasswordPage(request: PageRequest): Promise<Response> {
  const { root } = request;
  const config = await authPageConfig(request);
  if (!config.auth_enabled) return redirectTo(`${root}${DEFAULT_RETURN_URL}`);
  const body = config.password_reset_available
    ? html`<section class="card narrow">
        <h1>Forgot your password?</h1>
        <p>Enter the e-mail address of your account and we will send you a link to choose a new password.</p>
        <form id="forgot-password-form" class="stack">
          <label>Email <input type="email" name="email" autocomplete="username" required autofocus /></label>
          ${formError}
          <button type="submit" class="primary">Send reset link</button>
        </form>
        <p class="alert alert-ok" id="reset-sent" hidden>
          If an account with that address exists, a reset link is on its way. It is valid for a short time only.
        </p>
        <p class="aside"><a href="${root}/login">Back to sign in</a></p>
      </section>`
    : html`<section class="card narrow">
        <h1>Forgot your password?</h1>
        <p>
          Password reset by e-mail is not available on this server. Ask an administrator to set a new password for you.
        </p>
        <p class="aside"><a href="${root}/login">Back to sign in</a></p>
      </section>`;
  return htmlResponse(layout({ title: 'Forgot password', root, script: 'forgot-password', body }));
}
