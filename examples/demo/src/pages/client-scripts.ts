import type { PageScript } from './layout.js';
import { MFA_LOGIN, MFA_SETTINGS, MFA_SHARED, PROCEED } from './mfa-scripts.js';

/*
 * The pages' browser code, served same-origin from /assets/<page>.js (the CSP allows no inline
 * script). Plain ES2020 for any current browser, no framework. Each page script is the shared
 * prelude followed by its own part; they read their inputs from <body data-*>.
 */

const PRELUDE = `'use strict';
var root = document.body.dataset.root || '';
var SESSION_ERRORS = ['unauthenticated', 'invalid_token', 'expired_token'];

function show(element, text) {
  if (!element) return;
  element.textContent = text || '';
  element.hidden = !text;
}

async function errorOf(response) {
  try {
    var body = await response.json();
    if (body && body.error && typeof body.error.message === 'string') return body.error;
  } catch (ignored) {}
  return { code: 'http_' + response.status, message: 'The server answered ' + response.status + '.' };
}

async function failure(response) {
  return (await errorOf(response)).message;
}

/* A JSON call with the session cookies, nothing more (login, reset: a 401 there is an answer). */
function send(method, path, body) {
  var init = { method: method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(root + path, init);
}

async function refreshSession() {
  try {
    return (await fetch(root + '/auth/refresh', { method: 'POST', credentials: 'same-origin' })).ok;
  } catch (ignored) {
    return false;
  }
}

function toLogin() {
  location.assign(root + '/login?returnUrl=' + encodeURIComponent(location.pathname.slice(root.length) + location.search));
}

/* A call on behalf of the signed-in user: an expired access token is refreshed once, a dead session goes to sign-in. */
async function api(method, path, body) {
  var response = await send(method, path, body);
  if (response.status !== 401) return response;
  var error = await errorOf(response.clone());
  if (SESSION_ERRORS.indexOf(error.code) === -1) return response;
  if (await refreshSession()) {
    response = await send(method, path, body);
    if (response.status !== 401) return response;
  }
  toLogin();
  throw new Error('Your session has ended. Sign in again.');
}

function values(form) {
  var out = {};
  new FormData(form).forEach(function (value, key) { out[key] = typeof value === 'string' ? value : ''; });
  return out;
}

/* Runs action on submit; the message it returns or throws goes to the form's error line. */
function onSubmit(form, action) {
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var error = form.querySelector('.form-error');
    var buttons = form.querySelectorAll('button');
    show(error, '');
    buttons.forEach(function (button) { button.disabled = true; });
    try {
      show(error, await action(values(form), form));
    } catch (thrown) {
      show(error, thrown && thrown.message ? thrown.message : String(thrown));
    } finally {
      buttons.forEach(function (button) { button.disabled = false; });
    }
  });
}
`;

const LOGIN = `
var loginForm = document.getElementById('login-form');
if (loginForm) {
  onSubmit(loginForm, async function (data) {
    var response = await send('POST', '/auth/login', { email: data.email, password: data.password });
    if (!response.ok) return failure(response);
    /* 200, not 204: the password was right and a second factor follows (its token is in a cookie). */
    if (response.status === 200) {
      var challenge = await response.json();
      if (challenge && challenge.mfa_required === true) {
        var step = challenge.purpose === 'enroll' ? '/mfa/enroll' : '/mfa';
        location.assign(root + step + '?returnUrl=' + encodeURIComponent(returnUrl));
        return;
      }
    }
    if (!(await proceed())) return 'Signed in, but the session was not accepted. Are cookies allowed?';
  });
}

var ldapForm = document.getElementById('ldap-login-form');
if (ldapForm) {
  onSubmit(ldapForm, async function (data) {
    var response = await send('POST', '/auth/ldap/login', { username: String(data.username).trim(), password: data.password });
    if (!response.ok) return failure(response);
    if (!(await proceed())) return 'Signed in, but the session was not accepted. Are cookies allowed?';
  });
}

/*
 * The server saw no session, yet the browser may hold one: the SameSite=Strict cookies are withheld
 * on a cross-site arrival (back from an identity provider), or the access token only needs a refresh.
 */
if (!document.body.dataset.error) {
  (async function () {
    if (await proceed()) return;
    if (document.body.dataset.refresh === '1' && (await refreshSession())) await proceed();
  })();
}
`;

const CHANGE_PASSWORD = `
var changeForm = document.getElementById('change-password-form');
if (changeForm) {
  onSubmit(changeForm, async function (data) {
    if (data.password !== data.confirm) return 'The new passwords do not match.';
    var returnUrl = document.body.dataset.returnUrl || '/settings';
    var endOthers = changeForm.querySelector('input[name="end_other_sessions"]').checked;
    var response = await api('PATCH', '/v1/user', { current_password: data.current_password, password: data.password, end_other_sessions: endOthers });
    if (!response.ok) return failure(response);
    /* This session stays signed in; the others ended unless the box was cleared. */
    location.assign(root + returnUrl);
  });
}
`;

const FORGOT_PASSWORD = `
var forgotForm = document.getElementById('forgot-password-form');
if (forgotForm) {
  onSubmit(forgotForm, async function (data) {
    var response = await send('POST', '/auth/password-reset-email', { email: data.email });
    if (!response.ok) return failure(response);
    forgotForm.hidden = true;
    document.getElementById('reset-sent').hidden = false;
  });
}
`;

