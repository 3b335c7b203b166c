import { html } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import { DEFAULT_RETURN_URL, type PageRequest } from './session.js';

/**
 * `GET /reset-password-with-token?token=…`, the page core's reset mail links to: a new password,
 * sent with the token to `POST /auth/password-reset`. Whether the token is still good is for that
 * route to say; the page does not look at it.
 */
export function resetPasswordPage(request: PageRequest): Response {
  const { root, gh } = request;
  if (!gh.config.enabled) return redirectTo(`${root}${DEFAULT_RETURN_URL}`);
  const token = request.url.searchParams.get('token') ?? '';
  const body = token
    ? html`<section class="card narrow">
        <h1>Choose a new password</h1>
        <form id="reset-password-form" class="stack">
          <input type="hidden" name="token" value="${token}" />
          <label
            >New password <input type="password" name="password" autocomplete="new-password" required autofocus
          /></label>
          <label
            >Repeat the new password <input type="password" name="confirm" autocomplete="new-password" required
          /></label>
          ${formError}
          <button type="submit" class="primary">Set password</button>
        </form>
        <p class="aside"><a href="${root}/forgot-password">Request a new link</a></p>
      </section>`
    : html`<section class="card narrow">
        <h1>Reset link incomplete</h1>
        <p class="alert alert-error">
          This link has no reset token. Open the link from the e-mail again, or request a new one.
        </p>
        <p class="aside"><a href="${root}/forgot-password">Request a new link</a></p>
      </section>`;
  return htmlResponse(
    layout({
      title: 'Reset password',
      root,
      script: 'reset-password',
      data: { forgotUrl: `${root}/forgot-password` },
      body,
    }),
  );
}
