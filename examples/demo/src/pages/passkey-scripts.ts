/*
 * The passkey parts of the page scripts (see client-scripts.ts): plain ES2020 after the shared
 * prelude, using @simplewebauthn/browser's global `SimpleWebAuthnBrowser` (loaded before, from
 * /assets/simplewebauthn-browser.js). The ceremony's handle lives in an HttpOnly cookie the API
 * sets; these scripts only carry options to the browser and its answer back.
 */

const PASSKEY_SHARED = `
function passkeysSupported() {
  return typeof SimpleWebAuthnBrowser !== 'undefined' && SimpleWebAuthnBrowser.browserSupportsWebAuthn();
}

/* What a refused or cancelled ceremony means, said plainly. */
function passkeyError(thrown) {
  var name = thrown && thrown.name;
  if (name === 'NotAllowedError') return 'The passkey request was cancelled or timed out. Try again.';
  if (name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  return thrown && thrown.message ? thrown.message : String(thrown);
}

async function passkeyOptions(call, path, body) {
  var response = await call('POST', path, body || {});
  if (!response.ok) throw new Error(await failure(response));
  return (await response.json()).data.options;
}

/* Runs a passkey button: disabled while the ceremony runs, its message in the error line. */
function onPasskeyClick(button, errorLine, action) {
  button.addEventListener('click', async function () {
    show(errorLine, '');
    button.disabled = true;
    try {
      show(errorLine, await action());
    } catch (thrown) {
      show(errorLine, passkeyError(thrown));
    } finally {
      button.disabled = false;
    }
  });
}
`;

/** `/login`: "Sign in with a passkey", no password (a discoverable passkey with user verification). */
export const PASSKEY_LOGIN =
  PASSKEY_SHARED +
  `
var passkeyBox = document.getElementById('passkey-login');
if (passkeyBox && passkeysSupported()) {
  passkeyBox.hidden = false;
  var passkeyButton = document.getElementById('passkey-login-button');
  onPasskeyClick(passkeyButton, passkeyBox.querySelector('.form-error'), async function () {
    var options = await passkeyOptions(send, '/auth/passkey/options');
    var answer = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
    var response = await send('POST', '/auth/passkey/verify', { response: answer });
    if (!response.ok) {
      var error = await errorOf(response);
      return error.code === 'invalid_passkey' ? 'This passkey was not accepted. Sign in with your password instead.' : error.message;
    }
    if (!(await proceed())) return 'Signed in, but the session was not accepted. Are cookies allowed?';
  });
}
`;

/** `/mfa`: "Use a passkey" as the second step after the password. */
export const PASSKEY_MFA =
  PASSKEY_SHARED +
  `
var methods = (document.body.dataset.methods || '').split(',');
var mfaPasskey = document.getElementById('mfa-passkey');
if (mfaPasskey && methods.indexOf('passkey') !== -1) {
  /* Only a passkey: the code forms have nothing to check. */
  if (methods.indexOf('totp') === -1) {
    ['mfa-code-form', 'mfa-recovery-form'].forEach(function (id) { var el = document.getElementById(id); if (el) el.hidden = true; });
    var alternatives = document.querySelector('.mfa-alternatives');
    if (alternatives) alternatives.hidden = true;
  }
  mfaPasskey.hidden = false;
  var mfaPasskeyButton = document.getElementById('mfa-passkey-button');
  if (!passkeysSupported()) {
    mfaPasskeyButton.disabled = true;
    show(mfaPasskey.querySelector('.form-error'), 'This browser cannot use passkeys.');
  } else {
    onPasskeyClick(mfaPasskeyButton, mfaPasskey.querySelector('.form-error'), async function () {
      var options = await passkeyOptions(send, '/auth/mfa/passkey/options');
      var answer = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
      var response = await send('POST', '/auth/mfa/verify', { passkey: answer });
      if (!response.ok) return codeError(response);
      if (!(await proceed())) return 'Signed in, but the session was not accepted. Are cookies allowed?';
    });
    if (methods.indexOf('totp') === -1) mfaPasskeyButton.focus();
  }
}
`;

/** `/settings`: add, rename and remove passkeys. */
export const PASSKEY_SETTINGS =
  PASSKEY_SHARED +
  `
var passkeyForm = document.getElementById('passkey-register-form');
if (passkeyForm) {
  if (!passkeysSupported()) {
    passkeyForm.querySelector('button').disabled = true;
    show(passkeyForm.querySelector('.form-error'), 'This browser cannot create passkeys.');
  }
  onSubmit(passkeyForm, async function (data) {
    var answer;
    try {
      var options = await passkeyOptions(api, '/v1/user/mfa/passkeys/options');
      answer = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options });
    } catch (thrown) {
      return passkeyError(thrown);
    }
    var name = String(data.name || '').trim();
    var body = name ? { response: answer, name: name } : { response: answer };
    var response = await api('POST', '/v1/user/mfa/passkeys', body);
    if (!response.ok) return failure(response);
    location.reload();
  });
}

document.querySelectorAll('.passkey-rename-form').forEach(function (form) {
  onSubmit(form, async function (data) {
    var response = await api('PATCH', form.dataset.passkey, { name: data.name });
    if (!response.ok) return failure(response);
    location.reload();
  });
});

document.querySelectorAll('.passkey-remove-form').forEach(function (form) {
  onSubmit(form, async function (data) {
    var response = await api('POST', form.dataset.passkey + '/remove', { password: data.password });
    if (response.ok) {
      location.reload();
      return;
    }
    var error = await errorOf(response);
    return error.code === 'invalid_credentials' ? 'That password is not right.' : error.message;
  });
});
`;