const RESET_PASSWORD = `
var resetForm = document.getElementById('reset-password-form');
if (resetForm) {
  onSubmit(resetForm, async function (data) {
    if (data.password !== data.confirm) return 'The new passwords do not match.';
    var response = await send('POST', '/auth/password-reset', { token: data.token, password: data.password });
    if (response.ok) {
      location.assign(root + '/login?notice=password-reset');
      return;
    }
    if (response.status === 401) return 'This link is invalid, already used or expired. Request a new one.';
    return failure(response);
  });
}
`;

const SETTINGS = `
var pageError = document.getElementById('page-error');

function reloadOn(response) {
  if (response.ok) {
    location.reload();
    return undefined;
  }
  return failure(response);
}

var usernameForm = document.getElementById('username-form');
if (usernameForm) {
  onSubmit(usernameForm, async function (data) {
    return reloadOn(await api('PATCH', '/v1/user', { username: data.username }));
  });
}

document.querySelectorAll('.key-form').forEach(function (form) {
  var box = form.closest('section').querySelector('.new-key');
  var value = box.querySelector('.new-key-value');
  var copy = box.querySelector('.copy-key');
  onSubmit(form, async function (data) {
    var payload = { name: data.name };
    if (data.description) payload.description = data.description;
    if (data.expires_at) {
      var at = new Date(data.expires_at);
      if (isNaN(at.getTime())) return 'The expiry date is not valid.';
      payload.expires_at = at.toISOString();
    }
    var response = await api('POST', form.dataset.endpoint, { data: payload });
    if (!response.ok) return failure(response);
    var created = await response.json();
    value.value = created.data.key;
    form.hidden = true;
    box.hidden = false;
    value.select();
    await refreshList(form.closest('section'));
  });
  copy.addEventListener('click', async function () {
    try {
      await navigator.clipboard.writeText(value.value);
    } catch (ignored) {
      value.select();
      document.execCommand('copy');
    }
    copy.textContent = 'Copied';
  });
  /* The key is gone from the page once it reloads: it is never shown again. */
  box.querySelector('.new-key-done').addEventListener('click', function () { location.reload(); });
});

/*
 * The section's list as the server renders it now: fetched and swapped in place, so a new key is
 * listed at once while its one-time value stays on screen (the page reloads only on Done).
 */
async function refreshList(section) {
  try {
    var response = await api('GET', '/settings');
    if (!response.ok) return;
    var fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(section.id);
    var list = fresh && fresh.querySelector('.key-list');
    if (list) section.querySelector('.key-list').replaceWith(document.importNode(list, true));
  } catch (ignored) {
    /* The list stays as it was; Done reloads the page. */
  }
}

/* One listener for every Delete button, also those a refreshed list brings in. */
document.addEventListener('click', async function (event) {
  var button = event.target instanceof Element ? event.target.closest('button[data-delete]') : null;
  if (!button) return;
  if (!confirm(button.dataset.confirm)) return;
  show(pageError, '');
  button.disabled = true;
  try {
    show(pageError, await reloadOn(await api('DELETE', button.dataset.delete)));
  } catch (thrown) {
    show(pageError, thrown.message);
  } finally {
    button.disabled = false;
  }
});

document.querySelectorAll('button[data-sign-out]').forEach(function (button) {
  button.addEventListener('click', async function () {
    show(pageError, '');
    button.disabled = true;
    try {
      /* Ending the current session clears its cookies: the reload then lands on the login page. */
      show(pageError, await reloadOn(await api('DELETE', button.dataset.signOut)));
    } catch (thrown) {
      show(pageError, thrown.message);
    } finally {
      button.disabled = false;
    }
  });
});

document.querySelectorAll('.role-form').forEach(function (form) {
  onSubmit(form, async function (data) {
    return reloadOn(await api('PATCH', form.dataset.user, { role: data.role }));
  });
});

document.querySelectorAll('.password-form').forEach(function (form) {
  onSubmit(form, async function (data) {
    return reloadOn(await api('PATCH', form.dataset.user, { password: data.password }));
  });
});

var createUserForm = document.getElementById('create-user-form');
if (createUserForm) {
  onSubmit(createUserForm, async function (data) {
    var user = { email: data.email, username: data.username, role: data.role, auth_method: data.auth_method };
    if (data.password) user.password = data.password;
    return reloadOn(await api('POST', '/v1/users', { user: user, send_welcome_email: false }));
  });
}
`;

const PAGE_SCRIPTS: Readonly<Record<PageScript, string>> = {
  login: PROCEED + LOGIN,
  'mfa-login': MFA_SHARED + PROCEED + MFA_LOGIN,
  'change-password': CHANGE_PASSWORD,
  'forgot-password': FORGOT_PASSWORD,
  'reset-password': RESET_PASSWORD,
  settings: SETTINGS + MFA_SHARED + MFA_SETTINGS,
};

/** The script served as `/assets/<page>.js`, or undefined for an unknown name. */
export function pageScript(name: string): string | undefined {
  return Object.hasOwn(PAGE_SCRIPTS, name) ? PRELUDE + PAGE_SCRIPTS[name as PageScript] : undefined;
}
